// An hnetd serving the browser UI, with every path in a fresh temporary folder, for UI tests. By
// default it runs on this machine; give it a lab host (e2e/lab) to run it inside a namespace. It runs
// unprivileged, as an engine always does (ENGINE_USER unless told otherwise), in a folder it owns.
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, type CommandOptions, type CommandResult } from '../lab/command.js';
import type { RunAs } from '../lab/net-node.js';
import { LabProcess, type SpawnOptions } from '../lab/process.js';
import { asUser, ENGINE_USER, homeOf, type LabUser } from '../lab/users.js';

const repoRoot = new URL('../..', import.meta.url).pathname;
const tsx = (file: string, args: readonly string[]): string[] => [
  process.execPath,
  '--import',
  'tsx',
  join(repoRoot, file),
  ...args,
];

/** Where processes run: this machine, or a lab host (its `spawn` and `exec`). */
export interface Runner {
  spawn(argv: readonly string[], options?: SpawnOptions & RunAs): LabProcess;
  exec(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

export const onThisMachine: Runner = {
  spawn: (argv, { user, ...options } = {}) =>
    new LabProcess(user ? asUser(user, argv) : argv, {
      cwd: repoRoot,
      ...options,
      env: user ? { ...(options.env ?? process.env), HOME: homeOf(user) } : options.env,
    }),
  exec: (argv, options) => runCommand(argv, { cwd: repoRoot, ...options }),
};

export interface UiNodeOptions {
  runner?: Runner;
  hostname?: string;
  /** Extra settings (environment variables, see src-main/engine/state/config.ts). */
  env?: Record<string, string>;
  /** Who hnetd runs as; ENGINE_USER unless given. */
  user?: LabUser;
}

export interface UiNode {
  /** The UI's address, token included, as `hnet ui` prints it. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  controlSocket: string;
  /** The hnetd running now (a new one after startDaemon). */
  readonly process: LabProcess;
  /** Runs the `hnet` CLI against this node; throws on a non-zero exit unless allowFailure. */
  hnet(args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Stops hnetd (SIGTERM), keeping its folders: its state and its runtime folder, as systemd does. */
  stopDaemon(): Promise<void>;
  /** Starts hnetd again on the same folders; resolves once it serves the UI again. */
  startDaemon(): Promise<void>;
  /** Stops hnetd and removes its folders. */
  stop(): Promise<void>;
}

export async function startUiNode(options: UiNodeOptions = {}): Promise<UiNode> {
  const runner = options.runner ?? onThisMachine;
  const user = options.user ?? ENGINE_USER;
  const dir = await mkdtemp(join(tmpdir(), 'hnet-ui-'));
  await chmod(dir, 0o755);
  await chown(dir, user.uid, user.gid);
  const config = join(dir, 'hnetd.json');
  await writeFile(config, '{}\n');
  const controlSocket = join(dir, 'run', 'control.sock');
  const env = {
    ...process.env,
    HNET_CONFIG: config,
    HNET_STATE_DIR: join(dir, 'state'),
    HNET_CONTROL_SOCKET: controlSocket,
    // Nothing listens here: the UI must cope with a missing root helper.
    HNET_HELPER_SOCKET: join(dir, 'run', 'helper.sock'),
    HNET_HOSTNAME: options.hostname ?? 'ui-test',
    // A port of its own, so a test never meets another run's engine.
    HNET_UDP_PORT: String(20000 + Math.floor(Math.random() * 20000)),
    ...options.env,
  };
  const spawnDaemon = (): LabProcess => runner.spawn(tsx('src-main/cli/hnetd.ts', ['--ui']), { env, user });
  const serving = (started: LabProcess) =>
    started.waitForOutput(/the UI is at http:\/\/127\.0\.0\.1:\d+\//, 20_000);
  let daemon = spawnDaemon();
  const startDaemon = async (): Promise<void> => {
    daemon = spawnDaemon();
    await serving(daemon);
  };
  const stopDaemon = async (): Promise<void> => {
    await daemon.stop();
  };
  const stop = async (): Promise<void> => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const hnet: UiNode['hnet'] = (args, commandOptions) =>
    runner.exec(tsx('src-main/cli/hnet.ts', args), { env, ...commandOptions });
  try {
    await serving(daemon);
    // hnetd's output is a log, so the link with its token is not in it: `hnet ui` reads it from
    // the file hnetd keeps beside its control socket.
    const url = (await hnet(['ui'])).stdout.trim();
    return {
      url,
      origin: new URL(url).origin,
      controlSocket,
      get process() {
        return daemon;
      },
      hnet,
      stopDaemon,
      startDaemon,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Builds the UI from the current sources, so a test never looks at a stale bundle. */
export async function buildRenderer(): Promise<void> {
  await runCommand(
    [
      process.execPath,
      join(repoRoot, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'src-renderer/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: repoRoot, timeoutMs: 120_000 },
  );
}
