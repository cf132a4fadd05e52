// Whether a peer answers, and how long its answers take, from evidence rather than memory (issue
// 18). Pure: events and times in, a reach and a median out; peer.ts feeds it from every path,
// the native lane's counters included, and tests drive it with made-up times.
import type { PeerReach } from '../../contract/status.js';

/** Something sent this long ago and nothing heard since: unreachable (users must see it within 5 s). */
export const UNREACHABLE_AFTER_MS = 3_000;
/** Heard within this long: online. Heartbeats go every second while traffic flows. */
export const ONLINE_WITHIN_MS = 5_000;
/**
 * An unanswered peer we stopped sending to this long ago, with no session left, is offline rather
 * than unreachable (the path idles after as long without traffic).
 */
export const GAVE_UP_AFTER_MS = 45_000;
/** Round trips kept for the median (a heartbeat a second: the whole window, so one slow turn of a
 * busy machine does not move it)… */
export const ROUND_TRIPS_KEPT = 10;
/** …none older than this: a figure from a minute ago says nothing about now. */
export const ROUND_TRIP_MAX_AGE_MS = 10_000;

/** When the peer last answered, and since when something we sent has waited for an answer. */
export class Liveness {
  /** The last answer by any path: an authenticated packet, or the reply to a heartbeat of ours. */
  heardAt = -Infinity;
  private lastSentAt = -Infinity;
  /** The first packet sent after the last answer; undefined while everything was answered. */
  private unansweredSince: number | undefined;

  heard(now: number): void {
    if (now > this.heardAt) this.heardAt = now;
    this.unansweredSince = undefined;
  }

  /** We sent something the peer should answer (data, a heartbeat, a handshake hello). */
  sent(now: number): void {
    this.lastSentAt = now;
    this.unansweredSince ??= now;
  }

  /** How long the oldest unanswered packet has waited; 0 when none waits. */
  waiting(now: number): number {
    return this.unansweredSince === undefined ? 0 : now - this.unansweredSince;
  }

  reach(now: number, hasSession: boolean): PeerReach {
    if (this.waiting(now) >= UNREACHABLE_AFTER_MS)
      return hasSession || now - this.lastSentAt < GAVE_UP_AFTER_MS ? 'unreachable' : 'offline';
    if (now - this.heardAt < ONLINE_WITHIN_MS) return 'online';
    return hasSession ? 'idle' : 'offline';
  }
}

/**
 * Where a round trip was measured: a ping someone sent through the tunnel (echo-timer.ts), which
 * crossed the peer's own IP stack as every ping does, or a heartbeat of ours.
 */
export type RoundTripSource = 'echo' | 'heartbeat';
/** Pings within the window that make the figure theirs: one stray ping does not… */
const ECHOES_FOR_FIGURE = 3;
/** …and only while someone still pings (ping's default is one a second): then heartbeats again. */
const ECHOES_STOPPED_AFTER_MS = 3_000;
/** Pings kept: ping's own summary is over many, and at its usual 1–5 a second these span the window. */
const ECHOES_KEPT = 50;
const KEPT: Record<RoundTripSource, number> = { echo: ECHOES_KEPT, heartbeat: ROUND_TRIPS_KEPT };

/**
 * Recent round trips per path, so the figure shown is one measured on the path in use now: what
 * pings took while someone pings (what they compare the status with), else what heartbeats took.
 */
export class RoundTrips {
  private readonly samples: Record<RoundTripSource, { at: number; ms: number; path: string }[]> = {
    echo: [],
    heartbeat: [],
  };

  add(source: RoundTripSource, path: string, ms: number, now: number): void {
    const samples = this.samples[source];
    if (samples.length >= KEPT[source]) samples.shift();
    samples.push({ at: now, ms, path });
  }

  /** The median of the recent round trips on `path`; undefined when there is none. */
  median(path: string, now: number): number | undefined {
    const recent = (source: RoundTripSource) =>
      this.samples[source]
        .filter((s) => s.path === path && now - s.at <= ROUND_TRIP_MAX_AGE_MS)
        .map((s) => s.ms);
    const echoes = recent('echo');
    const lastEcho = this.samples.echo.at(-1)?.at ?? -Infinity;
    const pinging = echoes.length >= ECHOES_FOR_FIGURE && now - lastEcho <= ECHOES_STOPPED_AFTER_MS;
    const chosen = pinging ? echoes : recent('heartbeat');
    if (chosen.length === 0) return undefined;
    chosen.sort((x, y) => x - y);
    const middle = chosen.length >> 1;
    return chosen.length % 2 === 1 ? chosen[middle]! : (chosen[middle - 1]! + chosen[middle]!) / 2;
  }
}
