// Which base server of the list to use, from measurements alone (no I/O, no clock of its own): the
// one with the lowest round trip that answers; the others follow in order of their round trips. A
// base that fails in use is passed over until a measurement sees it answer again. Moving back to a
// nearer base needs it to be clearly nearer (hysteresis) and to have answered twice in a row, so a
// base that comes and goes, or two bases at about the same distance, do not make a node flap.

/** A nearer base is worth moving to only when it saves this share of the current round trip… */
const MOVE_GAIN_SHARE = 0.25;
/** …and at least this much: a few milliseconds of jitter are not a reason to reconnect. */
const MOVE_GAIN_MIN_MS = 5;
/** Answers in a row a base needs before a node moves to it from a base that works. */
const ANSWERS_BEFORE_MOVE = 2;

export type ProbeResult = { ok: true; rttMs: number } | { ok: false; reason: string };

interface Standing {
  /** The round trip of the last measurement it answered (kept after a failure: it was nearer once). */
  rttMs: number | undefined;
  /** Why it failed, since its last answer; undefined while it answers. */
  failure: string | undefined;
  /** When it was last measured or failed (the caller's clock). */
  at: number | undefined;
  answersInARow: number;
}

export interface Standings {
  server: string;
  /** Undefined while it answers (or before its first measurement). */
  failure: string | undefined;
  /** Undefined unless its last measurement was answered. */
  rttMs: number | undefined;
  at: number | undefined;
}

export class BaseSelection {
  private readonly standings = new Map<string, Standing>();

  constructor(readonly servers: readonly string[]) {
    for (const server of servers)
      this.standings.set(server, { rttMs: undefined, failure: undefined, at: undefined, answersInARow: 0 });
  }

  record(server: string, result: ProbeResult, now: number): void {
    const s = this.standings.get(server);
    if (!s) return;
    s.at = now;
    if (result.ok) {
      s.rttMs = result.rttMs;
      s.failure = undefined;
      s.answersInARow += 1;
    } else this.failed(server, result.reason, now);
  }

  /** `server` failed in use or on connect: passed over until it answers a measurement again. */
  failed(server: string, reason: string, now: number): void {
    const s = this.standings.get(server);
    if (!s) return;
    s.failure = reason;
    s.at = now;
    s.answersInARow = 0;
  }

  /** The base to use now: the nearest that answered its last measurement. */
  next(): string | undefined {
    return this.order().find((server) => {
      const s = this.standings.get(server)!;
      return s.failure === undefined && s.rttMs !== undefined;
    });
  }

  /** A base worth leaving `current` for: clearly nearer, and it answered the last two measurements. */
  nearerThan(current: string): string | undefined {
    const now = this.standings.get(current);
    const best = this.next();
    if (now?.rttMs === undefined || best === undefined || best === current) return undefined;
    const candidate = this.standings.get(best)!;
    if (candidate.rttMs === undefined || candidate.answersInARow < ANSWERS_BEFORE_MOVE) return undefined;
    const gain = now.rttMs - candidate.rttMs;
    return gain >= Math.max(MOVE_GAIN_MIN_MS, MOVE_GAIN_SHARE * now.rttMs) ? best : undefined;
  }

  /**
   * The ones worth measuring again soon: bases measured nearer than `current` (which failed since,
   * or were not clearly nearer), and those that never answered (down when we looked).
   */
  nearerOnes(current: string): string[] {
    const rtt = this.standings.get(current)?.rttMs;
    if (rtt === undefined) return [];
    return this.servers.filter((server) => {
      const s = this.standings.get(server)!;
      return server !== current && (s.rttMs === undefined || s.rttMs < rtt);
    });
  }

  /** Every base, nearest answering first, then those not measured, then the failing (list order). */
  readings(): Standings[] {
    return this.order().map((server) => {
      const s = this.standings.get(server)!;
      return { server, failure: s.failure, rttMs: s.failure === undefined ? s.rttMs : undefined, at: s.at };
    });
  }

  private order(): string[] {
    const rank = (server: string): number => {
      const s = this.standings.get(server)!;
      if (s.failure !== undefined) return Infinity;
      return s.rttMs ?? Number.MAX_VALUE;
    };
    // A stable sort: equal ranks keep the license's order.
    return [...this.servers].sort((a, b) => (rank(a) === rank(b) ? 0 : rank(a) < rank(b) ? -1 : 1));
  }
}
