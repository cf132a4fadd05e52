// Live status for subscribers (`hnet status --watch`, the GUI, `hnet wait`). Nothing here keeps
// its own idea of the state: on every change signal, and on a slow tick for counters such as RTT
// and bytes, it builds a fresh Status and sends it when any section differs from the last one sent.
import type { StatusListener } from '../../contract/events.js';
import type { Status, StatusSection } from '../../contract/status.js';

// Signals that arrive together (a whitelist change dropping three peers) become one update.
const COALESCE_MS = 50;
// RTT and byte counters move without anyone signalling; once a second is enough for a display.
const REFRESH_MS = 1000;

const sections = (status: Status): StatusSection[] =>
  (Object.keys(status) as (keyof Status)[]).filter((k): k is StatusSection => k !== 'version');

export class StatusFeed {
  private readonly listeners = new Set<StatusListener>();
  private lastSent: Map<StatusSection, string> | undefined;
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly build: () => Status) {}

  /** Something visible changed: subscribers get a fresh status shortly. */
  changed(): void {
    if (this.listeners.size === 0 || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.publish();
    }, COALESCE_MS);
  }

  subscribe(listener: StatusListener): () => void {
    const status = this.build();
    if (this.listeners.size === 0) {
      this.lastSent = this.fingerprint(status);
      this.ticker = setInterval(() => this.publish(), REFRESH_MS);
      this.ticker.unref();
    }
    this.listeners.add(listener);
    listener({ status, changed: [] });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    this.listeners.clear();
    clearTimeout(this.pending);
    clearInterval(this.ticker);
    this.pending = undefined;
    this.ticker = undefined;
    this.lastSent = undefined;
  }

  private fingerprint(status: Status): Map<StatusSection, string> {
    return new Map(sections(status).map((s) => [s, JSON.stringify(status[s])]));
  }

  private publish(): void {
    if (this.listeners.size === 0) return;
    const status = this.build();
    const now = this.fingerprint(status);
    const changed = [...now].filter(([s, text]) => this.lastSent?.get(s) !== text).map(([s]) => s);
    this.lastSent = now;
    if (changed.length === 0) return;
    for (const listener of [...this.listeners]) listener({ status, changed });
  }
}
