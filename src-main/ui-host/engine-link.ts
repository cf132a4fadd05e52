// The UI's one connection to the engine: a control-API client on the engine's socket, kept open
// and re-opened when the engine restarts. It remembers the last status and link state so a window
// (or a browser tab) that opens late is shown the present at once, not after the next change.
import { ControlClient, type Logger } from '../engine/client.js';
import type { CallName, ParamsOf, ResultOf } from '../contract/control-calls.js';
import { failure, type Outcome } from '../contract/errors.js';
import type { StatusUpdate } from '../contract/events.js';
import type { BridgeEvent, LinkState } from '../contract/ui-bridge.js';

// Quick first retries for an engine that is just starting, then a calm pace while it is down.
const RETRY_MS = [200, 500, 1000, 2000, 5000];

export interface EngineLink {
  call<K extends CallName>(name: K, params: ParamsOf<K>): Promise<Outcome<ResultOf<K>>>;
  /** Events from now on; `replay()` gives the present. */
  onEvent(listener: (event: BridgeEvent) => void): () => void;
  replay(): BridgeEvent[];
  close(): void;
}

export class SocketEngineLink implements EngineLink {
  private client: ControlClient | undefined;
  private link: LinkState = { state: 'connecting', reason: 'connecting to the hnet engine' };
  private lastUpdate: StatusUpdate | undefined;
  private readonly listeners = new Set<(event: BridgeEvent) => void>();
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly socketPath: string,
    private readonly log: Logger,
  ) {
    void this.connect();
  }

  call<K extends CallName>(name: K, params: ParamsOf<K>): Promise<Outcome<ResultOf<K>>> {
    if (!this.client)
      return Promise.resolve(
        failure(
          'DaemonNotRunning',
          this.link.state === 'down' ? this.link.reason : 'still connecting to the hnet engine',
        ),
      );
    return this.client.call(name, params);
  }

  onEvent(listener: (event: BridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replay(): BridgeEvent[] {
    const events: BridgeEvent[] = [{ event: 'link', link: this.link }];
    if (this.lastUpdate)
      events.push({ event: 'status', update: { status: this.lastUpdate.status, changed: [] } });
    return events;
  }

  /** Resolves once the link is up, or with the reason it is not after `timeoutMs`. */
  ready(timeoutMs: number): Promise<Outcome<void>> {
    if (this.link.state === 'up') return Promise.resolve({ ok: true, value: undefined });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(failure('DaemonNotRunning', this.link.state === 'up' ? '' : this.link.reason));
      }, timeoutMs);
      const stop = this.onEvent((event) => {
        if (event.event !== 'link' || event.link.state !== 'up') return;
        clearTimeout(timer);
        stop();
        resolve({ ok: true, value: undefined });
      });
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.client?.close();
    this.client = undefined;
    this.listeners.clear();
  }

  private emit(event: BridgeEvent): void {
    if (event.event === 'link') this.link = event.link;
    if (event.event === 'status') this.lastUpdate = event.update;
    for (const listener of [...this.listeners]) listener(event);
  }

  private async connect(): Promise<void> {
    const connected = await ControlClient.connect(this.socketPath);
    if (this.closed) {
      if (connected.ok) connected.value.close();
      return;
    }
    if (!connected.ok) {
      this.lost(connected.error.message);
      return;
    }
    const client = connected.value;
    client.onClose((error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lost(error.message);
    });
    const subscribed = await client.subscribe((update) => this.emit({ event: 'status', update }));
    if (!subscribed.ok) {
      client.close();
      this.lost(subscribed.error.message);
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.log.info('engine-link-up', { socket: this.socketPath });
    this.emit({ event: 'link', link: { state: 'up' } });
  }

  private lost(reason: string): void {
    if (this.closed) return;
    if (this.link.state !== 'down' || this.link.reason !== reason) {
      this.log.warn('engine-link-down', { socket: this.socketPath, reason });
      this.emit({ event: 'link', link: { state: 'down', reason } });
    }
    const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
