// Fake home routers for the port mapper's tests (not used by the engine): real sockets on a
// loopback address of their own, speaking PCP and NAT-PMP on one UDP port, and UPnP IGD as SSDP
// plus an HTTP server that serves miniupnpd's real description and keeps a table of mappings.
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_DESCRIPTION } from '../../../../src-protocol/portmap/miniupnpd-captures.js';
import { elementText } from '../../../../src-protocol/portmap/xml-text.js';

/** A loopback address no other test picks: 127.100-199.x.y. */
export function loopbackAddress(): string {
  return `127.${randomInt(100, 200)}.${randomInt(1, 255)}.${randomInt(1, 255)}`;
}

function bindUdp(ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, ip, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/** Resolves when `check` holds, re-checking on every `notify()`. */
class Waiters {
  private readonly pending = new Set<() => void>();
  notify(): void {
    for (const wake of [...this.pending]) wake();
  }
  until(check: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (!check()) return;
        this.pending.delete(wake);
        resolve();
      };
      this.pending.add(wake);
      wake();
    });
  }
}

export interface PmpRouterOptions {
  pcp: boolean;
  natPmp: boolean;
  externalIp?: string;
  /** Seconds granted whatever is asked. */
  grantSeconds?: number;
  /** Epoch at start: a router that has been up a while. */
  epochAtStart?: number;
  /** Answer every request with this PCP result code instead of mapping. */
  pcpResult?: number;
  /** Answer every request with random bytes that are neither protocol. */
  garbage?: boolean;
}

export interface SeenRequest {
  version: number;
  lifetime: number;
  internalPort: number;
  nonce?: string;
}

/** PCP and NAT-PMP on one UDP port, as miniupnpd serves them. */
export class FakePmpRouter {
  readonly seen: SeenRequest[] = [];
  /** Internal port → external port. */
  readonly mappings = new Map<number, number>();
  /** Requests to ignore from now on, as if lost on the way. */
  dropNext = 0;
  private readonly nonces = new Map<number, string>();
  private started = Date.now();
  private epochBase: number;
  private readonly waiters = new Waiters();

  private constructor(
    private readonly socket: Socket,
    private readonly options: PmpRouterOptions,
  ) {
    this.epochBase = options.epochAtStart ?? 1000;
    socket.on('message', (bytes, from) => this.answer(bytes, from.address, from.port));
  }

  static async start(ip: string, options: PmpRouterOptions, port = 5351): Promise<FakePmpRouter> {
    return new FakePmpRouter(await bindUdp(ip, port), options);
  }

  get externalIp(): string {
    return this.options.externalIp ?? '203.0.113.5';
  }

  /** Like a reboot: epoch from 0, every mapping forgotten. */
  restart(): void {
    this.started = Date.now();
    this.epochBase = 0;
    this.mappings.clear();
    this.nonces.clear();
  }

  until(check: (router: this) => boolean): Promise<void> {
    return this.waiters.until(() => check(this));
  }

  close(): void {
    this.socket.close();
  }

  private epoch(): number {
    return this.epochBase + Math.floor((Date.now() - this.started) / 1000);
  }

  private externalPortFor(internalPort: number, suggested: number, lifetime: number): number {
    if (lifetime === 0) {
      this.mappings.delete(internalPort);
      return 0;
    }
    const port = this.mappings.get(internalPort) ?? (suggested || internalPort);
    this.mappings.set(internalPort, port);
    return port;
  }

  private answer(bytes: Buffer, ip: string, port: number): void {
    const reply = (out: Uint8Array) => this.socket.send(out, port, ip);
    if (this.options.garbage) {
      // Random, but never starting with a version byte (0, 2), which would be an answer of sorts.
      const noise = Uint8Array.from({ length: randomInt(1, 80) }, () => randomInt(256));
      noise[0] = randomInt(3, 256);
      return reply(noise);
    }
    if (this.dropNext > 0) {
      this.dropNext--;
      return;
    }
    const version = bytes[0];
    if (version === 2 && bytes.length >= 60) this.answerPcp(bytes, ip, reply);
    else if (version === 0 && bytes.length >= 2) this.answerNatPmp(bytes, reply);
    this.waiters.notify();
  }

