// Slows password guessing without ever locking the owner out. A try is counted the moment it is
// admitted, before its password is checked, so tries sent in parallel cannot slip past the count.
//  - Per source (an IPv4 address, or an IPv6 /64, which one machine easily holds whole): at most
//    SOURCE_LIMIT tries that did not succeed in a sliding window; past it that source is refused
//    until its oldest try ages out. A source's successful sign-ins do not count against it.
//  - Per account email: past FREE_TRIES tries in the window, each further try waits before its
//    password is checked, doubling up to MAX_DELAY_MS. The wait never turns into a refusal: strangers
//    elsewhere can delay the owner by MAX_DELAY_MS at most, never keep them out.
// Counts live in this process; dashboards sharing a database each keep their own.
import { formatIp, isIpv4Mapped, parseIp } from '../../src-protocol/endpoint.js';

const WINDOW_MS = 15 * 60_000;
const SOURCE_LIMIT = 10;
const FREE_TRIES = 5;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** Tries past this many change no delay, so no more are kept per account. */
const ACCOUNT_MEMORY = FREE_TRIES + Math.ceil(Math.log2(MAX_DELAY_MS / FIRST_DELAY_MS)) + 1;
const MAX_TRACKED = 10_000;
const MAX_EMAIL_LENGTH = 254;

export type Admission =
  | {
      allowed: true;
      /** Resolves once this try may have its password checked. */
      ready: Promise<void>;
      delayMs: number;
      /** The password was right: the try no longer counts. */
      succeeded(): void;
    }
  | { allowed: false; retryAfterMs: number };

type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whom a client address stands for: an IPv6 host can pick any address in its /64. */
export function sourceOf(address: string): string {
  const bytes = parseIp(address);
  if (!bytes) return address.slice(0, 64);
  if (isIpv4Mapped(bytes)) return formatIp(bytes);
  const prefix = new Uint8Array(16);
  prefix.set(bytes.subarray(0, 8));
  return `${formatIp(prefix)}/64`;
}

/** Try times per key, oldest first, bounded in keys and in times per key. */
class TryLog {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly keep: number,
  ) {}

  recent(key: string): number[] {
    const cutoff = this.now() - WINDOW_MS;
    const times = (this.times.get(key) ?? []).filter((t) => t > cutoff);
    if (times.length === 0) this.times.delete(key);
    else this.times.set(key, times);
    return times;
  }

  add(key: string, time: number): void {
    const times = this.recent(key);
    if (times.length === 0 && this.times.size >= MAX_TRACKED) this.makeRoom();
    times.push(time);
    this.times.set(key, times.slice(-this.keep));
  }

  remove(key: string, time: number): void {
    const times = this.times.get(key);
    const at = times?.indexOf(time) ?? -1;
    if (at >= 0) times!.splice(at, 1);
  }

  private makeRoom(): void {
    for (const key of [...this.times.keys()]) this.recent(key);
    // Still full: a flood of distinct keys. Forgetting the oldest tenth beats growing without bound.
    let excess = this.times.size - MAX_TRACKED * 0.9;
    for (const key of this.times.keys()) {
      if (excess-- <= 0) break;
      this.times.delete(key);
    }
  }
}

export class LoginLimiter {
  private readonly sources: TryLog;
  private readonly accounts: TryLog;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.sources = new TryLog(now, SOURCE_LIMIT);
    this.accounts = new TryLog(now, ACCOUNT_MEMORY);
  }

  /** Counts a sign-in try for `email` from `address`, or refuses it; never awaits, so it is atomic. */
  admit(email: string, address: string): Admission {
    const source = sourceOf(address);
    const account = email.trim().toLowerCase().slice(0, MAX_EMAIL_LENGTH);
    const fromSource = this.sources.recent(source);
    if (fromSource.length >= SOURCE_LIMIT)
      return { allowed: false, retryAfterMs: fromSource[0]! + WINDOW_MS - this.now() };
    const earlier = this.accounts.recent(account).length;
    const delayMs =
      earlier < FREE_TRIES ? 0 : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (earlier - FREE_TRIES));
    const time = this.now();
    this.sources.add(source, time);
    this.accounts.add(account, time);
    return {
      allowed: true,
      delayMs,
      ready: delayMs > 0 ? this.sleep(delayMs) : Promise.resolve(),
      succeeded: () => {
        this.sources.remove(source, time);
        this.accounts.remove(account, time);
      },
    };
  }
}
