// Which way a peer's traffic goes (DESIGN.md §3), as a pure state machine: events and the time go
// in, the state, the chosen direct endpoint, the HELLO probes to send and a reason a person can
// read come out. No sockets, no timers, no clock: tests drive it with made-up times.
//
//   idle → resolving → tunnelled (via the base at once) → probing (HELLO every candidate)
//        → direct(endpoint) → degraded (silent: back to the base within ~2 s, keep probing) → …
//
// The relay is never given up before a direct path has answered; among answering paths, LAN beats
// public, then lower RTT wins, with hysteresis so two similar paths do not flap.
import { isLanBeaconSource } from '../../../src-protocol/lan-beacon.js';
import { endpointKey, formatEndpoint, type Endpoint } from '../../../src-protocol/endpoint.js';
import type { PathState } from '../../contract/status.js';

/** While traffic flows, the active direct path is probed this often… */
export const ACTIVE_PROBE_MS = 1_000;
/** …and abandoned for the relay after this long without hearing from it (stock: 28–45 s). */
export const DIRECT_SILENCE_MS = 2_000;
/** While no direct path answers, every candidate is probed this often… */
export const PROBE_ROUND_MS = 1_000;
/** …for this many rounds after something changed (a new candidate, traffic after idling). */
export const PROBE_ROUNDS = 10;
/** Then only this often: stock peers expect a HELLO at least every 25 s, and NAT mappings expire. */
export const KEEPALIVE_ROUND_MS = 25_000;
/** With a direct path, every other candidate is tried this often in case one is better. */
export const BETTER_PATH_MS = 60_000;
/** No traffic either way for this long: stop probing, the peer is idle. */
export const IDLE_AFTER_MS = 45_000;
/** Before the base's DEVICE_ADDRESSES arrives, the peer counts as resolving for at most this long. */
const RESOLVE_WAIT_MS = 3_000;
/** Candidates kept per peer; the base sends a few, NATs and beacons add a few more. */
export const MAX_CANDIDATES = 8;
/** A path must be this much faster (ms, or 20 % of the current RTT) before traffic moves to it. */
const SWITCH_MARGIN_MS = 1;
const SWITCH_MARGIN_RATIO = 0.2;
/** Weight of a new RTT sample in the running estimate. */
const RTT_SMOOTHING = 0.3;

export type CandidateSource = 'base' | 'lan' | 'observed';
/** How traffic reaches the base, when it does: over its UDP port, or only over TCP. */
export type RelayKind = 'udp' | 'tcp' | null;

export interface Candidate<Target> {
  readonly endpoint: Endpoint;
  readonly key: string;
  readonly target: Target;
  /** On our own link (a LAN beacon, or a private address): preferred over public paths. */
  lan: boolean;
  /** Last time anything authenticated came from it (HELLO, HELLO_REPLY, DATA); -Infinity: never. */
  lastHeardAt: number;
  /** Smoothed round trip of our HELLO probes; undefined until one was answered. */
  rttMs: number | undefined;
}

export type TransitionListener = (state: PathState, reason: string) => void;

export class PathSelector<Target> {
  state: PathState = 'idle';
  reason = 'no traffic yet';
  /** The direct path traffic uses now; undefined: through the base. */
  direct: Candidate<Target> | undefined;
  private readonly candidates: Candidate<Target>[] = [];
  /** The last path that answered: the way out when there is no base, and the first to re-check. */
  private confirmed: Candidate<Target> | undefined;
  /** The direct path that went silent while carrying traffic (degraded until one answers again). */
  private lost: Candidate<Target> | undefined;
  private relay: RelayKind = null;
  /** "port mapped by PCP on <router>" while our router forwards a public port to us. */
  private portMapped: string | undefined;
  private lastTrafficAt = -Infinity;
  private wokeAt = -Infinity;
  private baseAnswered = false;
  private roundsLeft = 0;
  private nextRoundAt = Infinity;
  private nextActiveProbeAt = Infinity;
  private readonly fresh: Candidate<Target>[] = [];

  /**
   * `onWay` hears of every candidate added and of a base to relay through appearing: a way to the
   * peer that a packet with nowhere to go before may take now.
   */
  constructor(
    private readonly onTransition: TransitionListener = () => undefined,
    private readonly onWay: (now: number) => void = () => undefined,
  ) {}

