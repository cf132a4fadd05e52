// For tests that run a real `hnetd --ui` on this machine: a folder of its own, its settings, and
// the process with everything it writes collected.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const root = new URL('../..', import.meta.url).pathname;

export interface TestHnetd {
  dir: string;
  socketPath: string;
  env: NodeJS.ProcessEnv;
  daemon: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout and stderr so far, as a log would hold them (both are pipes, as under systemd). */
  output(): string;
}

export async function startTestHnetd(prefix: string, hostname: string): Promise<TestHnetd> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  const socketPath = join(dir, 'run', 'control.sock');
  const configFile = join(dir, 'hnetd.json');
  // Away from the default port other tests' engines may hold.
  const udpPort = 40_000 + Math.floor(Math.random() * 20_000);
  await writeFile(configFile, JSON.stringify({ hostname, logLevel: 'info', udpPort }));
  const env = {
    ...process.env,
    HNET_CONFIG: configFile,
    HNET_STATE_DIR: join(dir, 'state'),
    HNET_CONTROL_SOCKET: socketPath,
    HNET_HELPER_SOCKET: join(dir, 'run', 'helper.sock'),
    HNET_UI_PORT: '0',
    // Started by root, hnetd gives up root for this user, as it would for the hnet user.
    ...(process.getuid?.() === 0 ? { HNET_USER: '64221:64221' } : {}),
  };
  const daemon = spawn(process.execPath, ['--import', 'tsx', join(root, 'src-main/cli/hnetd.ts'), '--ui'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  daemon.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  daemon.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { dir, socketPath, env, daemon, output: () => output };
}
