// The link to a base server, speaking as a stock client does (PROTOCOL.md §5): a framed TCP
// connection (HELLO cookie, USER_AGENT, INFO, STATE), NAT_INIT over our shared UDP socket until
// NAT_OK, DATA over UDP while the base answers there, else TCP. The list can be replaced while
// running (a server set up with `hnet setup-server`). Existing direct paths do not depend on any of
// this. Better than stock:
// - every base of the list is measured (base-probe.ts) and the nearest that answers is used, the
//   others in order of their round trips (base-selection.ts); they are measured again now and then,
//   and a clearly nearer one that answers again is moved back to;
// - a base that stops acknowledging anything is left within about 4 s (stock: 35 s of silence): the
//   kernel ends the connection itself (io/tcp-liveness.ts: keepalive probes from 1 s of idleness,
//   and no data left unacknowledged for 3 s), which costs the base a kernel ACK a second and no
//   work of its own; where the kernel cannot be told (no addon, not Linux), a base quiet for 2 s is
//   asked (INFO, which every base answers with STATE) and left when it does not answer within 1.5 s;
// - while peers' traffic goes through the base over UDP, NAT_INIT goes every second, and UDP that
//   stops answering moves to TCP within 4 s (stock: up to 35 s of relayed packets lost).
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
import { BaseSelection } from './base-selection.js';
import { connectFailure, probeBase } from './base-probe.js';
import type { DropCounter } from '../drops.js';
import type { Logger } from '../log.js';
import type { RelayKind } from './paths.js';
import type { BaseServerReading, BaseStatus } from '../../contract/status.js';
import type { UdpTarget, UdpTransport } from '../io/udp-socket.js';
import { watchTcpLiveness, type TcpLiveness } from '../io/tcp-liveness.js';
import { HNET_VERSION } from '../version.js';

/** Stock clients send INFO this often; the base answers each with STATE, which keeps TCP alive. */
const INFO_INTERVAL_MS = 25_000;
/** Without a connection, a base that answers this soon after the first to answer may still be chosen. */
const ANSWER_GRACE_MS = 250;
/** The kernel probes the idle connection every second and ends it after 3 s without an answer. */
const KERNEL_LIVENESS: TcpLiveness = { idleSeconds: 1, intervalSeconds: 1, probes: 3, unackedMs: 3_000 };
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

/** How soon the connection asks, gives up, and measures again (tests shorten them). */
export interface BaseTiming {
  /** Asks the kernel to end the connected socket once the base stops acknowledging; false: it cannot. */
  kernelWatch: (socket: Socket) => boolean;
  /**
   * Without the kernel watching, nothing heard from the base this long: an INFO asks whether it is
   * still there…
   */
  quietMs: number;
  /** …and a base that leaves an INFO unanswered this long, saying nothing else, is left. */
  answerMs: number;
  /** A measurement that gets no HELLO within this long counts the base as unreachable. */
  probeTimeoutMs: number;
  /** How often bases measured nearer than the one in use (failed since) or never answering are measured… */
  recheckMs: number;
  /** …and every base of the list, to follow changes of the network. */
  remeasureMs: number;
  /** Between rounds of measurements while no base answers. */
  retryMs: number;
}

export const defaultBaseTiming: BaseTiming = {
  kernelWatch: (socket) => watchTcpLiveness(socket, KERNEL_LIVENESS),
  quietMs: 2_000,
  answerMs: 1_500,
  probeTimeoutMs: 3_000,
  recheckMs: 30_000,
  remeasureMs: 300_000,
  retryMs: 3_000,
};

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

