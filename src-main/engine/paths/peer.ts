// One peer: its security session, its paths and its counters. It decides nothing about sockets:
// packets leave through `PeerOutbound` (a direct endpoint, else the base), and the path selector says
// which. Every packet of the session — handshake, data, heartbeat — takes the same way. What comes
// back by any path, the lane's traffic included, is evidence that it answers (peer-liveness.ts).
import { formatAddress } from '../../../src-protocol/address.js';
import { formatEndpoint } from '../../../src-protocol/endpoint.js';
import { generatePeerCookie } from '../../../src-protocol/p2p-messages.js';
import { DATA_OVERHEAD } from '../../../src-protocol/security/data-packet.js';
import type { DataCipher, SealTarget } from '../../../src-protocol/security/data-cipher.js';
import { MAX_PENDING_HEARTBEATS, type SecuritySession } from '../../../src-protocol/security/session.js';
import type { DropCounter } from '../drops.js';
import { MAX_CANDIDATES, PathSelector, type Candidate, type TransitionListener } from './paths.js';
import { EchoTimer } from './echo-timer.js';
import { Liveness, RoundTrips } from './peer-liveness.js';
import type { PeerReport } from '../../contract/status.js';
import type { UdpTarget } from '../io/udp-socket.js';

/** A HELLO probe not answered within this long is forgotten (its RTT would be meaningless). */
const PROBE_ANSWER_MS = 5_000;
/**
 * While the peer is active, a security-layer heartbeat goes along its current path this often: its
 * round trip is the RTT users see (HELLO round trips, used to compare paths, include two Ed25519
 * signatures and verifications and so read several milliseconds high).
 */
export const HEARTBEAT_MS = 1_000;
/** While something we sent waits for an answer, heartbeats go this often, to tell silence from loss. */
export const UNANSWERED_HEARTBEAT_MS = 500;

export type PeerCandidate = Candidate<UdpTarget>;
/** A ping's reply came back after `ms`, from a direct candidate or (undefined) through the base. */
export type PingAnswered = (ms: number, from: PeerCandidate | undefined) => void;

/** How a peer's packets reach the network: packets/send.ts. */
export interface PeerOutbound {
  /**
   * A fresh P2P DATA datagram with its outer header written, where the session may seal a security
   * packet of `length` bytes; `sendDirect` then sends it as it is instead of copying it once more.
   */
  directBuffer(length: number): SealTarget;
  /** One security packet as P2P DATA to a direct endpoint. */
  sendDirect(packet: Uint8Array, target: UdpTarget): void;
  /** One security packet relayed by the base; false when there is no base to relay through. */
  sendRelay(peer: Uint8Array, packet: Uint8Array): boolean;
  /** A signed HELLO with this cookie to the candidate. */
  sendHello(peer: Peer, candidate: PeerCandidate, cookie: Uint8Array): void;
}

/** Where a peer's decrypted payloads go: packets/receive.ts. */
export interface PeerInbound {
  /** A decrypted tunnel payload for the TUN device; returns the IPv6 packet's length, 0 if dropped. */
  deliver(peer: Peer, payload: Uint8Array): number;
}

/**
 * The engine's native data lane (data-lane.ts), which carries an established direct session's
 * packets without entering JavaScript once the peer tells it how.
 */
export interface LaneLink {
  /** No target means through the base (the lane relays over UDP while the base's UDP relay lives). */
  route(
    peer: Uint8Array,
    cipher: DataCipher | undefined,
    target: UdpTarget | undefined,
    sources: readonly PeerCandidate[],
  ): void;
  counters(peer: Uint8Array, out: Float64Array): boolean;
  /** Round trips (ms) of the pings the lane carried since the last call (echo-timer.ts): how many it wrote. */
  echoRoundTrips(peer: Uint8Array, out: Float64Array): number;
}

/** What the lane was last told for a peer. */
interface LaneRoute {
  cipher: DataCipher | undefined;
  target: UdpTarget | undefined;
  sources: PeerCandidate[];
}

/** packetsSent, bytesSent, packetsReceived, bytesReceived (LANE_PEER_COUNTERS), then per source. */
const LANE_COUNTERS = 4;
/** Ping round trips taken from the lane at one look (it keeps as many between looks). */
const LANE_ECHOES = 16;

export interface PeerOptions {
  address: Uint8Array;
  session: SecuritySession;
  outbound: PeerOutbound;
  inbound: PeerInbound;
  drops: DropCounter;
  lane?: LaneLink;
  onTransition: (peer: Peer, ...change: Parameters<TransitionListener>) => void;
  /** The session completed a handshake (first keys or new ones). */
  onHandshake: (peer: Peer) => void;
  /** The time as packets reach the device, for ping round trips (default performance.now). */
  clock?: () => number;
}

