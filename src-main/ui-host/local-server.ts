// One hnet-server process owned by the app: started with a given command line, its output kept in
// a log file, ready once it has printed its dashboard address and license key fingerprint and
// serves its license there; while it has no account, it printed the link that creates the first one
// before that. Stopping it (Quit) ends the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Logger } from '../engine/client.js';
import type { BridgeOutcome } from '../contract/ui-bridge.js';
import { LICENSE_PATH } from '../../src-protocol/license-key.js';

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;
const POLL_MS = 300;
// The one plain line hnet-server prints on stdout when it is up (src-server/stack-command.ts).
const READY_LINE = /hnet-server ready: dashboard (\S+), license key ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})/;
const SETUP_LINE = /hnet-server setup: .*? (https?:\/\/\S+#setup=[\w-]+)/;
const PORT_IN_USE = /EADDRINUSE\S*(?: address already in use)? (\S+):(\d+)/;

export interface LocalServerOptions {
  /** argv of hnet-server (e.g. the app's Electron binary in Node mode and the bundled script). */
  command: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where hnet-server's output goes (appended), for the user to read. */
  logFile: string;
  log: Logger;
}

export class LocalServer {
  private constructor(
    /** The dashboard and license.json, at the address other devices use. */
    readonly url: string,
    /** The license key's fingerprint as hnet-server printed it. */
    readonly fingerprint: string,
    /** The dashboard link with the one-time setup token, if the server had no account when it started. */
    readonly setupUrl: string | undefined,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: LocalServerOptions): Promise<BridgeOutcome<LocalServer>> {
    const [file, ...args] = options.command;
    if (!file) return failed('no hnet-server command is configured');
    const logFile = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
    const opened = await new Promise<string | undefined>((resolve) =>
      logFile.once('ready', () => resolve(undefined)).once('error', (error) => resolve(error.message)),
    );
    if (opened) return failed(`hnet-server's log ${options.logFile} cannot be written: ${opened}`);
    // A full disk later on loses log lines, never the engine that hosts the server.
    logFile.on('error', () => undefined);
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-16_384);
      if (logFile.writable) logFile.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let exited = false;
    const spawnError = new Promise<string>((resolve) => child.on('error', (error) => resolve(error.message)));
    child.once('exit', () => {
      exited = true;
      logFile.end();
    });

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const problem = await Promise.race([spawnError, sleep(POLL_MS).then(() => undefined)]);
      if (problem) return failed(`hnet-server could not start: ${problem}`);
      if (exited) return failed(stoppedMessage(output, options.logFile));
      const ready = READY_LINE.exec(output);
      if (ready && (await answers(ready[1]! + LICENSE_PATH))) {
        const [, url, fingerprint] = ready as unknown as [string, string, string];
        options.log.info('local-server-ready', { url, fingerprint, pid: child.pid, log: options.logFile });
        const setupUrl = SETUP_LINE.exec(output)?.[1];
        return { ok: true, value: new LocalServer(url, fingerprint, setupUrl, options.logFile, child) };
      }
    }
    await stopChild(child);
    return failed(
      `hnet-server did not serve its license within ${START_TIMEOUT_MS / 1000} s: ${lastLine(output) || 'no output'} (log: ${options.logFile})`,
    );
  }

  /** False once the process has ended, whatever ended it. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What the user reads when hnet-server gave up: the port at fault if that was it, else its words. */
function stoppedMessage(output: string, logFile: string): string {
  const busy = PORT_IN_USE.exec(output);
  if (busy)
    return `Port ${busy[2]} on this machine is already in use (another program, or an hnet server already running), so hnet-server could not start. Stop that program and try again; nothing was changed.`;
  return `hnet-server stopped: ${lastLine(output) || 'no message'} (log: ${logFile})`;
}

const failed = (message: string) => ({
  ok: false as const,
  error: { kind: 'NotAvailable' as const, message },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The last line that says something: not a stack frame, not Node's version footer. */
const lastLine = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^at\s/.test(line) && !/^Node\.js v\d/.test(line))
    .pop() ?? '';

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