export class BaseConnection {
  private servers: BaseServerAddress[];
  private selection: BaseSelection;
  /** The server connected or being connected to. */
  private server: BaseServerAddress | undefined;
  private socket: Socket | undefined;
  private decoder = new FrameDecoder();
  private cookie: Uint8Array | undefined;
  private stateEndpoints: StateEndpoint[] = [];
  /** Anything from the base: a TCP frame, or a datagram from its UDP relay. */
  private lastHeardAt = 0;
  private lastInfoAt = -Infinity;
  /** Whether the kernel ends the current connection by itself when the base goes silent. */
  private kernelWatching = false;
  /** When the oldest INFO still waiting for its STATE was sent. */
  private stateAwaitedSince: number | undefined;
  /** Bumped by every new list, so that a measurement of an old list is not taken for the new one. */
  private generation = 0;
  private measuring = false;
  /** The current round of measurements began while a base was in use. */
  private measuringInUse = false;
  /** When the current round of measurements heard its first HELLO. */
  private firstAnswerAt: number | undefined;
  /** When the connection in use said HELLO; undefined when none did since the last failure. */
  private connectedAt: number | undefined;
  /** The first measurement comes before the first connection. */
  private nextMeasureAt = 0;
  private nextFullMeasureAt = 0;
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
  private readonly timing: BaseTiming;

  constructor(
    private readonly c: BaseComponents,
    servers: readonly string[],
    private readonly udp: UdpTransport,
    private readonly drops: DropCounter,
    private readonly handlers: BaseHandlers,
    private readonly localEndpoints: () => Endpoint[],
    timing: Partial<BaseTiming> = {},
  ) {
    this.timing = { ...defaultBaseTiming, ...timing };
    this.servers = parseServerList(servers);
    this.selection = new BaseSelection(this.servers.map((s) => s.text));
  }

  start(): void {
    // The timer runs even without servers, so a list given later is picked up at once.
    this.timer = setInterval(() => this.housekeeping(performance.now()), HOUSEKEEPING_MS);
    this.housekeeping(performance.now());
  }

  /**
   * Connects to these servers from now on: the current connection (to a server of the old list)
   * ends and the new list is measured at once. Peers fall back as on any base loss.
   */
  useServers(texts: readonly string[]): void {
    const servers = parseServerList(texts);
    if (servers.map((s) => s.text).join(',') === this.servers.map((s) => s.text).join(',')) return;
    const previous = this.servers.map((s) => s.text).join(',') || 'none';
    if (this.socket) this.disconnect(`switched to ${texts.join(', ') || 'no base server'}`);
    this.servers = servers;
    this.selection = new BaseSelection(servers.map((s) => s.text));
    this.generation += 1;
    this.measuring = false;
    this.nextMeasureAt = 0;
    this.nextFullMeasureAt = 0;
    this.server = undefined;
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
    return { ...this.state(), servers: this.readings() };
  }

  private state(): BaseStatus {
    const server = this.server?.text ?? this.selection.next() ?? this.servers[0]?.text ?? null;
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
      return {
        state: 'connecting',
        transport: null,
        server,
        reason: this.socket ? `connecting to ${server}` : 'measuring the base servers',
      };
    return {
      state: 'unreachable',
      transport: null,
      server,
      reason: `${this.lastFailure}; trying again every ${this.timing.retryMs / 1000} s — direct peers keep working`,
    };
  }

