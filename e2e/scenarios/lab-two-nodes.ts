// The lab's implementation of the conformance scenarios' TwoNodes (src-main/testnet/scenarios.ts):
// real hnetd processes in network namespaces, pinged with the system's ping through hnet0, their
// status read with `hnet status --json`, their direct link cut on a segment's bridge. The same
// scenarios run on the in-memory network in src-main/testnet at unit speed.
import type { Cut } from '../lab/index.js';
import { onPath, type TwoNodes } from '../../src-main/testnet/scenarios.js';
import { peerWhere, pingsReceived, waitForStatus, type HnetNode } from './hnet-node.js';

/** Long enough for any path change a scenario waits for (failover is meant to take < 3 s). */
const PATH_WAIT_MS = 10_000;

/** `cut` drops what passes directly between the two (absent: the scenario may not cut). */
export function labTwoNodes(a: HnetNode, b: HnetNode, cut?: () => Promise<Cut>): TwoNodes {
  const byName = new Map([a, b].map((node) => [node.hostname, node]));
  const node = (name: string): HnetNode => {
    const found = byName.get(name);
    if (!found) throw new Error(`no node ${name} in this world`);
    return found;
  };
  let current: Cut | undefined;
  return {
    a: a.hostname,
    b: b.hostname,
    ping: async (from, to) => {
      const run = await node(from).host.exec(['ping', '-6', '-c', '1', '-W', '1', to], {
        allowFailure: true,
      });
      return pingsReceived(run.stdout) === 1;
    },
    waitPath: (from, to, kind) =>
      waitForStatus(
        node(from),
        peerWhere(node(to), (peer) => onPath(peer, kind)),
        PATH_WAIT_MS,
      ),
    cutDirect: async () => {
      if (!cut) throw new Error('this world has no direct link to cut');
      current = await cut();
    },
    restoreDirect: async () => {
      await current?.heal();
      current = undefined;
    },
  };
}
