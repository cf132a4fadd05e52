// Keeps the managed lines of /etc/hosts equal to the host table. Only the root helper may write
// that file, so the engine is handed a `writeHosts` function (the helper client) and calls it with
// the full list whenever the table changes; writes never overlap and a burst of changes becomes
// one write. A failed write (helper not running yet) is retried until it succeeds.
import { errorText } from '../../contract/errors.js';
import type { HostEntry } from '../../contract/names.js';
import type { Logger } from '../log.js';
import type { HostsSyncStatus } from '../../contract/status.js';

/** Replaces the managed lines of /etc/hosts with exactly these entries. Rejects on failure. */
export type WriteHosts = (entries: readonly HostEntry[]) => Promise<void>;

const RETRY_MS = 15_000;

export class HostsFileSync {
  private state: HostsSyncStatus = { state: 'pending', reason: 'not written yet' };
  private running = false;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly write: WriteHosts,
    private readonly entries: () => readonly HostEntry[],
    private readonly log: Logger,
    private readonly onStatus: () => void,
  ) {}

  get status(): HostsSyncStatus {
    return this.state;
  }

  request(): void {
    if (this.stopped) return;
    // Until the write that follows is done the file does not hold the table the status shows. A
    // failure stays a failure (and is not logged again) until a write succeeds.
    if (this.state.state === 'synced') this.setState({ state: 'pending', reason: 'writing the new names' });
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      const entries = this.entries();
      try {
        await this.write(entries);
        // A change during the write means another write, with the file not yet current.
        if (!this.again)
          this.setState({
            state: 'synced',
            reason: entries.length === 1 ? '1 name' : `${entries.length} names`,
          });
      } catch (error) {
        const reason = errorText(error);
        if (this.state.reason !== reason) this.log.warn('hosts-sync-failed', { reason });
        this.setState({ state: 'failed', reason });
        if (!this.again && !this.stopped) this.retry = setTimeout(() => this.request(), RETRY_MS).unref();
      }
    } while (this.again && !this.stopped);
    this.running = false;
  }

  private setState(next: HostsSyncStatus): void {
    this.state = next;
    this.onStatus();
  }
}
