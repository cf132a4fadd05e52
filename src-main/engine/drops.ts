// Counts of input the data plane refused, per reason. Bad input from the network is never a crash
// and never a log line per packet (a flood would drown the log): it is counted, and the counts are
// part of the status a user can read.
export class DropCounter {
  private readonly counts = new Map<string, number>();

  count(reason: string, times = 1): void {
    if (times > 0) this.counts.set(reason, (this.counts.get(reason) ?? 0) + times);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
