// How many requests (joins and init-requests) websetup takes: each can cost database work and a
// signature check, so every source address gets a small budget and all of them together a larger
// one. A request over budget is dropped before any of that work, and only counted. A device asks
// once every 5 s while it joins and once every 15 min after, so the budgets never touch it.

export interface RequestBudget {
  /** Requests taken at once after a quiet spell. */
  burst: number;
  /** Requests taken per second after that. */
  perSecond: number;
}

export const SOURCE_BUDGET: RequestBudget = { burst: 4, perSecond: 0.5 };
export const TOTAL_BUDGET: RequestBudget = { burst: 64, perSecond: 32 };
/** Sources remembered; beyond this the longest known is forgotten (the total budget still holds). */
const MAX_SOURCES = 10_000;
/** A source's dropped requests are reported at most this often, so a flood makes few log lines. */
const REPORT_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

interface Source extends Bucket {
  /** Requests dropped and not reported yet. */
  dropped: number;
  reportedAt: number;
}

function refill(bucket: Bucket, budget: RequestBudget, now: number): void {
  bucket.tokens = Math.min(budget.burst, bucket.tokens + ((now - bucket.at) / 1000) * budget.perSecond);
  bucket.at = now;
}

/** A request taken comes with the number of its source's dropped requests to report now, if any. */
export type Admission = { taken: true; dropped: number } | { taken: false };

export class RequestLimiter {
  private readonly sources = new Map<string, Source>();
  private readonly total: Bucket;
  /** Every request dropped so far. */
  dropped = 0;

  constructor(
    private readonly perSource: RequestBudget = SOURCE_BUDGET,
    private readonly all: RequestBudget = TOTAL_BUDGET,
    private readonly now: () => number = Date.now,
  ) {
    this.total = { tokens: all.burst, at: now() };
  }

  /** Whether a request from `source` may be handled now; a refused one is counted. */
  take(source: string): Admission {
    const now = this.now();
    let bucket = this.sources.get(source);
    if (!bucket) {
      bucket = { tokens: this.perSource.burst, at: now, dropped: 0, reportedAt: -Infinity };
      this.sources.set(source, bucket);
      if (this.sources.size > MAX_SOURCES) this.sources.delete(this.sources.keys().next().value!);
    }
    refill(bucket, this.perSource, now);
    refill(this.total, this.all, now);
    if (bucket.tokens < 1 || this.total.tokens < 1) {
      bucket.dropped += 1;
      this.dropped += 1;
      return { taken: false };
    }
    bucket.tokens -= 1;
    this.total.tokens -= 1;
    if (bucket.dropped === 0 || now - bucket.reportedAt < REPORT_MS) return { taken: true, dropped: 0 };
    const dropped = bucket.dropped;
    bucket.dropped = 0;
    bucket.reportedAt = now;
    return { taken: true, dropped };
  }
}
