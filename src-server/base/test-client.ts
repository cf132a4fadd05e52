// A small but real base-server client for tests and benchmarks, built on src-protocol: it speaks
// the wire protocol exactly as a peer does (HELLO cookie, signed INFO/REQUEST_INFO/NAT_INIT, DATA
// over TCP or UDP), and can also send whatever raw bytes a test wants to throw at a server.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import {
  decodeBaseToPeer,
  encodeFrame,
  encodePeerToBase,
  FrameDecoder,
  type BaseToPeerMessage,
  type PeerToBaseMessage,
} from '../../src-protocol/base-messages.js';
import { makeEndpoint, type Endpoint } from '../../src-protocol/endpoint.js';
import type { Identity } from '../../src-protocol/identity.js';

export interface Received {
  via: 'tcp' | 'udp';
  message: BaseToPeerMessage;
  /** performance.now() on arrival. */
  at: number;
  /** UDP only: the base address it came from, for the NAT_OK source check. */
  from?: Endpoint;
}

export interface BaseClientOptions {
  identity: Identity;
  /** The base server's TCP address. */
  base: Endpoint;
  /** Source IP for both sockets (default: whatever the kernel picks). */
  localIp?: string;
  /** Received messages kept for waitFor; older ones are discarded beyond this. */
  keep?: number;
}

type Waiter = { match: (r: Received) => boolean; resolve: (r: Received) => void };

function must<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

