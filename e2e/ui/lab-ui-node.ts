// A desktop user's machine in the network lab: the root helper (so hnet0 exists and pings cross
// the overlay) and hnetd serving the browser UI. It also answers the handle e2e/scenarios/hnet-node.ts
// gives headless nodes, so introduce() and waitForStatus() work on it as on them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Status } from '../../src-main/contract/status.js';
import type { HnetNode } from '../scenarios/hnet-node.js';
import type { Host } from '../lab/index.js';
import { HELPER_GROUP } from '../lab/users.js';
import { startUiNode, type UiNode } from './ui-node.js';

export interface LabUiNode {
  ui: UiNode;
  node: HnetNode;
}

export interface LabUiNodeOptions {
  /** None: the engine starts offline, as before a server is set up. */
  baseServers?: readonly string[];
}

async function startHelper(host: Host, dir: string): Promise<string> {
  const socketPath = join(dir, 'helper.sock');
  const config = join(dir, 'helper.json');
  // /etc/hosts inside the namespace is the host's private file: the helper edits it in place.
  await writeFile(
    config,
    JSON.stringify({
      group: HELPER_GROUP,
      socketPath,
      hostsFile: '/etc/hosts',
      stateFile: join(dir, 'helper-state.json'),
    }),
  );
  const helper = host.spawnScript('src-helper/main.ts', ['--config', config]);
  await helper.waitForOutput(/"event":"listening"/);
  return socketPath;
}

/** Starts the helper and `hnetd --ui` on `host`; stop it with `ui.stop()` before the lab goes. */
export async function startLabUiNode(
  host: Host,
  scratch: string,
  options: LabUiNodeOptions = {},
): Promise<LabUiNode> {
  const dir = join(scratch, host.name);
  await mkdir(dir, { recursive: true });
  const helperSocket = await startHelper(host, dir);
  const ui = await startUiNode({
    runner: host,
    hostname: host.name,
    env: {
      HNET_HELPER_SOCKET: helperSocket,
      HNET_LOG_LEVEL: 'debug',
      ...(options.baseServers ? { HNET_BASE_SERVERS: options.baseServers.join(',') } : {}),
    },
  });
  const hnet = async (args: readonly string[]): Promise<string> => (await ui.hnet(args)).stdout;
  const address = (await hnet(['ip'])).trim();
  return {
    ui,
    node: {
      host,
      hostname: host.name,
      address,
      get daemon() {
        return ui.process;
      },
      hnet,
      status: async () => JSON.parse(await hnet(['status', '--json'])) as Status,
    },
  };
}
