// "Host a server on this machine", start to finish: the step it is on (the window asks while it
// waits, so nine seconds are never a frozen button), the server once it runs, and its end once this
// device has moved to another server, by the window, the CLI or anyone: a server nobody here uses
// would only hold its ports and keep a dashboard open on the LAN.
import type { Status } from '../contract/status.js';
import type { EngineLink } from './engine-link.js';
import type { BridgeOutcome, HostedServer, HostingState, HostingStep } from '../contract/ui-bridge.js';
import type { HostedHere, LocalServerStep } from './local-server-host.js';

/** What LocalServerHost offers; tests hand in a fake. */
export interface LocalServerControl {
  start(onStep: (step: LocalServerStep) => void): Promise<BridgeOutcome<HostedHere>>;
  stop(): Promise<void>;
}

/** One server address however it was written: scheme and host as URL reads them, no trailing slash. */
export function sameServer(a: string, b: string): boolean {
  const canonical = (url: string): string => {
    try {
      const parsed = new URL(url);
      return parsed.origin + parsed.pathname.replace(/\/+$/, '');
    } catch {
      return url;
    }
  };
  return canonical(a) === canonical(b);
}

export class Hosting {
  private current: HostingState = { state: 'idle' };
  /** Whether a status has shown the engine using the hosted server since it started. */
  private seenInUse = false;

  constructor(
    private readonly server: LocalServerControl,
    private readonly link: Pick<EngineLink, 'call' | 'onEvent'>,
    private readonly now: () => number = Date.now,
  ) {
    link.onEvent((event) => {
      if (event.event === 'status') this.follow(event.update.status);
    });
  }

  state(): HostingState {
    return this.current;
  }

  async hostHere(): Promise<BridgeOutcome<HostedServer>> {
    const step = (name: HostingStep): void => {
      this.current = { state: 'working', step: name, since: new Date(this.now()).toISOString() };
    };
    const started = await this.server.start(step);
    if (!started.ok) {
      this.current = { state: 'idle' };
      return started;
    }
    const { url, fingerprint, setupUrl, logFile } = started.value;
    step('switching');
    // Our own child printed its key, so the user need not compare it; the engine still checks
    // that the server at `url` signs with exactly that key before it switches.
    const used = await this.link.call('setupServer', { url, fingerprint });
    if (!used.ok) {
      this.current = { state: 'idle' };
      await this.server.stop();
      return used;
    }
    const server: HostedServer = {
      url,
      fingerprint,
      setupUrl: setupUrl ?? null,
      baseServers: used.value.baseServers,
      logFile,
    };
    this.seenInUse = false;
    this.current = { state: 'running', server };
    return { ok: true, value: server };
  }

  /**
   * Stops the hosted server once the engine, having used it, uses another one. Only a status that
   * showed it in use counts, so a status from before the switch can never stop a server just started.
   */
  private follow(status: Status): void {
    if (this.current.state !== 'running') return;
    const using = status.server?.url;
    if (!using) return;
    const { url } = this.current.server;
    if (sameServer(using, url)) {
      this.seenInUse = true;
      return;
    }
    if (!this.seenInUse) return;
    this.current = { state: 'stopped', url, movedTo: using };
    void this.server.stop();
  }
}