const cookieKey = (cookie: Uint8Array): string => String.fromCharCode(...cookie);

export class Peer {
  readonly address: Uint8Array;
  readonly text: string;
  readonly path: PathSelector<UdpTarget>;
  bytesSent = 0;
  bytesReceived = 0;
  /** Sources that proved with a signed HELLO to be this peer, oldest first (PeerTable keeps them). */
  readonly sources: PeerCandidate[] = [];
  private readonly session: SecuritySession;
  private readonly outbound: PeerOutbound;
  private readonly inbound: PeerInbound;
  private readonly drops: DropCounter;
  private readonly lane: LaneLink | undefined;
  private laneRoute: LaneRoute = { cipher: undefined, target: undefined, sources: [] };
  /** What the lane reported at the last look, and the numbers just read. */
  private readonly laneSeen: Float64Array;
  private readonly laneNow: Float64Array;
  /** The path changed: the lane's route may be stale. */
  private laneStale = false;
  /** Kept off the lane: every packet of this peer goes through JavaScript (keepOffLane). */
  private offLane = false;
  private readonly onHandshake: (peer: Peer) => void;
  private readonly probes = new Map<string, number>();
  private lastHeartbeatAt = -Infinity;
  /** Something had no way to the peer (no candidate, no base): the next way that appears retries. */
  private stranded = false;
  /** The last tick sent a HELLO: a heartbeat now would queue behind its signature checks. */
  private probedLastTick = false;
  /** Our heartbeats awaiting a reply: when each was sent, and on which path. */
  private readonly heartbeatPaths: { sentAt: number; path: string }[] = [];
  /** `hnet ping`s awaiting their heartbeat's reply, by the time it was sent. */
  private readonly pings = new Map<number, PingAnswered>();
  readonly liveness = new Liveness();
  private readonly roundTrips = new RoundTrips();
  /** The pings JavaScript carries to this peer; the lane times those it carries. */
  private readonly echoes = new EchoTimer();
  private readonly laneEchoes = new Float64Array(LANE_ECHOES);
  private readonly clock: () => number;

  constructor(options: PeerOptions) {
    this.address = options.address.slice();
    this.text = formatAddress(this.address);
    this.session = options.session;
    this.outbound = options.outbound;
    this.inbound = options.inbound;
    this.drops = options.drops;
    this.lane = options.lane;
    this.onHandshake = options.onHandshake;
    this.clock = options.clock ?? (() => performance.now());
    const counters = LANE_COUNTERS + MAX_CANDIDATES;
    this.laneSeen = new Float64Array(counters);
    this.laneNow = new Float64Array(counters);
    this.path = new PathSelector(
      (state, reason) => {
        this.laneStale = true;
        options.onTransition(this, state, reason);
      },
      (now) => this.wayAppeared(now),
    );
  }

  /** An IPv6 packet from the TUN device, already compressed into `payload`. */
  send(payload: Uint8Array, ipLength: number, now: number): void {
    if (this.path.traffic(now)) this.tick(now);
    const direct = this.path.route();
    const into = direct && this.outbound.directBuffer(DATA_OVERHEAD + payload.length);
    this.echoes.sent(payload, now);
    const sent = this.session.send(payload, now, into);
    if (sent.error) this.drops.count(`send-${sent.error.kind}`);
    else this.bytesSent += ipLength;
    this.liveness.sent(now);
    for (const packet of sent.packets) this.transmit(packet);
    if (this.laneStale) this.syncLane(now);
  }

  /** A security packet from this peer: via the base (`from` undefined) or from a direct endpoint. */
  receive(packet: Uint8Array, now: number, from: PeerCandidate | undefined): void {
    const received = this.session.receive(packet, now);
    if (received.error) this.drops.count(`security-${received.error.kind}`);
    if (received.authentic) this.heard(from, now);
    if (received.roundTrip) this.roundTrip(received.roundTrip, now);
    if (received.roundTrip) this.answerPing(received.roundTrip, from);
    for (const reply of received.packets) this.transmit(reply);
    if (received.event) this.onHandshake(this);
    if (received.deliver.length > 0) {
      if (this.path.traffic(now)) this.tick(now);
      for (const payload of received.deliver) {
        // As it goes to the device, after this turn's work, as the native lane times it (`now` is
        // when the datagram came, before JavaScript's turn, which a ping's reply waits for too).
        const echo = this.echoes.answered(payload, this.clock);
        if (echo !== undefined) this.roundTrips.add('echo', this.pathInUse(), echo, now);
        this.bytesReceived += this.inbound.deliver(this, payload);
      }
    }
    if (received.event || this.laneStale) this.syncLane(now);
  }

