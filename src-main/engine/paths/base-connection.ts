// The link to a base server, behaving exactly as a stock client does (PROTOCOL.md §5): a framed TCP
// connection (HELLO cookie, USER_AGENT, INFO every 25 s, reconnect after 35 s of silence), NAT_INIT
// over our shared UDP socket until NAT_OK, DATA over UDP while the base answers there, else TCP.
// Several base servers are walked round-robin, 3 s between tries, for as long as the engine runs;
// the list can be replaced while running (a server set up with `hnet setup-server`). Existing
// direct paths do not depend on any of this. Better than stock: while peers' traffic goes through
// the base over UDP, NAT_INIT goes every second, and UDP that stops answering moves to TCP within 4 s
// (stock: up to 35 s of relayed packets lost).
import { connect, type Socket } from 'node:net';
import { ADDRESS_LENGTH } from '../../../src-protocol/address.js';
import {
  decodeBaseToPeer,
  encodeFrame,
  encodePeerToBase,
  FRAME_HEADER_LENGTH,
  FrameDecoder,
  MAX_FRAME_PAYLOAD,
  type BaseToPeerMessage,
  type PeerToBaseMessage,
} from '../../../src-protocol/base-messages.js';
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import type { Identity } from '../../../src-protocol/identity.js';
import { parseServerAddress, type BaseServerAddress } from './base-server-address.js';
import type { DropCounter } from '../drops.js';
import { errorText } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { RelayKind } from './paths.js';
import type { BaseStatus } from '../../contract/status.js';
import type { UdpTarget, UdpTransport } from '../io/udp-socket.js';
import { HNET_VERSION } from '../version.js';

/** Stock clients send INFO this often; the base answers each with STATE, which keeps TCP alive. */
const INFO_INTERVAL_MS = 25_000;
/** Nothing heard on TCP this long: the connection is dead even if the kernel has not noticed. */
const TCP_SILENCE_MS = 35_000;
/** Between connection attempts, and between servers of the list. */
const RETRY_MS = 3_000;
/** A connect that neither succeeds nor fails within this long is abandoned. */
const CONNECT_TIMEOUT_MS = 5_000;
/** NAT_INIT is repeated this often until NAT_OK arrives… */
const NAT_INIT_RETRY_MS = 3_000;
/** …and refreshed this long after the last NAT_OK, well before base UDP expires. */
const NAT_REFRESH_MS = 20_000;
/** Base UDP counts as alive this long after the last NAT_OK… */
const BASE_UDP_ALIVE_MS = 35_000;
/** …unless peers' traffic goes through it: then NAT_INIT goes this often… */
const RELAY_CHECK_MS = 1_000;
/** …and once one has waited this long for its NAT_OK, the relay moves to TCP. */
const RELAY_ANSWER_WAIT_MS = 2_500;
/** The data plane says the relay is in use at every tick (200 ms); quiet this long, it is not. */
const RELAY_IN_USE_MS = 1_000;
/** Unanswered NAT_INITs before the status says UDP to the base is blocked. */
const NAT_INITS_BEFORE_BLOCKED = 2;
/** Relayed data waiting in the TCP send buffer beyond this is dropped rather than queued forever. */
const MAX_TCP_BACKLOG = 1024 * 1024;
const HOUSEKEEPING_MS = 250;
/** Stock clients announce `Husarnet,Linux,x86_64,2.0.343`; the base only logs it. */
const USER_AGENT = `hnet,Linux,${process.arch},${HNET_VERSION}`.replace(/[^\x20-\x7e]/g, '?');

const TCP_FRAME_MAGIC = [0x17, 0x03, 0x03] as const;
const PEER_TO_BASE_DATA = 1;
const DATA_HEADER_LENGTH = 1 + 2 * ADDRESS_LENGTH;
/** Largest security packet a relayed DATA can carry inside one TCP frame. */
const MAX_RELAYED_PACKET = MAX_FRAME_PAYLOAD - DATA_HEADER_LENGTH;

