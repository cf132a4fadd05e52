// The start path (`scripts/start.ts --browser`, what `quickstart.sh app` ends in) run as root in a
// lab host, for the tests that begin where a new user begins: its settings in a scratch folder of
// the host's own (so hnet0, the helper's socket and /etc/hosts are the lab's), and the one block it
// prints read back.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host, LabProcess } from './lab/index.js';
import { ENGINE_USER, HELPER_GROUP } from './lab/users.js';

export const START_COMMAND = [process.execPath, '--import', 'tsx', 'scripts/start.ts', '--browser'];

/** A lab helper's settings and hnetd's, in `scratch`/`name`; the environment naming them. */
export async function startPathEnvironment(scratch: string, name: string): Promise<NodeJS.ProcessEnv> {
  const dir = join(scratch, name);
  await mkdir(join(dir, 'helper'), { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  await writeFile(
    join(dir, 'helper.json'),
    JSON.stringify({
      group: HELPER_GROUP,
      socketPath: join(dir, 'helper', 'helper.sock'),
      hostsFile: join(dir, 'hosts'),
      stateFile: join(dir, 'helper', 'state.json'),
    }),
  );
  await writeFile(join(dir, 'hnetd.json'), '{}');
  return {
    ...process.env,
    HNET_HELPER_CONFIG: join(dir, 'helper.json'),
    HNET_HELPER_SOCKET: join(dir, 'helper', 'helper.sock'),
    HNET_STATE_DIR: join(dir, 'state'),
    HNET_CONTROL_SOCKET: join(dir, 'run', 'control.sock'),
    HNET_CONFIG: join(dir, 'hnetd.json'),
    HNET_USER: `${ENGINE_USER.uid}:${ENGINE_USER.gid}:${HELPER_GROUP}`,
    HNET_BASE_SERVERS: '',
    // Lab hosts share the machine's hostname (one UTS namespace); a device would have its own.
    HNET_HOSTNAME: name,
    HNET_LOG_DIR: join(dir, 'log'),
  };
}

/** What the start path's block says: the address to open and the two processes' pids. */
export function readStartBlock(block: string): { url: string; enginePid: number; helperPid: number } {
  const url = /^ {4}(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(block)?.[1];
  assert.ok(url, `no address with its token in:\n${block}`);
  const enginePid = Number(/hnetd as user .*, pid (\d+); log (\S+)/.exec(block)?.[1]);
  const helperPid = Number(/root helper +pid (\d+) .*; log (\S+)/.exec(block)?.[1]);
  return { url, enginePid, helperPid };
}

export interface StartPathRun {
  process: LabProcess;
  url: string;
  /** This device's overlay address (`hnet ip`). */
  address: string;
  /** `hnet <args>` against this engine, as root in its host; a failure is an answer, not thrown. */
  hnet(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops the start path as Ctrl-C would: the engine, then the helper. */
  stop(): Promise<void>;
}

/** The start path run in `host` until its block is printed. */
export async function runStartPath(host: Host, scratch: string): Promise<StartPathRun> {
  const env = await startPathEnvironment(scratch, host.name);
  const started = host.spawn(START_COMMAND, { env });
  await started.waitForOutput(/Ctrl-C stops both/, 90_000);
  const { url } = readStartBlock(started.stdout);
  const hnet = (args: readonly string[]) =>
    host.exec(
      [
        ...START_COMMAND.slice(0, 3),
        'src-main/cli/hnet.ts',
        ...args,
        '--socket',
        env['HNET_CONTROL_SOCKET']!,
      ],
      {
        allowFailure: true,
      },
    );
  const ip = await hnet(['ip']);
  assert.equal(ip.code, 0, ip.stderr);
  return {
    process: started,
    url,
    address: ip.stdout.trim(),
    hnet,
    stop: async () => {
      await started.stop(15_000);
    },
  };
}