  /** Our HELLO with `cookie` was answered from `from`. */
  answered(cookie: Uint8Array, from: PeerCandidate, now: number): void {
    const key = cookieKey(cookie);
    const sentAt = this.probes.get(key);
    if (sentAt === undefined) return this.drops.count('p2p-reply-unknown-cookie');
    this.probes.delete(key);
    this.liveness.heard(now);
    this.path.answered(from, now - sentAt, now);
    if (this.laneStale) this.syncLane(now);
  }

  /**
   * Something authenticated came from the peer: from a direct candidate (a HELLO, DATA), or through
   * the base (`from` undefined).
   */
  heard(from: PeerCandidate | undefined, now: number): void {
    this.liveness.heard(now);
    if (from) this.path.heard(from, now);
  }

  /** Retries, rekeying, probes; called every ~200 ms and when an idle peer wakes up. */
  tick(now: number): void {
    this.takeLane(now);
    const { packets } = this.session.tick(now);
    if (packets.length > 0) this.liveness.sent(now);
    for (const packet of packets) this.transmit(packet);
    const probes = this.path.tick(now);
    for (const candidate of probes) {
      const cookie = generatePeerCookie();
      this.probes.set(cookieKey(cookie), now);
      this.outbound.sendHello(this, candidate, cookie);
    }
    this.probedLastTick = probes.length > 0;
    for (const [key, sentAt] of this.probes) if (now - sentAt > PROBE_ANSWER_MS) this.probes.delete(key);
    this.routeLane();
  }

  /**
   * A heartbeat along the current path when one is due, stamped `now`: the caller sends it in a
   * turn of its own, right as it leaves, so its round trip is the path's and not our own backlog.
   * It is the RTT users see, and it asks for an answer when something we sent has had none.
   */
  heartbeat(now: number): void {
    if (this.path.state === 'idle') return;
    const urgent = this.liveness.waiting(now) > 0;
    const gap = now - this.lastHeartbeatAt;
    if (gap < (urgent ? UNANSWERED_HEARTBEAT_MS : HEARTBEAT_MS)) return;
    // A HELLO just sent reaches the peer with it, and both sides check signatures before answering.
    if (this.probedLastTick && !urgent) return;
    this.sendHeartbeat(now);
  }

  /**
   * A heartbeat now for `hnet ping`, due or not: traffic like any other (an idle peer wakes and
   * probes). `answered` hears its round trip and where the reply came from (undefined: through the
   * base). Returns the way it left: a direct candidate, or undefined for the base.
   */
  ping(now: number, answered: PingAnswered): PeerCandidate | undefined {
    if (this.path.traffic(now)) this.tick(now);
    if (this.pings.size >= MAX_PENDING_HEARTBEATS) this.pings.delete(this.pings.keys().next().value!);
    this.pings.set(now, answered);
    const via = this.path.route();
    this.sendHeartbeat(now);
    return via;
  }

  private sendHeartbeat(now: number): void {
    this.lastHeartbeatAt = now;
    const paths = this.heartbeatPaths;
    if (paths.length >= MAX_PENDING_HEARTBEATS) paths.shift();
    paths.push({ sentAt: now, path: this.pathInUse() });
    this.liveness.sent(now);
    this.transmit(this.session.heartbeat(now));
  }

  private answerPing({ sentAt, ms }: { sentAt: number; ms: number }, from: PeerCandidate | undefined): void {
    const answered = this.pings.get(sentAt);
    this.pings.delete(sentAt);
    answered?.(ms, from);
  }

  /**
   * The management peer's packets must all pass the data plane's checks in JavaScript
   * (management-port.ts), which the lane would skip: `off` takes this peer off the lane at once and
   * keeps it off; `false` lets it back on at the next tick.
   */
  keepOffLane(off: boolean): void {
    this.offLane = off;
    if (off) this.leaveLane();
    else this.laneStale = true;
  }

  /** The lane stops carrying this peer's packets (it is being dropped, or kept off). */
  leaveLane(): void {
    this.lane?.route(this.address, undefined, undefined, []);
    this.laneRoute = { cipher: undefined, target: undefined, sources: [] };
  }

  /** Takes in what the lane carried since the last look, then tells it what changed. */
  private syncLane(now: number): void {
    this.takeLane(now);
    this.routeLane();
  }

