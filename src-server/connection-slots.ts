// Who may hold one of a public listener's connections (docs/decisions.md, "The server's public
// listeners under abuse"). A total cap bounds the file descriptors; a cap per source bounds what one
// address takes; and when the table is full a newcomer takes the place of a connection of the
// source that holds the most, as long as that source would still hold at least as many as the
// newcomer's after the swap. So a flood from one address, or from a few, can hold the table only
// until someone else arrives, and sources that hold their fair share are never disturbed.
import { isIpv4Mapped, parseIp } from '../src-protocol/endpoint.js';
import type { AcceptLog } from '../src-shared/accept-errors.js';

// At most one line per this long says that connections were refused, and how many.
const REFUSAL_LOG_GAP_MS = 10_000;

export interface SlotLimits {
  /** Connections at once. */
  total: number;
  /** Connections at once from one source (an IPv4 address, an IPv6 /64). */
  perSource: number;
}

export type Refusal = 'source_limit' | 'connection_limit';

/**
 * Which of `candidates` (all from one source) to give up. `spare`: only a connection the listener
 * can do without (not yet authenticated, idle between requests), or none; `any`: the one that
 * matters least, always one.
 */
export type PickVictim<C> = (candidates: ReadonlySet<C>, need: 'spare' | 'any') => C | undefined;

export type Admission<C> = { ok: true; evicted: C | undefined } | { ok: false; reason: Refusal };

/**
 * The source a peer address counts against. An IPv6 /64 is one subscriber's (RFC 6177), who can
 * pick any address in it, so the prefix counts as one; IPv4-mapped addresses count as IPv4.
 */
export function sourceOf(remoteAddress: string | undefined): string {
  const bytes = remoteAddress === undefined ? undefined : parseIp(remoteAddress);
  if (!bytes) return 'unknown';
  if (isIpv4Mapped(bytes)) return bytes.subarray(12).join('.');
  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}/64`;
}

export class ConnectionSlots<C> {
  private readonly bySource = new Map<string, Set<C>>();
  private readonly sources = new Map<C, string>();
  /** Sources by how many connections each holds, so the heaviest is found without a scan. */
  private readonly byCount = new Map<number, Set<string>>();
  private heaviest = 0;

  constructor(
    readonly limits: SlotLimits,
    private readonly pick: PickVictim<C>,
  ) {}

  get size(): number {
    return this.sources.size;
  }

  /** Connections `source` holds now. */
  heldBy(source: string): number {
    return this.bySource.get(source)?.size ?? 0;
  }

  /**
   * Takes a slot for `connection` from `source`, or says why not. A connection it returns as
   * `evicted` has already given its slot up: the caller closes it.
   */
  admit(source: string, connection: C): Admission<C> {
    const own = this.bySource.get(source);
    const held = own?.size ?? 0;
    let evicted: C | undefined;
    if (held >= this.limits.perSource) {
      // A source at its cap makes room only among its own connections, and only from one it can spare.
      evicted = own && this.pick(own, 'spare');
      if (evicted === undefined) return { ok: false, reason: 'source_limit' };
    } else if (this.size >= this.limits.total) {
      // At least 2 more than the newcomer's: after the swap it still holds as many, so two sources
      // never take a slot back and forth.
      if (this.heaviest < held + 2) return { ok: false, reason: 'connection_limit' };
      evicted = this.pick(this.bySource.get(this.heaviestSource()!)!, 'any');
      if (evicted === undefined) return { ok: false, reason: 'connection_limit' };
    }
    if (evicted !== undefined) this.release(evicted);
    this.hold(source, connection);
    return { ok: true, evicted };
  }

  /** Gives the slot back; a connection without one (already evicted, never admitted) is ignored. */
  release(connection: C): void {
    const source = this.sources.get(connection);
    if (source === undefined) return;
    this.sources.delete(connection);
    const set = this.bySource.get(source)!;
    this.move(source, set.size, set.size - 1);
    set.delete(connection);
    if (set.size === 0) this.bySource.delete(source);
  }

  /** The connection that matters least, from the source holding the most (for accept EMFILE). */
  leastNeeded(): C | undefined {
    const source = this.heaviestSource();
    return source === undefined ? undefined : this.pick(this.bySource.get(source)!, 'any');
  }

  private hold(source: string, connection: C): void {
    let set = this.bySource.get(source);
    if (!set) this.bySource.set(source, (set = new Set()));
    this.move(source, set.size, set.size + 1);
    set.add(connection);
    this.sources.set(connection, source);
  }

  private heaviestSource(): string | undefined {
    const [first] = this.byCount.get(this.heaviest) ?? [];
    return first;
  }

  private move(source: string, from: number, to: number): void {
    const old = this.byCount.get(from);
    old?.delete(source);
    if (old?.size === 0) this.byCount.delete(from);
    if (to > 0) {
      let next = this.byCount.get(to);
      if (!next) this.byCount.set(to, (next = new Set()));
      next.add(source);
    }
    if (to > this.heaviest) this.heaviest = to;
    else if (from === this.heaviest && !this.byCount.has(from)) this.heaviest = to;
  }
}

/** Counts refusals and says so in the log, at most once per REFUSAL_LOG_GAP_MS. */
export function refusalReporter(log: AcceptLog, name: string, limits: SlotLimits): (reason: Refusal) => void {
  const refused: Partial<Record<Refusal, number>> = {};
  let lastLog = -Infinity;
  return (reason) => {
    refused[reason] = (refused[reason] ?? 0) + 1;
    const now = Date.now();
    if (now - lastLog < REFUSAL_LOG_GAP_MS) return;
    lastLog = now;
    log.warn(`${name}-connections-refused`, { ...refused, total: limits.total, perSource: limits.perSource });
    for (const key of Object.keys(refused)) delete refused[key as Refusal];
  };
}
