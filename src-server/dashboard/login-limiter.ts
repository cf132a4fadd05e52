// Slows down password guessing: failed sign-ins are counted per account email and per client
// address over a sliding window; past the limit, sign-in is refused without checking the password
// until the oldest failure ages out.
const WINDOW_MS = 15 * 60_000;
const PER_EMAIL = 5;
const PER_ADDRESS = 20;
const MAX_TRACKED = 10_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before another try, or 0 when a try is allowed now. */
  retryAfter(email: string, address: string): number {
    return Math.max(
      this.wait(`email:${email.toLowerCase()}`, PER_EMAIL),
      this.wait(`ip:${address}`, PER_ADDRESS),
    );
  }

  failed(email: string, address: string): void {
    if (this.failures.size >= MAX_TRACKED) this.prune();
    for (const key of [`email:${email.toLowerCase()}`, `ip:${address}`]) {
      const times = this.recent(key);
      times.push(this.now());
      this.failures.set(key, times);
    }
  }

  succeeded(email: string): void {
    this.failures.delete(`email:${email.toLowerCase()}`);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - WINDOW_MS;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }

  private wait(key: string, limit: number): number {
    const times = this.recent(key);
    if (times.length < limit) return 0;
    return times[times.length - limit]! + WINDOW_MS - this.now();
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) if (this.recent(key).length === 0) this.failures.delete(key);
    // Still full: a flood of distinct addresses; forgetting the oldest beats growing without bound.
    if (this.failures.size >= MAX_TRACKED) this.failures.clear();
  }
}
