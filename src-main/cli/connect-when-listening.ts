// Connecting to hnetd while it may still be starting (`hnet wait`, the lab's fixtures). hnetd
// creates its control socket and then writes its pid file beside it, so each step of its start
// shows as a change in that directory: a connect is tried again on every change (fs.watch) rather
// than on a timer, and succeeds within a millisecond or two of hnetd listening.
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { ControlClient } from '../engine/client.js';
import type { Outcome } from '../contract/errors.js';

/** Where the directory cannot be watched (it does not exist yet), connects are retried this often. */
const UNWATCHED_RETRY_MS = 200;

/**
 * The directory's changes as a wake-up call: `changed` says whether anything happened since the
 * last `settle()`, `next(ms)` resolves at the next change or after `ms`, whichever comes first.
 */
class DirectoryChanges {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;

  constructor(directory: string) {
    try {
      this.watcher = watch(directory, () => this.signal());
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  settle(): void {
    this.dirty = false;
  }

  next(ms: number): Promise<void> {
    if (this.dirty) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.signal(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.signal();
  }

  private signal(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export interface WaitOptions {
  /** Epoch ms after which the last failure is returned. */
  readonly deadline: number;
  /** Gives up at once (the daemon being waited for has exited, say) with the last failure. */
  readonly signal?: AbortSignal;
}

/** A client of hnetd at `socketPath` as soon as it answers, or the last failure when the wait ends. */
export async function connectWhenListening(
  socketPath: string,
  { deadline, signal }: WaitOptions,
): Promise<Outcome<ControlClient>> {
  const changes = new DirectoryChanges(dirname(socketPath));
  const giveUp = () => changes.close();
  signal?.addEventListener('abort', giveUp);
  try {
    for (;;) {
      // Changes from here on count: one that lands while the connect is under way is not lost.
      changes.settle();
      const connected = await ControlClient.connect(socketPath);
      const left = deadline - Date.now();
      if (connected.ok || left <= 0 || signal?.aborted) return connected;
      await changes.next(changes.watching ? left : Math.min(UNWATCHED_RETRY_MS, left));
    }
  } finally {
    signal?.removeEventListener('abort', giveUp);
    changes.close();
  }
}