/** The base's UDP relay: where relayed DATA goes (its first STATE endpoint) and may come from. */
export interface UdpRelay {
  target: UdpTarget;
  sources: UdpTarget[];
}

/** What the connection needs from the engine: whose key it speaks with, where it logs, whom it tells. */
export interface BaseComponents {
  identity: Identity;
  log: Logger;
  /** Something a user can see changed (the base's state). */
  changed(): void;
}

export interface BaseHandlers {
  deviceAddresses(id: Uint8Array, endpoints: Endpoint[]): void;
  /** `receivedAt`: when a datagram's socket read it; absent over TCP (now, then). */
  data(source: Uint8Array, packet: Uint8Array, receivedAt?: number): void;
  /** A (new) connection is authenticated: ask again about every peer. */
  connected(): void;
  relayChanged(relay: RelayKind): void;
}

interface StateEndpoint {
  endpoint: Endpoint;
  target: UdpTarget;
}

const parseServerList = (texts: readonly string[]): BaseServerAddress[] =>
  texts.flatMap((text) => parseServerAddress(text) ?? []);

/** Why a connection to `server` failed, in words rather than an errno name. */
function connectFailure(server: string, error: Error): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `${server} refused the connection (is its base server running?)`;
    case 'ECONNRESET':
      return `${server} reset the connection`;
    case 'ETIMEDOUT':
      return `${server} did not answer`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${server} from this network`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the name in ${server} does not resolve`;
    default:
      return `cannot reach ${server}: ${errorText(error)}`;
  }
}

