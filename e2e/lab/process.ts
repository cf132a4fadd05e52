import { spawn, type ChildProcess } from 'node:child_process';
import { formatArgv, killGroup } from './command.js';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A long-running process inside a namespace. It leads its own process group, so stopping it
 * also stops whatever it started, and Ctrl-C on the test does not reach it before the lab does.
 */
export class LabProcess {
  readonly pid: number;
  readonly command: string;
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private err = '';
  private status: ExitStatus | undefined;
  private readonly child: ChildProcess;

  constructor(argv: readonly string[], options: SpawnOptions = {}) {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('spawn needs a command');
    this.command = formatArgv(argv);
    this.child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: 'pipe' });
    if (this.child.pid === undefined) throw new Error(`could not start \`${this.command}\``);
    this.pid = this.child.pid;
    this.child.stdin?.end();
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** Resolves with the first match of pattern in stdout; rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.out);
        if (!match) return false;
        finish();
        resolve(match);
        return true;
      };
      const onExit = (): void => {
        if (check()) return;
        finish();
        reject(new Error(`\`${this.command}\` exited before printing ${pattern}:\n${this.err.trim()}`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `\`${this.command}\` did not print ${pattern} within ${timeoutMs} ms:\n${this.err.trim()}`,
          ),
        );
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('close', onExit);
      };
      if (check()) return;
      if (!this.running) return onExit();
      this.child.stdout?.on('data', check);
      this.child.on('close', onExit);
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) killGroup(this.pid, signal);
  }

  /** SIGTERM to the group, SIGKILL if it is still there after graceMs. */
  async stop(graceMs = 2_000): Promise<ExitStatus> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  /** For exit handlers: no waiting, nothing survives. */
  killNow(): void {
    this.signal('SIGKILL');
  }
}
