// The hnet rows: on each host of a pair, the root helper and hnetd as a user runs them (the
// compiled build in dist/ when it is current, else the sources through tsx; see
// e2e/scenarios/hnet-node.ts), both pointed at one base server on the lab's Internet, each
// whitelisting the other through its control socket, as `hnet whitelist add` does.
import type { Host } from '../../e2e/lab/index.js';
import {
  makeScratch,
  removeScratch,
  startBase,
  startMeasuredNode,
  stopNode,
  type BaseServer,
  type StartedNode,
} from '../../e2e/scenarios/hnet-node.js';
import { currentBuild, sourcesBuild, type NodeBuild } from '../../scripts/program-build.js';
import type { OffloadStatus } from '../../src-main/contract/status.js';
import { HNET_VERSION } from '../../src-main/engine/version.js';
import type { HostPair } from './bench-lab.js';
import { firstLogged } from './daemon-log.js';
import type { OverlayUnderTest, RunningOverlay, StartupStep } from './overlay-under-test.js';

/** Which build the rows run: the current one (compiled if dist/ is up to date), or one insisted on. */
export type BuildChoice = 'auto' | 'compiled' | 'sources';

/** A word per offload for the table's narrow column. */
const OFFLOAD_WORDS: Record<keyof OffloadStatus, string> = {
  tcpSegments: 'TSO',
  udpSegments: 'USO',
  udpSend: 'GSO',
  udpReceive: 'GRO',
};

export function chooseBuild(choice: BuildChoice): NodeBuild {
  if (choice === 'sources') return sourcesBuild('asked for with --build sources');
  const current = currentBuild();
  if (choice === 'compiled' && current.kind !== 'compiled')
    throw new Error(`--build compiled: ${current.reason}`);
  return current;
}

/** An epoch time from hnetd's log on this process's performance.now() clock. */
const fromEpoch = (epochMs: number | undefined): number | undefined =>
  epochMs === undefined ? undefined : epochMs - performance.timeOrigin;

/** When a step was done on both nodes: the later of the two, undefined until both did it. */
const onBoth = (times: readonly (number | undefined)[]): number | undefined =>
  times.some((time) => time === undefined) ? undefined : Math.max(...(times as number[]));

const loggedBy = (node: StartedNode, event: string, where?: Record<string, string>): number | undefined =>
  fromEpoch(firstLogged(node.daemon.stderr, event, where));

/** When `node`'s last handshake with `peer` completed, as its status reports it. */
async function handshakeAt(node: StartedNode, peer: StartedNode): Promise<number | undefined> {
  const status = await node.call('status', {});
  const last = status.peers.find((p) => p.address === peer.address)?.lastHandshake;
  return last ? fromEpoch(Date.parse(last)) : undefined;
}

/**
 * The way from `since` to the first ping from a to b. Steps done on both nodes count when the
 * slower one got there; "peer known" and "handshake" are a's view of b.
 */
async function startupSteps(
  [a, b]: readonly [StartedNode, StartedNode],
  whitelisted: number | undefined,
  since: number,
): Promise<StartupStep[]> {
  const both = (pick: (node: StartedNode) => number | undefined) => onBoth([pick(a), pick(b)]);
  const steps: [string, number | undefined][] = [
    ['helper ready', both((node) => node.started.helperReady)],
    // hnetd's first line: Node has started and loaded hnetd's modules.
    ['hnetd loaded', both((node) => loggedBy(node, 'starting'))],
    // The data plane dials the base first, then asks the helper for hnet0.
    ['base connected', both((node) => loggedBy(node, 'base-connected'))],
    ['TUN up', both((node) => loggedBy(node, 'tun-opened'))],
    ['hnetd ready', both((node) => node.started.daemonReady)],
    ['whitelisted', whitelisted],
    ['peer known', loggedBy(a, 'peer-path', { peer: b.address })],
    ['handshake', await handshakeAt(a, b)],
  ];
  return steps.map(([step, at]) => ({ step, ms: at === undefined ? null : at - since }));
}

async function start(
  pair: HostPair,
  base: BaseServer,
  build: NodeBuild,
  env: Record<string, string>,
): Promise<RunningOverlay> {
  const scratch = await makeScratch();
  try {
    // Info, not the scenarios' debug: the figures are for the daemon as installed.
    const options = { baseServers: [base.server], logLevel: 'info', build, env } as const;
    const nodes = await Promise.all([
      startMeasuredNode(pair.a, scratch, options),
      startMeasuredNode(pair.b, scratch, options),
    ]);
    // Whitelisting is all a user must do before traffic flows; names are not needed here.
    const [a, b] = nodes;
    await Promise.all([
      a.call('whitelist.add', { address: b.address }),
      b.call('whitelist.add', { address: a.address }),
    ]);
    // A restart finds the whitelist in the state: nothing to wait for then.
    let whitelisted: number | undefined = performance.now();
    const inner = new Map(nodes.map((node) => [node.host, node.address]));
    return {
      addressOf: (host: Host) => {
        const address = inner.get(host);
        if (address === undefined) throw new Error(`hnet does not run on ${host.name}`);
        return address;
      },
      startupSteps: (since) => startupSteps(nodes, whitelisted, since),
      offloads: async () => {
        const offloads = (await a.call('status', {})).dataLane?.offloads;
        if (!offloads) return null;
        const on = Object.entries(OFFLOAD_WORDS).flatMap(([key, word]) =>
          offloads[key as keyof OffloadStatus] ? [word] : [],
        );
        return on.length > 0 ? on.join(' ') : 'none';
      },
      shownRttMs: async () => {
        const status = await a.call('status', {});
        return status.peers.find((p) => p.address === b.address)?.rttMs ?? null;
      },
      restartDaemons: async () => {
        await Promise.all(nodes.map((node) => node.stopDaemon()));
        const since = performance.now();
        await Promise.all(nodes.map((node) => node.startDaemon()));
        whitelisted = undefined;
        return since;
      },
      restartAll: async () => {
        await Promise.all(nodes.map((node) => node.stopAll()));
        const since = performance.now();
        await Promise.all(nodes.map((node) => node.startAll()));
        whitelisted = undefined;
        return since;
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

export type HnetUnderTest = OverlayUnderTest & {
  readonly runs: string;
  /**
   * The same nodes with settings switched (e.g. HNET_DATA_LANE=off: every packet in JavaScript),
   * to show in the same run what each part does.
   */
  variant(what: string, env: Readonly<Record<string, string>>): OverlayUnderTest;
};

/** hnet with a base server running on `baseHost` (on the lab's Internet) for every row. */
export async function hnet(baseHost: Host, build: NodeBuild): Promise<HnetUnderTest> {
  const base = await startBase(baseHost);
  const runs =
    build.kind === 'compiled'
      ? `the compiled build in dist/ (${build.reason})`
      : `the sources through tsx: ${build.reason}`;
  const name = `hnet ${HNET_VERSION}`;
  return {
    name,
    runs,
    start: (pair) => start(pair, base, build, {}),
    variant: (what, env) => ({ name: `${name}, ${what}`, start: (pair) => start(pair, base, build, env) }),
  };
}