  /**
   * Where to send a packet now: the direct path, else (undefined) the base; with no base at all,
   * the path that answered last or a LAN candidate, since guessing beats dropping.
   */
  route(): Candidate<Target> | undefined {
    if (this.direct || this.relay !== null) return this.direct;
    return this.confirmed ?? this.candidates.find((c) => c.lan) ?? this.candidates[0];
  }

  /** Traffic to or from the peer. Returns true when this woke an idle peer (probe at once). */
  traffic(now: number): boolean {
    const woke = now - this.lastTrafficAt >= IDLE_AFTER_MS;
    this.lastTrafficAt = now;
    if (!woke) return false;
    this.wokeAt = now;
    this.restartProbing(now);
    this.evaluate(now);
    return true;
  }

  /** How traffic reaches the base now (udp, tcp), or null without one. */
  get relayKind(): RelayKind {
    return this.relay;
  }

  setRelay(relay: RelayKind, now: number): void {
    if (relay === this.relay) return;
    this.relay = relay;
    this.evaluate(now);
    if (relay !== null) this.onWay(now);
  }

  /**
   * Our router forwards a public port to us ("port mapped by PCP on 192.168.1.1"), or no longer
   * (undefined): a public direct path's reason says so, since that forward is what lets it in.
   */
  setPortMapping(mappedBy: string | undefined, now: number): void {
    if (mappedBy === this.portMapped) return;
    this.portMapped = mappedBy;
    this.evaluate(now);
  }

  /** The base answered REQUEST_INFO (or pushed addresses): resolving is over even if none are usable. */
  baseAddresses(endpoints: readonly { endpoint: Endpoint; target: Target }[], now: number): void {
    this.baseAnswered = true;
    for (const { endpoint, target } of endpoints) this.add(endpoint, target, 'base', now);
    this.evaluate(now);
  }

  /** A candidate endpoint from anywhere; new ones are probed at the next tick. */
  add(endpoint: Endpoint, target: Target, source: CandidateSource, now: number): Candidate<Target> {
    const key = endpointKey(endpoint);
    const existing = this.candidates.find((c) => c.key === key);
    if (existing) {
      if (source === 'lan') existing.lan = true;
      return existing;
    }
    const candidate: Candidate<Target> = {
      endpoint,
      key,
      target,
      lan: source === 'lan' || isLanBeaconSource(endpoint.ip),
      lastHeardAt: -Infinity,
      rttMs: undefined,
    };
    if (this.candidates.length >= MAX_CANDIDATES) this.evictOne();
    this.candidates.push(candidate);
    this.fresh.push(candidate);
    if (!this.direct) this.restartProbing(now);
    this.evaluate(now);
    this.onWay(now);
    return candidate;
  }

  /** Something authenticated (a HELLO, decrypted DATA) came from this candidate. */
  heard(candidate: Candidate<Target>, now: number): void {
    candidate.lastHeardAt = now;
  }

  /** Our HELLO probe was answered from this candidate after `rttMs`. */
  answered(candidate: Candidate<Target>, rttMs: number, now: number): void {
    candidate.lastHeardAt = now;
    candidate.rttMs =
      candidate.rttMs === undefined ? rttMs : candidate.rttMs + RTT_SMOOTHING * (rttMs - candidate.rttMs);
    if (this.direct !== candidate && this.better(candidate, this.direct, now)) {
      this.direct = candidate;
      this.confirmed = candidate;
      this.lost = undefined;
      this.roundsLeft = 0;
      this.nextActiveProbeAt = now + ACTIVE_PROBE_MS;
      this.nextRoundAt = now + BETTER_PATH_MS;
    }
    this.evaluate(now);
  }

  /** Called every ~200 ms: updates the state and returns the candidates to send a HELLO now. */
  tick(now: number): Candidate<Target>[] {
    this.evaluate(now);
    const probes = this.fresh.splice(0);
    if (this.state === 'idle') return probes;
    const addRound = () => {
      for (const c of this.candidates) if (!probes.includes(c)) probes.push(c);
    };
    if (now >= this.nextRoundAt) {
      addRound();
      if (this.direct) this.nextRoundAt = now + BETTER_PATH_MS;
      else if (this.roundsLeft > 0) {
        this.roundsLeft--;
        this.nextRoundAt = now + PROBE_ROUND_MS;
      } else this.nextRoundAt = now + KEEPALIVE_ROUND_MS;
    }
    const active = this.direct ?? this.confirmed;
    if (active && now >= this.nextActiveProbeAt) {
      if (!probes.includes(active)) probes.push(active);
      this.nextActiveProbeAt = now + ACTIVE_PROBE_MS;
    }
    // Running out of rounds is itself a transition ("no answer from any of …").
    this.evaluate(now);
    return probes;
  }

