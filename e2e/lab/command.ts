import { spawn, execFileSync } from 'node:child_process';

/** What a finished command left behind. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** Text written to the command's stdin. */
  readonly input?: string;
  /** Resolve with the result instead of throwing when the command exits non-zero. */
  readonly allowFailure?: boolean;
  /** The command's whole process group is killed after this long. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const defaultTimeoutMs = 30_000;

/** A lab command that failed; the message carries the command line and its stderr. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
    reason: string,
  ) {
    const stderr = result.stderr.trim();
    super(`\`${formatArgv(argv)}\` ${reason}${stderr ? `:\n${stderr}` : ''}`);
    this.name = 'CommandError';
  }
}

export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * Runs argv to completion. The child leads its own process group so a timeout can take down
 * everything it started (`ip netns exec` runs the real command as a child).
 */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand needs a command');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? defaultTimeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CommandError(argv, { code: -1, stdout, stderr }, `could not start (${error.message})`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (timedOut)
        reject(new CommandError(argv, result, `timed out after ${options.timeoutMs ?? defaultTimeoutMs} ms`));
      else if (result.code !== 0 && !options.allowFailure)
        reject(
          new CommandError(
            argv,
            result,
            signal ? `was killed by ${signal}` : `exited with code ${result.code}`,
          ),
        );
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** For exit handlers, where nothing asynchronous runs any more. Never throws. */
export function runCommandSync(argv: readonly string[], input = ''): string {
  const [file, ...args] = argv;
  if (file === undefined) return '';
  try {
    return execFileSync(file, args, {
      input,
      stdio: ['pipe', 'pipe', 'ignore'],
      encoding: 'utf8',
      timeout: 10_000,
    });
  } catch {
    return '';
  }
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited already.
  }
}