export class BaseConnection {
  private servers: BaseServerAddress[];
  private serverIndex = 0;
  private socket: Socket | undefined;
  private decoder = new FrameDecoder();
  private cookie: Uint8Array | undefined;
  private stateEndpoints: StateEndpoint[] = [];
  private lastTcpHeardAt = 0;
  private lastInfoAt = -Infinity;
  private lastNatOkAt = -Infinity;
  private lastNatInitAt = -Infinity;
  private natInitsUnanswered = 0;
  /** The first NAT_INIT sent since the last NAT_OK; undefined while all were answered. */
  private natOkAwaitedSince: number | undefined;
  /** The relay's UDP went quiet while in use: TCP until a NAT_OK comes again. */
  private udpStoppedAnswering = false;
  private relayUsedAt = -Infinity;
  /** A connection was lost or failed since the last one that worked (or since the list changed). */
  private failedSinceConnected = false;
  private natCounter = 0n;
  private nextAttemptAt = 0;
  private lastFailure = '';
  private relay: RelayKind = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly c: BaseComponents,
    servers: readonly string[],
    private readonly udp: UdpTransport,
    private readonly drops: DropCounter,
    private readonly handlers: BaseHandlers,
    private readonly localEndpoints: () => Endpoint[],
  ) {
    this.servers = parseServerList(servers);
  }

  start(): void {
    // The timer runs even without servers, so a list given later is picked up at once.
    this.timer = setInterval(() => this.housekeeping(performance.now()), HOUSEKEEPING_MS);
    this.housekeeping(performance.now());
  }

  /**
   * Connects to these servers from now on: the current connection (to a server of the old list)
   * ends and the first of the new list is dialled at once. Peers fall back as on any base loss.
   */
  useServers(texts: readonly string[]): void {
    const servers = parseServerList(texts);
    if (servers.map((s) => s.text).join(',') === this.servers.map((s) => s.text).join(',')) return;
    const previous = this.servers.map((s) => s.text).join(',') || 'none';
    if (this.socket) this.disconnect(`switched to ${texts.join(', ') || 'no base server'}`);
    this.servers = servers;
    this.serverIndex = 0;
    this.lastFailure = '';
    this.failedSinceConnected = false;
    this.nextAttemptAt = 0;
    this.c.log.info('base-servers-changed', { from: previous, to: texts.join(',') || 'none' });
    this.housekeeping(performance.now());
    this.c.changed();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }

  get relayKind(): RelayKind {
    return this.relay;
  }

  /** Peers' traffic goes through the base now: UDP that stops answering must be noticed fast. */
  relayInUse(now: number): void {
    this.relayUsedAt = now;
  }

  status(): BaseStatus {
    const server = this.servers[this.serverIndex]?.text ?? null;
    if (this.servers.length === 0)
      return {
        state: 'offline',
        transport: null,
        server: null,
        reason: 'no base server configured (hnet setup-server <url> sets one up): LAN peers only',
      };
    if (this.cookie && this.relay) {
      const reason =
        this.relay === 'udp'
          ? ''
          : this.lastNatOkAt !== -Infinity
            ? 'UDP to the base stopped answering, using TCP'
            : this.natInitsUnanswered >= NAT_INITS_BEFORE_BLOCKED
              ? 'UDP to the base blocked, using TCP'
              : 'checking whether UDP reaches the base';
      return { state: 'connected', transport: this.relay, server, reason };
    }
    if (!this.failedSinceConnected)
      return { state: 'connecting', transport: null, server, reason: `connecting to ${server}` };
    return {
      state: 'unreachable',
      transport: null,
      server,
      reason: `${this.lastFailure}; trying again every ${RETRY_MS / 1000} s — direct peers keep working`,
    };
  }

  /** Where relayed DATA goes over UDP and may come from, while the base's UDP relay is alive. */
  udpRelay(): UdpRelay | undefined {
    const first = this.stateEndpoints[0];
    if (this.relay !== 'udp' || !first) return undefined;
    return { target: first.target, sources: this.stateEndpoints.map((s) => s.target) };
  }

  /** The server in use and the UDP endpoints its STATE announced, once it has (`hnet netcheck`). */
  announced(): { server: string; udp: Endpoint[] } | undefined {
    if (this.stateEndpoints.length === 0) return undefined;
    return { server: this.currentServer(), udp: this.stateEndpoints.map((s) => s.endpoint) };
  }

  /** Whether a datagram came from one of the base's UDP endpoints (then it is the base's to read). */
  isBaseSource(ip: string, port: number): boolean {
    for (const s of this.stateEndpoints) if (s.endpoint.port === port && s.endpoint.ip === ip) return true;
    return false;
  }

  handleDatagram(message: Buffer, ip: string, port: number, receivedAt: number): void {
    const decoded = decodeBaseToPeer(message);
    if (!decoded.ok) return this.drops.count('base-udp-malformed');
    const msg = decoded.value;
    if (msg.kind === 'natOk') {
      const first = this.stateEndpoints[0]?.endpoint;
      // Stock rule: only the first STATE address vouches that UDP works both ways.
      if (!first || first.ip !== ip || first.port !== port)
        return this.drops.count('base-nat-ok-wrong-source');
      this.lastNatOkAt = performance.now();
      this.natInitsUnanswered = 0;
      this.natOkAwaitedSince = undefined;
      this.udpStoppedAnswering = false;
      this.updateRelay(this.lastNatOkAt);
      return;
    }
    if (msg.kind === 'data') return this.handlers.data(msg.source, msg.packet, receivedAt);
    this.drops.count('base-udp-unexpected');
  }

  /** Relays a security packet to `target` (UDP while base UDP is alive, else TCP); false if it could not. */
  sendData(target: Uint8Array, packet: Uint8Array): boolean {
    if (!this.cookie || packet.length > MAX_RELAYED_PACKET) return false;
    const viaUdp = this.relay === 'udp' ? this.stateEndpoints[0] : undefined;
    const headerLength = viaUdp ? 0 : FRAME_HEADER_LENGTH;
    const payloadLength = DATA_HEADER_LENGTH + packet.length;
    const out = Buffer.allocUnsafe(headerLength + payloadLength);
    if (!viaUdp) {
      out[0] = TCP_FRAME_MAGIC[0];
      out[1] = TCP_FRAME_MAGIC[1];
      out[2] = TCP_FRAME_MAGIC[2];
      out[3] = payloadLength & 0xff;
      out[4] = payloadLength >> 8;
    }
    out[headerLength] = PEER_TO_BASE_DATA;
    out.set(this.c.identity.address, headerLength + 1);
    out.set(target, headerLength + 1 + ADDRESS_LENGTH);
    out.set(packet, headerLength + DATA_HEADER_LENGTH);
    if (viaUdp) {
      this.udp.send(out, viaUdp.target);
      return true;
    }
    const socket = this.socket;
    if (!socket || socket.writableLength > MAX_TCP_BACKLOG) return false;
    socket.write(out);
    return true;
  }

  requestInfo(target: Uint8Array): void {
    this.sendSigned({ kind: 'requestInfo', target });
  }

  /** Our addresses changed: tell the base now rather than at the next 25 s INFO. */
  sendInfo(): void {
    if (!this.cookie) return;
    this.lastInfoAt = performance.now();
    this.sendSigned({ kind: 'info', endpoints: this.localEndpoints() });
  }

  private housekeeping(now: number): void {
    if (this.stopped || !this.timer) return;
    if (!this.socket) {
      if (this.servers.length > 0 && now >= this.nextAttemptAt) this.connect(now);
      return;
    }
    if (!this.cookie) return;
    if (now - this.lastTcpHeardAt > TCP_SILENCE_MS) {
      this.fail(`nothing heard from ${this.currentServer()} for ${TCP_SILENCE_MS / 1000} s`);
      return;
    }
    if (now - this.lastInfoAt >= INFO_INTERVAL_MS) this.sendInfo();
    const checking = this.relayChecked(now);
    const wanted = checking || this.udpStoppedAnswering || now - this.lastNatOkAt >= NAT_REFRESH_MS;
    const gap = checking ? RELAY_CHECK_MS : NAT_INIT_RETRY_MS;
    if (this.stateEndpoints.length > 0 && wanted && now - this.lastNatInitAt >= gap) this.sendNatInit(now);
    this.updateRelay(now);
  }

  /** Peers' traffic goes through the base's UDP relay now, so its answers are checked every second. */
  private relayChecked(now: number): boolean {
    return this.relay === 'udp' && now - this.relayUsedAt <= RELAY_IN_USE_MS;
  }

  private currentServer(): string {
    return this.servers[this.serverIndex]?.text ?? 'the base';
  }

  private connect(now: number): void {
    const server = this.servers[this.serverIndex]!;
    this.decoder = new FrameDecoder();
    const socket = connect({ host: server.host, port: server.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (!this.cookie) this.fail(`${server.text} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
    });
    socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
    socket.on('error', (error) => this.fail(connectFailure(server.text, error), socket));
    socket.on('close', () => this.fail(`${server.text} closed the connection`, socket));
    this.lastTcpHeardAt = now;
    this.c.log.debug('base-connecting', { server: server.text });
    this.c.changed();
  }

  /** Ends the current connection (if `socket` is still it) and moves on to the next server. */
  private fail(reason: string, socket: Socket | undefined = this.socket): void {
    if (!socket || socket !== this.socket) return;
    this.disconnect(reason);
    this.lastFailure = reason;
    this.failedSinceConnected = true;
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    this.nextAttemptAt = performance.now() + RETRY_MS;
    this.c.changed();
  }

  private disconnect(reason: string): void {
    const wasConnected = this.cookie !== undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.cookie = undefined;
    this.stateEndpoints = [];
    this.lastNatOkAt = -Infinity;
    this.natInitsUnanswered = 0;
    this.natOkAwaitedSince = undefined;
    this.udpStoppedAnswering = false;
    // A lost connection is news; another failed attempt every 3 s is not.
    if (wasConnected) this.c.log.info('base-disconnected', { reason });
    else this.c.log.debug('base-connect-failed', { reason });
    this.updateRelay(performance.now());
  }

  private receive(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.lastTcpHeardAt = performance.now();
    const pushed = this.decoder.push(chunk);
    for (const frame of pushed.frames) {
      const decoded = decodeBaseToPeer(frame);
      if (decoded.ok) this.handleTcpMessage(decoded.value);
      else this.drops.count('base-tcp-malformed');
      if (socket !== this.socket) return;
    }
    if (pushed.error) {
      this.drops.count('base-tcp-bad-framing');
      this.fail(
        `${this.currentServer()} sent data that is not a base server stream: ${pushed.error.message}`,
      );
    }
  }

  private handleTcpMessage(msg: BaseToPeerMessage): void {
    const now = performance.now();
    switch (msg.kind) {
      case 'hello':
        this.cookie = msg.cookie.slice();
        this.failedSinceConnected = false;
        this.socket?.setTimeout(0);
        this.sendFramed(this.encode({ kind: 'userAgent', userAgent: USER_AGENT }));
        this.sendInfo();
        this.c.log.info('base-connected', { server: this.currentServer() });
        this.updateRelay(now);
        this.handlers.connected();
        this.c.changed();
        return;
      case 'state':
        this.stateEndpoints = msg.endpoints.map((endpoint) => ({
          endpoint,
          target: this.udp.target(endpoint),
        }));
        if (this.lastNatOkAt === -Infinity && now - this.lastNatInitAt >= NAT_INIT_RETRY_MS)
          this.sendNatInit(now);
        return;
      case 'deviceAddresses':
        return this.handlers.deviceAddresses(msg.id.slice(), msg.endpoints);
      case 'data':
        return this.handlers.data(msg.source, msg.packet);
      case 'natOk':
        return this.drops.count('base-nat-ok-over-tcp');
      case 'redirect':
        // Stock clients ignore it too: following it would let the base steer us anywhere.
        return;
    }
  }

  private sendNatInit(now: number): void {
    const encoded = this.encode({ kind: 'natInit', counter: this.natCounter++ });
    if (!encoded) return;
    this.lastNatInitAt = now;
    this.natOkAwaitedSince ??= now;
    if (this.lastNatOkAt < now - BASE_UDP_ALIVE_MS) this.natInitsUnanswered++;
    for (const s of this.stateEndpoints) this.udp.send(encoded, s.target);
    this.c.changed();
  }

  private updateRelay(now: number): void {
    if (
      this.relayChecked(now) &&
      this.natOkAwaitedSince !== undefined &&
      now - this.natOkAwaitedSince >= RELAY_ANSWER_WAIT_MS
    )
      this.udpStoppedAnswering = true;
    const udpAlive = !this.udpStoppedAnswering && now - this.lastNatOkAt < BASE_UDP_ALIVE_MS;
    const relay: RelayKind = !this.cookie ? null : udpAlive ? 'udp' : 'tcp';
    if (relay === this.relay) return;
    this.relay = relay;
    this.c.log.info('base-relay', { transport: relay ?? 'none', server: this.currentServer() });
    this.handlers.relayChanged(relay);
    this.c.changed();
  }

  private encode(msg: PeerToBaseMessage): Uint8Array | undefined {
    if (!this.cookie) return undefined;
    const encoded = encodePeerToBase(msg, this.c.identity, this.cookie);
    return encoded.ok ? encoded.value : undefined;
  }

  private sendSigned(msg: Exclude<PeerToBaseMessage, { kind: 'data' | 'userAgent' }>): void {
    this.sendFramed(this.encode(msg));
  }

  private sendFramed(payload: Uint8Array | undefined): void {
    const framed = payload && encodeFrame(payload);
    if (framed?.ok) this.socket?.write(framed.value);
  }
}