  private restartProbing(now: number): void {
    this.roundsLeft = PROBE_ROUNDS;
    this.nextRoundAt = now;
    this.nextActiveProbeAt = now;
  }

  /** Whether `candidate` should carry traffic instead of `current`. */
  private better(candidate: Candidate<Target>, current: Candidate<Target> | undefined, now: number): boolean {
    if (!current || now - current.lastHeardAt > DIRECT_SILENCE_MS) return true;
    if (candidate.lan !== current.lan) return candidate.lan;
    if (candidate.rttMs === undefined || current.rttMs === undefined) return false;
    const margin = Math.max(SWITCH_MARGIN_MS, current.rttMs * SWITCH_MARGIN_RATIO);
    return candidate.rttMs + margin < current.rttMs;
  }

  private evictOne(): void {
    // The oldest that never answered; failing that the oldest that is not carrying traffic.
    const victim =
      this.candidates.find((c) => c.lastHeardAt === -Infinity && c !== this.confirmed) ??
      this.candidates.find((c) => c !== this.direct && c !== this.confirmed);
    if (!victim) return;
    this.candidates.splice(this.candidates.indexOf(victim), 1);
    const pending = this.fresh.indexOf(victim);
    if (pending >= 0) this.fresh.splice(pending, 1);
  }

  private relayText(): string {
    if (this.relay === 'udp') return 'data via the base';
    if (this.relay === 'tcp') return 'data via the base over TCP (UDP to the base is blocked)';
    return 'no base server to relay through';
  }

  private evaluate(now: number): void {
    if (now - this.lastTrafficAt >= IDLE_AFTER_MS) {
      this.direct = undefined;
      return this.enter('idle', this.lastTrafficAt === -Infinity ? 'no traffic yet' : 'no traffic for 45 s');
    }
    if (this.direct && now - this.direct.lastHeardAt > DIRECT_SILENCE_MS) {
      // It stays the one probed every second, and the guess when there is no base.
      this.lost = this.direct;
      this.direct = undefined;
      this.restartProbing(now);
    }
    const direct = this.direct;
    if (direct)
      return this.enter(
        'direct',
        `direct via ${formatEndpoint(direct.endpoint)} (${direct.lan ? 'LAN' : (this.portMapped ?? 'public')})`,
      );
    const lost = this.lost;
    if (lost && this.roundsLeft > 0) {
      const fallback = this.relay !== null ? 'back to the base' : 'no base to fall back to, still trying it';
      return this.enter(
        'degraded',
        `direct path ${formatEndpoint(lost.endpoint)} silent for 2 s: ${fallback}`,
      );
    }
    if (lost)
      return this.enter(
        'tunnelled',
        `direct path ${formatEndpoint(lost.endpoint)} stopped answering; ${this.relayText()}`,
      );
    const count = this.candidates.length;
    if (count === 0) {
      if (this.relay === null)
        return this.enter('resolving', 'no base server and no LAN beacon from this peer yet');
      if (!this.baseAnswered && now - this.wokeAt < RESOLVE_WAIT_MS)
        return this.enter(
          'resolving',
          `asking the base for the peer's addresses; ${this.relayText()} meanwhile`,
        );
      return this.enter('tunnelled', `the base knows no direct address for this peer; ${this.relayText()}`);
    }
    const plural = count === 1 ? '1 candidate' : `${count} candidates`;
    if (this.roundsLeft > 0) return this.enter('probing', `trying ${plural}; ${this.relayText()} meanwhile`);
    return this.enter(
      'tunnelled',
      `no answer from any of ${plural} — a symmetric NAT on either side, or a strict firewall, blocks a direct path; ${this.relayText()}`,
    );
  }

  private enter(state: PathState, reason: string): void {
    if (state === this.state && reason === this.reason) return;
    this.state = state;
    this.reason = reason;
    this.onTransition(state, reason);
  }
}