  /** Every base as last measured, nearest first: honest about what is not known. */
  private readings(): BaseServerReading[] {
    const wallOffset = Date.now() - performance.now();
    return this.selection.readings().map((r) => ({
      server: r.server,
      state:
        r.server === this.server?.text && this.cookie
          ? 'in use'
          : r.failure !== undefined
            ? 'unreachable'
            : r.at === undefined
              ? 'unknown'
              : 'answering',
      rttMs: r.rttMs === undefined ? null : Math.round(r.rttMs * 100) / 100,
      measuredAt: r.at === undefined ? null : new Date(wallOffset + r.at).toISOString(),
      reason: r.failure ?? '',
    }));
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
      this.lastHeardAt = this.lastNatOkAt;
      this.natInitsUnanswered = 0;
      this.natOkAwaitedSince = undefined;
      this.udpStoppedAnswering = false;
      this.updateRelay(this.lastNatOkAt);
      return;
    }
    if (msg.kind === 'data') {
      this.lastHeardAt = receivedAt;
      return this.handlers.data(msg.source, msg.packet, receivedAt);
    }
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
    this.stateAwaitedSince ??= this.lastInfoAt;
    this.sendSigned({ kind: 'info', endpoints: this.localEndpoints() });
  }

  private housekeeping(now: number): void {
    if (this.stopped || !this.timer || this.servers.length === 0) return;
    if (now >= this.nextMeasureAt && !this.measuring) this.measure(now, this.socket !== undefined);
    if (!this.socket) {
      if (now < this.nextAttemptAt) return;
      const next = this.servers.find((s) => s.text === this.selection.next());
      // A round that began without a connection may still find a nearer one, for a moment.
      const settled =
        !this.measuring ||
        this.measuringInUse ||
        (this.firstAnswerAt !== undefined && now - this.firstAnswerAt >= ANSWER_GRACE_MS);
      if (next && settled) this.connect(next, now);
      else if (!next && !this.measuring) this.measure(now, false);
      return;
    }
    if (!this.cookie) return;
    const { quietMs, answerMs } = this.timing;
    if (
      this.stateAwaitedSince !== undefined &&
      now - this.stateAwaitedSince >= answerMs &&
      now - this.lastHeardAt >= answerMs
    ) {
      this.fail(
        `${this.currentServer()} stopped answering (no STATE within ${answerMs / 1000} s of an INFO)`,
      );
      return;
    }
    if (
      now - this.lastInfoAt >= INFO_INTERVAL_MS ||
      (this.suspect(now) && !this.stateAwaitedSince && now - this.lastInfoAt >= quietMs)
    )
      this.sendInfo();
    const checking = this.relayChecked(now);
    const wanted = checking || this.udpStoppedAnswering || now - this.lastNatOkAt >= NAT_REFRESH_MS;
    const gap = checking ? RELAY_CHECK_MS : NAT_INIT_RETRY_MS;
    if (this.stateEndpoints.length > 0 && wanted && now - this.lastNatInitAt >= gap) this.sendNatInit(now);
    this.updateRelay(now);
  }

  /**
   * Whether the base may have stopped answering: worth asking (INFO), which costs it a signature
   * check. Never while the kernel watches: it ends a silent connection by itself.
   */
  private suspect(now: number): boolean {
    return !this.kernelWatching && now - this.lastHeardAt >= this.timing.quietMs;
  }

  /** Peers' traffic goes through the base's UDP relay now, so its answers are checked every second. */
  private relayChecked(now: number): boolean {
    return this.relay === 'udp' && now - this.relayUsedAt <= RELAY_IN_USE_MS;
  }

  private currentServer(): string {
    return this.server?.text ?? 'the base';
  }

  /**
   * Measures the bases (all, or while one is in use only those worth rechecking), and then moves to
   * one clearly nearer than the one in use. Without a connection, the nearest to answer within
   * ANSWER_GRACE_MS of the first answer is connected to at once (housekeeping), without waiting
   * for bases that do not answer at all.
   */
  private measure(now: number, inUse: boolean): void {
    const current = this.server?.text;
    const nearer = inUse && current !== undefined ? new Set(this.selection.nearerOnes(current)) : undefined;
    const full = now >= this.nextFullMeasureAt || nearer === undefined;
    const servers = full ? this.servers : this.servers.filter((s) => nearer.has(s.text));
    const generation = this.generation;
    const results: string[] = [];
    this.measuring = true;
    this.measuringInUse = inUse;
    this.firstAnswerAt = undefined;
    this.nextMeasureAt = Infinity;
    if (full) this.nextFullMeasureAt = now + this.timing.remeasureMs;
    const probes = servers.map(async (s) => {
      const result = await probeBase(s, this.timing.probeTimeoutMs);
      if (generation !== this.generation || this.stopped) return;
      const at = performance.now();
      this.selection.record(s.text, result, at);
      if (result.ok) this.firstAnswerAt ??= at;
      results.push(`${s.text} ${result.ok ? `${result.rttMs.toFixed(2)} ms` : result.reason}`);
    });
    void Promise.all(probes).then(() => {
      if (generation !== this.generation || this.stopped) return;
      const done = performance.now();
      this.measuring = false;
      this.c.log.debug('base-measured', { results: results.join('; ') });
      const none = this.selection.next() === undefined;
      // No base answered: the next round no sooner than the retry gap after this one began.
      this.nextAttemptAt = none ? now + this.timing.retryMs : 0;
      if (none && !this.socket) {
        this.failedSinceConnected = true;
        this.lastFailure = this.selection
          .readings()
          .flatMap((r) => r.failure ?? [])
          .join('; ');
      }
      this.scheduleMeasure(done);
      this.moveNearer();
      this.c.changed();
      this.housekeeping(done);
    });
  }

  /** Soon while a base nearer than the one in use fails (to come back to it), else rarely. */
  private scheduleMeasure(now: number): void {
    const current = this.server?.text;
    const recheck = current !== undefined && this.selection.nearerOnes(current).length > 0;
    this.nextMeasureAt = Math.min(now + (recheck ? this.timing.recheckMs : Infinity), this.nextFullMeasureAt);
  }

  private moveNearer(): void {
    const current = this.server;
    if (!current || !this.cookie) return;
    const nearer = this.selection.nearerThan(current.text);
    if (nearer === undefined) return;
    this.c.log.info('base-moving-nearer', { from: current.text, to: nearer });
    this.disconnect(`${nearer} is nearer`);
    this.nextAttemptAt = 0;
  }

  private connect(server: BaseServerAddress, now: number): void {
    this.server = server;
    this.decoder = new FrameDecoder();
    const socket = connect({ host: server.host, port: server.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      if (socket === this.socket) this.kernelWatching = this.timing.kernelWatch(socket);
    });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (!this.cookie) this.fail(`${server.text} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
    });
    socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
    socket.on('error', (error) => {
      const silent = this.kernelWatching && (error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
      const seconds = KERNEL_LIVENESS.unackedMs / 1000;
      this.fail(
        silent
          ? `${server.text} stopped answering (nothing acknowledged for ${seconds} s)`
          : connectFailure(server.text, error),
        socket,
      );
    });
    socket.on('close', () => this.fail(`${server.text} closed the connection`, socket));
    this.lastHeardAt = now;
    this.c.log.debug('base-connecting', { server: server.text });
    this.c.changed();
  }

  /**
   * Ends the current connection (if `socket` is still it) and moves on at once to the next base
   * that answered; with none left, measures them all again after the retry gap.
   */
  private fail(reason: string, socket: Socket | undefined = this.socket): void {
    if (!socket || socket !== this.socket) return;
    const now = performance.now();
    // A base that answers measurements but drops every session must not be dialled in a loop.
    const worked = this.connectedAt !== undefined && now - this.connectedAt >= this.timing.retryMs;
    this.disconnect(reason);
    if (this.server) this.selection.failed(this.server.text, reason, now);
    this.lastFailure = reason;
    this.failedSinceConnected = true;
    this.nextAttemptAt = worked || this.selection.next() !== undefined ? now : now + this.timing.retryMs;
    this.c.changed();
    this.housekeeping(now);
  }

  private disconnect(reason: string): void {
    const wasConnected = this.cookie !== undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.cookie = undefined;
    this.stateEndpoints = [];
    this.stateAwaitedSince = undefined;
    this.kernelWatching = false;
    this.connectedAt = undefined;
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
    this.lastHeardAt = performance.now();
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
        this.connectedAt = now;
        this.c.log.info('base-connected', { server: this.currentServer() });
        this.scheduleMeasure(now);
        this.updateRelay(now);
        this.handlers.connected();
        this.c.changed();
        return;
      case 'state':
        this.stateAwaitedSince = undefined;
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