  /** Bytes, the sources heard from and the traffic the lane carried since the last look. */
  private takeLane(now: number): void {
    const route = this.laneRoute;
    if (!route.cipher || !this.lane?.counters(this.address, this.laneNow)) return;
    const seen = this.laneSeen;
    const fresh = this.laneNow;
    const sentBytes = fresh[1]! - seen[1]!;
    const receivedBytes = fresh[3]! - seen[3]!;
    this.bytesSent += sentBytes;
    this.bytesReceived += receivedBytes;
    // Sent and answered within one look counts as answered: the lane cannot tell the order.
    if (sentBytes > 0) this.liveness.sent(now);
    // The lane opens only authentic DATA, direct or relayed.
    if (fresh[2]! > seen[2]!) this.liveness.heard(now);
    route.sources.forEach((source, i) => {
      if (fresh[LANE_COUNTERS + i]! > seen[LANE_COUNTERS + i]!) this.heard(source, now);
    });
    seen.set(fresh);
    const echoes = this.lane.echoRoundTrips(this.address, this.laneEchoes);
    for (let i = 0; i < echoes; i++) this.roundTrips.add('echo', this.pathInUse(), this.laneEchoes[i]!, now);
    // Keeps the peer awake as JavaScript's own traffic would; a wake-up probes at the next tick.
    if (sentBytes > 0 || receivedBytes > 0) this.path.traffic(now);
  }

  /** Tells the lane the current keys, path and sources, if any of them changed. */
  private routeLane(): void {
    const lane = this.lane;
    if (!lane || this.offLane) return;
    this.laneStale = false;
    const route = this.laneRoute;
    const cipher = this.session.cipher;
    const target = cipher && this.path.route()?.target;
    const sources = this.sources;
    if (
      cipher === route.cipher &&
      target === route.target &&
      sources.length === route.sources.length &&
      sources.every((source, i) => source === route.sources[i])
    )
      return;
    this.laneRoute = { cipher, target, sources: [...sources] };
    this.laneSeen.fill(0);
    lane.route(this.address, cipher, target, sources);
  }

  report(now: number, wallNow: number): PeerReport {
    const status = this.session.status;
    const direct = this.path.direct;
    const reach = this.liveness.reach(now, status.established);
    // A peer that stopped answering has no round trip now, however recent the last one was.
    const rtt = reach === 'unreachable' ? undefined : this.roundTrips.median(this.pathInUse(), now);
    const wall = (at: number | undefined) =>
      at === undefined || at === -Infinity ? null : new Date(wallNow - (now - at)).toISOString();
    return {
      address: this.text,
      reach,
      lastHeard: wall(this.liveness.heardAt),
      path: this.path.state,
      endpoint: direct ? formatEndpoint(direct.endpoint) : null,
      rttMs: rtt === undefined ? null : Math.round(rtt * 100) / 100,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      lastHandshake: wall(status.lastHandshakeAt),
      reason:
        reach === 'unreachable'
          ? `not answering: nothing came back by any path; ${this.path.reason}`
          : this.path.reason,
    };
  }

  /** Traffic flows and goes through the base (the base checks its relay while this is so). */
  get throughBase(): boolean {
    return this.path.state !== 'idle' && this.path.relayKind !== null && !this.path.route();
  }

  /** The way packets go now, as a key: a direct endpoint, or the base over UDP or TCP. */
  private pathInUse(): string {
    return this.path.route()?.key ?? `base|${this.path.relayKind ?? 'none'}`;
  }

  /** A heartbeat of ours came back: the peer answers, and a round trip of the path it went on. */
  private roundTrip({ sentAt, ms }: { sentAt: number; ms: number }, now: number): void {
    this.liveness.heard(now);
    const paths = this.heartbeatPaths;
    const index = paths.findIndex((p) => p.sentAt === sentAt);
    if (index < 0) return;
    const { path } = paths[index]!;
    paths.splice(0, index + 1);
    // Sent before the path changed: it measured a path no longer in use.
    if (path === this.pathInUse()) this.roundTrips.add('heartbeat', path, ms, now);
  }

  private transmit(packet: Uint8Array): void {
    const candidate = this.path.route();
    if (candidate) this.outbound.sendDirect(packet, candidate.target);
    else if (!this.outbound.sendRelay(this.address, packet)) {
      this.drops.count('no-route-to-peer');
      this.stranded = true;
    }
  }

  /**
   * A candidate or the base appeared. A handshake that found no way out (the first packet to a peer
   * before its LAN beacon, its addresses or the base arrived) starts again now instead of after the
   * session's retry interval, and the packets it queued follow as soon as it completes. Nothing is
   * retried while there is still no way, so packets meanwhile cost no more handshakes than before.
   */
  private wayAppeared(now: number): void {
    if (!this.stranded) return;
    this.stranded = false;
    this.session.helloNotSent();
    const { packets } = this.session.tick(now);
    for (const packet of packets) this.transmit(packet);
  }
}
