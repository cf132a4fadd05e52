import { fileURLToPath } from 'node:url';
import { runCommand, type CommandOptions, type CommandResult } from './command.js';
import { LabProcess, type SpawnOptions } from './process.js';

// Scripts run from the repository root so `--import tsx` and relative paths resolve as in npm test.
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where a node's processes are recorded, so the lab can stop them all on teardown. */
export interface ProcessRegistry {
  track(process: LabProcess): void;
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
  exec(argv: readonly string[], options?: CommandOptions): Promise<CommandResult> {
    return runCommand(this.inNamespace(argv), { cwd: repoRoot, ...options });
  }

  /** Starts a long-running command in this namespace; the lab stops it on teardown. */
  spawn(argv: readonly string[], options?: SpawnOptions): LabProcess {
    const child = new LabProcess(this.inNamespace(argv), { cwd: repoRoot, ...options });
    this.registry.track(child);
    return child;
  }

  /** Runs a TypeScript file (path relative to the repository root, or absolute) with tsx. */
  runScript(file: string, args: readonly string[] = [], options?: CommandOptions): Promise<CommandResult> {
    return this.exec(scriptArgv(file, args), options);
  }

  /** Starts a TypeScript file with tsx as a tracked long-running process. */
  spawnScript(file: string, args: readonly string[] = [], options?: SpawnOptions): LabProcess {
    return this.spawn(scriptArgv(file, args), options);
  }

  private inNamespace(argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.namespace, ...argv];
  }
}

function scriptArgv(file: string, args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', file, ...args];
}
