// A complete hnet node inside a lab host, as on a real machine: the root helper (which creates
// hnet0 and writes the host's own /etc/hosts) and hnetd, each with its own state directory and
// sockets; `hnet` runs against it. Plus a base server. Used by the e2e/engine*.test.ts scenarios.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Status } from '../src-main/engine/status.js';
import type { Host, LabProcess } from './lab/index.js';

export interface HnetNode {
  readonly host: Host;
  readonly hostname: string;
  readonly address: string;
  readonly daemon: LabProcess;
  /** Runs `hnet <args>` against this node's daemon; resolves with stdout. */
  hnet(args: readonly string[]): Promise<string>;
  status(): Promise<Status>;
}

/** One temporary directory for every node of a test file; remove it in `after`. */
export const makeScratch = (): Promise<string> => mkdtemp(join(tmpdir(), 'hnet-engine-'));

export async function startBase(host: Host): Promise<{ server: string; process: LabProcess }> {
  const process = host.spawnScript('src-server/cli.ts', [
    'base',
    '--tcp',
    '0.0.0.0:443',
    '--udp',
    '0.0.0.0:5582',
    '--no-metrics',
  ]);
  await process.waitForOutput(/base server listening/);
  return { server: `${host.ip}:443`, process };
}

export async function startNode(
  host: Host,
  scratch: string,
  options: { baseServers: readonly string[]; hostname?: string },
): Promise<HnetNode> {
  const dir = join(scratch, host.name);
  await mkdir(dir, { recursive: true });
  const helperSocket = join(dir, 'helper.sock');
  const controlSocket = join(dir, 'control.sock');
  const helperConfig = join(dir, 'helper.json');
  // /etc/hosts inside the namespace is the host's private file (a bind mount): the helper edits it in place.
  await writeFile(
    helperConfig,
    JSON.stringify({
      socketPath: helperSocket,
      hostsFile: '/etc/hosts',
      stateFile: join(dir, 'helper-state.json'),
    }),
  );
  const helper = host.spawnScript('src-helper/main.ts', ['--config', helperConfig]);
  await helper.waitForOutput(/"event":"listening"/);
  const hostname = options.hostname ?? host.name;
  const env = {
    ...process.env,
    HNET_STATE_DIR: join(dir, 'state'),
    HNET_CONTROL_SOCKET: controlSocket,
    HNET_HELPER_SOCKET: helperSocket,
    HNET_BASE_SERVERS: options.baseServers.join(','),
    HNET_HOSTNAME: hostname,
    HNET_CONFIG: join(dir, 'hnetd.json'),
    HNET_LOG_LEVEL: 'debug',
  };
  await writeFile(env.HNET_CONFIG, '{}');
  const daemon = host.spawnScript('src-main/cli/hnetd.ts', [], { env });
  const hnet = async (args: readonly string[]): Promise<string> => {
    const result = await host.runScript('src-main/cli/hnet.ts', [...args, '--socket', controlSocket]);
    return result.stdout;
  };
  await hnet(['wait', 'daemon', '--timeout', '20']);
  const address = (await hnet(['ip'])).trim();
  return {
    host,
    hostname,
    address,
    daemon,
    hnet,
    status: async () => JSON.parse(await hnet(['status', '--json'])) as Status,
  };
}

/** Each node may talk to the others (whitelist) and knows them by name (host table → /etc/hosts). */
export async function introduce(nodes: readonly HnetNode[]): Promise<void> {
  for (const node of nodes)
    for (const other of nodes) {
      if (other === node) continue;
      await node.hnet(['whitelist', 'add', other.address]);
      await node.hnet(['hosts', 'add', other.hostname, other.address]);
    }
}

/** Polls `check` until it returns a value, or fails with the last status seen. */
export async function waitForStatus<T>(
  node: HnetNode,
  check: (status: Status) => T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Status | undefined;
  while (Date.now() < deadline) {
    last = await node.status();
    const found = check(last);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const log = node.daemon.stderr.trim().split('\n').slice(-60).join('\n');
  throw new Error(
    `${node.hostname}: condition not met within ${timeoutMs} ms; last status:\n${JSON.stringify(last, null, 2)}\nhnetd log:\n${log}`,
  );
}

export const removeScratch = (scratch: string): Promise<void> =>
  rm(scratch, { recursive: true, force: true });

/** How many echo replies `ping` reports. */
export const pingsReceived = (stdout: string): number => Number(/(\d+) received/.exec(stdout)?.[1] ?? 0);