  private answerPcp(bytes: Buffer, ip: string, reply: (out: Uint8Array) => void): void {
    const lifetime = bytes.readUInt32BE(4);
    const internalPort = bytes.readUInt16BE(40);
    const nonce = bytes.subarray(24, 36).toString('hex');
    this.seen.push({ version: 2, lifetime, internalPort, nonce });
    // A NAT-PMP-only router answers a PCP request with its own version and "unsupported version".
    if (!this.options.pcp) return reply(Buffer.from([0, 0x81, 0, 1, 0, 0, 0, 0]));
    const out = Buffer.alloc(60);
    bytes.copy(out, 24, 24, 60);
    out[0] = 2;
    out[1] = 0x81;
    out.writeUInt32BE(this.epoch(), 8);
    const clientIp = `${bytes[20]}.${bytes[21]}.${bytes[22]}.${bytes[23]}`;
    const holder = this.nonces.get(internalPort);
    // RFC 6887 §11.3: a port mapped under another nonce is not the asker's (NOT_AUTHORIZED).
    const result = this.options.pcpResult ?? (clientIp !== ip ? 12 : holder && holder !== nonce ? 2 : 0);
    out[3] = result;
    if (result === 0) this.nonces.set(internalPort, nonce);
    if (result === 0 && lifetime === 0) this.nonces.delete(internalPort);
    if (result === 0) {
      const granted = lifetime === 0 ? 0 : (this.options.grantSeconds ?? lifetime);
      out.writeUInt32BE(granted, 4);
      out.writeUInt16BE(this.externalPortFor(internalPort, bytes.readUInt16BE(42), granted), 42);
      out.fill(0, 44, 54);
      out.writeUInt16BE(0xffff, 54);
      this.externalIp.split('.').forEach((octet, i) => (out[56 + i] = Number(octet)));
    }
    reply(out);
  }

  private answerNatPmp(bytes: Buffer, reply: (out: Uint8Array) => void): void {
    const opcode = bytes[1]!;
    const lifetime = opcode === 1 && bytes.length >= 12 ? bytes.readUInt32BE(8) : 0;
    const internalPort = opcode === 1 && bytes.length >= 12 ? bytes.readUInt16BE(4) : 0;
    this.seen.push({ version: 0, lifetime, internalPort });
    if (!this.options.natPmp) return reply(Buffer.from([2, 0x80 | opcode, 0, 1, 0, 0, 0, 0]));
    const out = Buffer.alloc(opcode === 0 ? 12 : 16);
    out[1] = 0x80 | opcode;
    out.writeUInt32BE(this.epoch(), 4);
    if (opcode === 0) {
      this.externalIp.split('.').forEach((octet, i) => (out[8 + i] = Number(octet)));
    } else {
      const granted = lifetime === 0 ? 0 : (this.options.grantSeconds ?? lifetime);
      out.writeUInt16BE(internalPort, 8);
      out.writeUInt16BE(this.externalPortFor(internalPort, bytes.readUInt16BE(6), granted), 10);
      out.writeUInt32BE(granted, 12);
    }
    reply(out);
  }
}

export interface UpnpRouterOptions {
  externalIp?: string;
  /** Serve this description instead of miniupnpd's. */
  description?: (httpPort: number) => string;
  /** Send SSDP answers from this address instead of the router's own. */
  answerFrom?: string;
}

export interface UpnpMapping {
  internalClient: string;
  internalPort: number;
  lease: number;
}

/** UPnP IGD: SSDP on the router's address, HTTP with miniupnpd's description and a mapping table. */
export class FakeUpnpRouter {
  /** External port → mapping. */
  readonly mappings = new Map<number, UpnpMapping>();
  readonly actions: string[] = [];
  private readonly waiters = new Waiters();
  private http: Server | undefined;

