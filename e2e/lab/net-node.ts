import { fileURLToPath } from 'node:url';
import { runCommand, type CommandOptions, type CommandResult } from './command.js';
import { LabProcess, type SpawnOptions } from './process.js';
import { asUser, homeOf, type LabUser } from './users.js';

// Scripts run from the repository root so `--import tsx` and relative paths resolve as in npm test.
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where a node's processes are recorded, so the lab can stop them all on teardown. */
export interface ProcessRegistry {
  track(process: LabProcess): void;
}

/** Runs the command as this user instead of root (users.ts), with HOME set to a folder it owns. */
export interface RunAs {
  readonly user?: LabUser;
}

/** Anything in the lab that is a network namespace: hosts, routers, segments. */
export class NetNode {
  constructor(
    /** The short name given to the lab, e.g. `a` or `nat1`. */
    readonly name: string,
    /** The namespace's full name, usable with `ip netns exec`. */
    readonly namespace: string,
    private readonly registry: ProcessRegistry,
  ) {}

  /** Runs a command in this namespace and waits for it; throws on a non-zero exit. */
  exec(argv: readonly string[], { user, ...options }: CommandOptions & RunAs = {}): Promise<CommandResult> {
    return runCommand(this.inNamespace(argv, user), {
      cwd: repoRoot,
      ...options,
      env: envFor(user, options.env),
    });
  }

  /** Starts a long-running command in this namespace; the lab stops it on teardown. */
  spawn(argv: readonly string[], { user, ...options }: SpawnOptions & RunAs = {}): LabProcess {
    const child = new LabProcess(this.inNamespace(argv, user), {
      cwd: repoRoot,
      ...options,
      env: envFor(user, options.env),
    });
    this.registry.track(child);
    return child;
  }

  /** Runs a TypeScript file (path relative to the repository root, or absolute) with tsx. */
  runScript(
    file: string,
    args: readonly string[] = [],
    options?: CommandOptions & RunAs,
  ): Promise<CommandResult> {
    return this.exec(scriptArgv(file, args), options);
  }

  /** Starts a TypeScript file with tsx as a tracked long-running process. */
  spawnScript(file: string, args: readonly string[] = [], options?: SpawnOptions & RunAs): LabProcess {
    return this.spawn(scriptArgv(file, args), options);
  }

  private inNamespace(argv: readonly string[], user: LabUser | undefined): string[] {
    return ['ip', 'netns', 'exec', this.namespace, ...(user ? asUser(user, argv) : argv)];
  }
}

/** Another user's processes get a HOME of their own unless the caller chose one: root's is closed to them. */
function envFor(
  user: LabUser | undefined,
  env: NodeJS.ProcessEnv | undefined,
): NodeJS.ProcessEnv | undefined {
  if (!user || env?.['HOME'] !== undefined) return env;
  return { ...(env ?? process.env), HOME: homeOf(user) };
}

function scriptArgv(file: string, args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', file, ...args];
}
