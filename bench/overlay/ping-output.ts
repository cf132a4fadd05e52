import { parsed, unparsable, type Parsed } from './output-error.js';

/** One echo reply: `64 bytes from fc94::1: icmp_seq=3 ttl=64 time=0.043 ms`. */
export interface EchoReply {
  readonly seq: number;
  readonly rttMs: number;
}

/** A finished `ping -c N` run: how many requests went out and which came back. */
export interface PingRun {
  readonly transmitted: number;
  /** In arrival order, one per sequence number (duplicates dropped). */
  readonly replies: readonly EchoReply[];
}

export interface RttPercentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly lostPercent: number;
}

/** The longest stretch of consecutive requests that got no reply. */
export interface LossRun {
  readonly lostInARow: number;
  /** False when replies never came back before ping stopped: the path did not recover. */
  readonly recovered: boolean;
}

const replyLine = /icmp_seq=(\d+) .*time=([\d.]+) ms/;
const summaryLine = /^(\d+) packets transmitted/m;

/** Reads iputils ping's per-reply lines and its closing statistics (which only a finished run prints). */
export function parsePing(stdout: string): Parsed<PingRun> {
  const summary = summaryLine.exec(stdout);
  if (!summary) return unparsable('NoSummary', 'ping output has no "packets transmitted" summary line');
  const seen = new Set<number>();
  const replies: EchoReply[] = [];
  for (const line of stdout.split('\n')) {
    const match = replyLine.exec(line);
    if (!match || line.includes('DUP!')) continue;
    const seq = Number(match[1]);
    if (seen.has(seq)) continue;
    seen.add(seq);
    replies.push({ seq, rttMs: Number(match[2]) });
  }
  return parsed({ transmitted: Number(summary[1]), replies });
}

/** Nearest-rank percentile of ascending values: a value that was actually measured. */
export function percentile(ascending: readonly number[], p: number): number {
  const index = Math.min(ascending.length - 1, Math.max(0, Math.ceil((p / 100) * ascending.length) - 1));
  const value = ascending[index];
  if (value === undefined) throw new RangeError('percentile of no values');
  return value;
}

export function rttPercentiles(run: PingRun): Parsed<RttPercentiles> {
  if (run.replies.length === 0)
    return unparsable('NoReplies', `none of ${run.transmitted} echo requests got a reply`);
  const ascending = run.replies.map((reply) => reply.rttMs).sort((x, y) => x - y);
  return parsed({
    p50Ms: percentile(ascending, 50),
    p99Ms: percentile(ascending, 99),
    lostPercent: ((run.transmitted - run.replies.length) / run.transmitted) * 100,
  });
}

/** Sequence numbers run from 1 to `transmitted`; a reply that came late still counts as a reply. */
export function longestLossRun(run: PingRun): LossRun {
  const answered = new Set(run.replies.map((reply) => reply.seq));
  let longest = 0;
  let current = 0;
  for (let seq = 1; seq <= run.transmitted; seq++) {
    current = answered.has(seq) ? 0 : current + 1;
    longest = Math.max(longest, current);
  }
  return { lostInARow: longest, recovered: current === 0 || current < longest };
}