  private constructor(
    readonly ip: string,
    private readonly ssdp: Socket,
    private readonly answerSocket: Socket,
    private readonly options: UpnpRouterOptions,
  ) {
    ssdp.on('message', (bytes, from) => {
      if (!bytes.toString('latin1').startsWith('M-SEARCH') || !this.http) return;
      const location = `http://${ip}:${(this.http.address() as AddressInfo).port}/rootDesc.xml`;
      const text = `HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: ${location}\r\n\r\n`;
      this.answerSocket.send(text, from.port, from.address);
    });
  }

  static async start(ip: string, options: UpnpRouterOptions = {}, ssdpPort = 1900): Promise<FakeUpnpRouter> {
    const ssdp = await bindUdp(ip, ssdpPort);
    const answerSocket = options.answerFrom ? await bindUdp(options.answerFrom, 0) : ssdp;
    const router = new FakeUpnpRouter(ip, ssdp, answerSocket, options);
    await router.listen();
    return router;
  }

  /** Like a reboot: the table is gone and HTTP comes back on another port. */
  async restart(): Promise<void> {
    await this.closeHttp();
    this.mappings.clear();
    await this.listen();
  }

  until(check: (router: this) => boolean): Promise<void> {
    return this.waiters.until(() => check(this));
  }

  async close(): Promise<void> {
    this.ssdp.close();
    if (this.answerSocket !== this.ssdp) this.answerSocket.close();
    await this.closeHttp();
  }

  private closeHttp(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    if (!http) return Promise.resolve();
    http.closeAllConnections();
    return new Promise((resolve) => http.close(() => resolve()));
  }

  private listen(): Promise<void> {
    const http = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const port = (http.address() as AddressInfo).port;
        if (req.method === 'GET') {
          res.end(this.options.description?.(port) ?? ROOT_DESCRIPTION);
        } else {
          const action = /#(\w+)"/.exec(String(req.headers.soapaction))?.[1] ?? '';
          this.actions.push(action);
          const [status, inner] = this.soap(action, body);
          res.statusCode = status;
          res.end(
            status === 200
              ? `<s:Envelope><s:Body><u:${action}Response>${inner}</u:${action}Response></s:Body></s:Envelope>`
              : `<s:Envelope><s:Body><s:Fault><detail><UPnPError><errorCode>${inner}</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>`,
          );
        }
        this.waiters.notify();
      });
    });
    this.http = http;
    return new Promise((resolve) => http.listen(0, this.ip, () => resolve()));
  }

  private soap(action: string, body: string): [number, string] {
    const value = (name: string) => elementText(body, name) ?? '';
    const externalPort = Number(value('NewExternalPort'));
    const mapping = {
      internalClient: value('NewInternalClient'),
      internalPort: Number(value('NewInternalPort')),
      lease: Number(value('NewLeaseDuration')),
    };
    switch (action) {
      case 'GetExternalIPAddress':
        return [
          200,
          `<NewExternalIPAddress>${this.options.externalIp ?? '203.0.113.7'}</NewExternalIPAddress>`,
        ];
      case 'AddPortMapping': {
        const holder = this.mappings.get(externalPort);
        if (holder && holder.internalClient !== mapping.internalClient) return [500, '718'];
        this.mappings.set(externalPort, mapping);
        return [200, ''];
      }
      case 'AddAnyPortMapping': {
        let port = externalPort;
        while (this.mappings.has(port) && this.mappings.get(port)!.internalClient !== mapping.internalClient)
          port++;
        this.mappings.set(port, mapping);
        return [200, `<NewReservedPort>${port}</NewReservedPort>`];
      }
      case 'DeletePortMapping':
        return this.mappings.delete(externalPort) ? [200, ''] : [500, '714'];
      default:
        return [500, '401'];
    }
  }
}
