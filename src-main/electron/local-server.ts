// "Host a server on this machine": starts hnet-server as a child of the app, waits until it
// serves its license, and answers its address; the setup flow then points the engine at it. The
// server lives as long as the app (Quit stops it).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../engine/log.js';
import type { BridgeOutcome } from './ipc-schema.js';
import { LICENSE_PATH } from './server-setup.js';

const START_TIMEOUT_MS = 20_000;
const POLL_MS = 300;
// hnet-server prints the address it serves on; only a loopback one is used from here.
const LOCAL_URL = /\bhttps?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/;

export interface LocalServerOptions {
  /** argv of hnet-server (e.g. the app's Electron binary in Node mode and the bundled script). */
  command: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  log: Logger;
}

export class LocalServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: LocalServerOptions): Promise<BridgeOutcome<LocalServer>> {
    const [file, ...args] = options.command;
    if (!file) return failed('no hnet-server command is configured');
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8192);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = false;
    const spawnError = new Promise<string>((resolve) =>
      child.once('error', (error) => resolve(error.message)),
    );
    child.once('exit', () => (exited = true));

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const problem = await Promise.race([spawnError, sleep(POLL_MS).then(() => undefined)]);
      if (problem) return failed(`hnet-server could not start: ${problem}`);
      if (exited) return failed(`hnet-server stopped: ${lastLine(output) || 'no message'}`);
      const url = LOCAL_URL.exec(output)?.[0];
      if (url && (await answers(url + LICENSE_PATH))) {
        options.log.info('local-server-ready', { url, pid: child.pid });
        return { ok: true, value: new LocalServer(url, child) };
      }
    }
    child.kill('SIGTERM');
    return failed(
      `hnet-server did not serve its license within ${START_TIMEOUT_MS / 1000} s: ${lastLine(output) || 'no output'}`,
    );
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

const failed = (message: string) => ({
  ok: false as const,
  error: { kind: 'NotAvailable' as const, message },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