export class BaseClient {
  /** The base's UDP endpoints from the last STATE. */
  state: Endpoint[] = [];
  private readonly received: Received[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners: ((r: Received) => void)[] = [];
  private readonly keep: number;
  private natCounter = 0n;
  private closed = false;

  private constructor(
    readonly identity: Identity,
    private readonly tcp: Socket,
    readonly udp: UdpSocket,
    readonly cookie: Uint8Array,
    decoder: FrameDecoder,
    keep: number,
  ) {
    this.keep = keep;
    tcp.on('data', (chunk: Buffer) => {
      const { frames } = decoder.push(chunk);
      for (const frame of frames) this.accept('tcp', frame);
    });
    udp.on('message', (packet, from) => {
      const source = makeEndpoint(from.address, from.port);
      this.accept('udp', packet, source.ok ? source.value : undefined);
    });
  }

  /** Connects, waits for the base's HELLO, and binds a UDP socket on the same source IP. */
  static async connect(options: BaseClientOptions, timeoutMs = 5000): Promise<BaseClient> {
    const tcp = connect({
      host: options.base.ip,
      port: options.base.port,
      localAddress: options.localIp,
      noDelay: true,
    });
    tcp.on('error', () => {});
    const decoder = new FrameDecoder();
    const cookie = await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no HELLO from the base server in time')), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        tcp.destroy();
        reject(error);
      };
      tcp.once('error', fail);
      tcp.once('close', () => fail(new Error('the base server closed the connection before HELLO')));
      const onData = (chunk: Buffer) => {
        const { frames, error } = decoder.push(chunk);
        if (error) return fail(new Error(error.message));
        const first = frames[0];
        if (!first) return;
        const hello = decodeBaseToPeer(first);
        if (!hello.ok || hello.value.kind !== 'hello')
          return fail(new Error('the first message was not HELLO'));
        clearTimeout(timer);
        tcp.off('data', onData);
        tcp.removeAllListeners('close');
        tcp.off('error', fail);
        resolve(hello.value.cookie.slice());
      };
      tcp.on('data', onData);
    });
    const udp = createSocket(options.base.ip.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => udp.bind(0, options.localIp, resolve));
    return new BaseClient(options.identity, tcp, udp, cookie, decoder, options.keep ?? 1000);
  }

  get tcpOpen(): boolean {
    return !this.tcp.destroyed && !this.tcp.readableEnded;
  }

  /** Resolves when the server closes the TCP connection. */
  tcpClosed(): Promise<void> {
    return this.tcp.destroyed || this.tcp.readableEnded
      ? Promise.resolve()
      : new Promise((resolve) => this.tcp.once('close', () => resolve()));
  }

  /** Stops reading TCP, like a client that has hung. */
  stopReading(): void {
    this.tcp.pause();
  }

  get udpPort(): number {
    return this.udp.address().port;
  }

  encode(message: PeerToBaseMessage, cookie: Uint8Array = this.cookie): Uint8Array {
    return must(encodePeerToBase(message, this.identity, cookie));
  }

  /** Frames and sends one payload on TCP. */
  sendFrame(payload: Uint8Array): void {
    this.tcp.write(must(encodeFrame(payload)));
  }

  /** Sends bytes on TCP as they are, framing included or not. */
  sendRawTcp(bytes: Uint8Array): void {
    this.tcp.write(bytes);
  }

  sendUdp(bytes: Uint8Array, to: Endpoint = this.firstStateEndpoint()): void {
    this.udp.send(bytes, to.port, to.ip);
  }

  info(endpoints: Endpoint[]): void {
    this.sendFrame(this.encode({ kind: 'info', endpoints }));
  }

  requestInfo(target: Uint8Array): void {
    this.sendFrame(this.encode({ kind: 'requestInfo', target }));
  }

  userAgent(text: string): void {
    this.sendFrame(this.encode({ kind: 'userAgent', userAgent: text }));
  }

  /** NAT_INIT to every STATE endpoint, as stock clients do. */
  natInit(): void {
    const message = this.encode({ kind: 'natInit', counter: this.natCounter++ });
    for (const endpoint of this.state) this.sendUdp(message, endpoint);
  }

  data(target: Uint8Array, packet: Uint8Array, via: 'tcp' | 'udp'): void {
    const message = this.encode({ kind: 'data', source: this.identity.address, target, packet });
    if (via === 'tcp') this.sendFrame(message);
    else this.sendUdp(message);
  }

  /** INFO, then the STATE that answers it; also remembers the STATE endpoints. */
  async register(
    endpoints: Endpoint[] = [{ ip: '127.0.0.1', port: this.udpPort }],
    timeoutMs = 5000,
  ): Promise<Endpoint[]> {
    this.info(endpoints);
    await this.waitFor((r) => r.message.kind === 'state', timeoutMs);
    return this.state;
  }

  /** NAT_INIT every `intervalMs` until NAT_OK arrives (stock clients retry every 3 s). */
  async natInitUntilOk(timeoutMs = 5000, intervalMs = 500): Promise<Received> {
    this.natInit();
    const timer = setInterval(() => this.natInit(), intervalMs);
    try {
      return await this.waitFor((r) => r.message.kind === 'natOk', timeoutMs);
    } finally {
      clearInterval(timer);
    }
  }

  /** Whether a message matching `match` arrived and is still kept (not taken by waitFor). */
  holds(match: (r: Received) => boolean): boolean {
    return this.received.some(match);
  }

  /** The oldest kept message matching `match` (taken out of the queue), or the next to arrive. */
  waitFor(match: (r: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const index = this.received.findIndex(match);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching message from the base server within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Calls `listener` with every message from now on, besides keeping it for waitFor. */
  listen(listener: (r: Received) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tcp.destroy();
    this.udp.close();
  }

  private firstStateEndpoint(): Endpoint {
    const first = this.state[0];
    if (!first) throw new Error('no STATE yet: register() first');
    return first;
  }

  private accept(via: 'tcp' | 'udp', bytes: Uint8Array, from?: Endpoint): void {
    // Decoded fields are views: give them bytes of their own rather than a socket's whole chunk.
    const decoded = decodeBaseToPeer(new Uint8Array(bytes));
    if (!decoded.ok) return;
    const message = decoded.value;
    if (message.kind === 'state') this.state = message.endpoints;
    const received: Received = { via, message, at: performance.now(), ...(from ? { from } : {}) };
    for (const listener of this.listeners) listener(received);
    for (const waiter of this.waiters) {
      if (!waiter.match(received)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(received);
      return;
    }
    this.received.push(received);
    if (this.received.length > this.keep) this.received.shift();
  }
}
