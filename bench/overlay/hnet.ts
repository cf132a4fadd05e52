// The hnet rows: on each host of a pair, the root helper and hnetd exactly as a user runs them
// (from the sources, through tsx), both pointed at one base server on the lab's Internet, each
// whitelisting the other with `hnet whitelist add`.
import type { Host } from '../../e2e/lab/index.js';
import {
  makeScratch,
  removeScratch,
  startBase,
  startNode,
  stopNode,
  type BaseServer,
} from '../../e2e/scenarios/hnet-node.js';
import { HNET_VERSION } from '../../src-main/engine/version.js';
import type { HostPair } from './bench-lab.js';
import type { OverlayUnderTest, RunningOverlay } from './overlay-under-test.js';

async function start(pair: HostPair, base: BaseServer): Promise<RunningOverlay> {
  const scratch = await makeScratch();
  try {
    // Info, not the scenarios' debug: the figures are for the daemon as installed.
    const options = { baseServers: [base.server], logLevel: 'info' } as const;
    const nodes = await Promise.all([
      startNode(pair.a, scratch, options),
      startNode(pair.b, scratch, options),
    ]);
    // Whitelisting is all a user must do before traffic flows; names are not needed here.
    await Promise.all(
      nodes.map((node) =>
        Promise.all(
          nodes
            .filter((other) => other !== node)
            .map((other) => node.hnet(['whitelist', 'add', other.address])),
        ),
      ),
    );
    const inner = new Map(nodes.map((node) => [node.host, node.address]));
    return {
      addressOf: (host: Host) => {
        const address = inner.get(host);
        if (address === undefined) throw new Error(`hnet does not run on ${host.name}`);
        return address;
      },
      stop: async () => {
        await Promise.all(nodes.map(stopNode));
        await removeScratch(scratch);
      },
    };
  } catch (error) {
    await removeScratch(scratch);
    throw error;
  }
}

/** hnet with a base server running on `baseHost` (on the lab's Internet) for every row. */
export async function hnet(baseHost: Host): Promise<OverlayUnderTest> {
  const base = await startBase(baseHost);
  return { name: `hnet ${HNET_VERSION}`, start: (pair) => start(pair, base) };
}
