// Paths that break: when the direct path between two NATed nodes is cut, pings continue through
// the base within 3 s (stock Husarnet: 28–45 s) and the direct path comes back once healed; when
// the base server dies, the direct path keeps working.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab, type Host, type LabProcess, type Router, type Segment } from './lab/index.js';
import {
  introduce,
  makeScratch,
  removeScratch,
  startBase,
  pingsReceived,
  startNode,
  waitForStatus,
  type HnetNode,
} from './engine-node.js';

const PING_INTERVAL_S = 0.1;

/** The longest run of pings without a reply, in seconds, from `ping -i` output. */
function longestGap(pingOutput: string, sent: number): number {
  const answered = new Set([...pingOutput.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
  let longest = 0;
  let run = 0;
  for (let seq = 1; seq <= sent; seq++) {
    run = answered.has(seq) ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest * PING_INTERVAL_S;
}

const isDirect = (node: HnetNode, peer: HnetNode) => (status: Awaited<ReturnType<HnetNode['status']>>) =>
  status.peers.find((p) => p.address === peer.address && p.path === 'direct');

describe('failover between the direct path and the base', () => {
  let lab: Lab;
  let scratch: string;
  let inet: Segment;
  let natA: Router;
  let natB: Router;
  let base: LabProcess;
  let baseHost: Host;
  let a: HnetNode;
  let b: HnetNode;

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    inet = await lab.segment('inet');
    const lan1 = await lab.segment('lan1');
    const lan2 = await lab.segment('lan2');
    natA = await lab.router('nat1', { wan: inet, lan: lan1, mode: 'cone' });
    natB = await lab.router('nat2', { wan: inet, lan: lan2, mode: 'cone' });
    baseHost = await lab.host('base', { on: inet });
    const started = await startBase(baseHost);
    base = started.process;
    [a, b] = await Promise.all([
      startNode(await lab.host('alpha', { on: lan1 }), scratch, { baseServers: [started.server] }),
      startNode(await lab.host('bravo', { on: lan2 }), scratch, { baseServers: [started.server] }),
    ]);
    await introduce([a, b]);
    await a.hnet(['wait', 'base', '--timeout', '10']);
    await b.hnet(['wait', 'base', '--timeout', '10']);
    await a.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '10', 'bravo']);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('when the direct path is cut, pings continue through the base within 3 s', async (t) => {
    const count = 80;
    const pinging = a.host
      .exec(['ping', '-6', '-c', String(count), '-i', String(PING_INTERVAL_S), 'bravo'])
      .catch((error: { result?: { stdout: string } }) => ({ stdout: error.result?.stdout ?? '' }));
    await waitForStatus(a, isDirect(a, b), 5_000);
    const cut = await inet.cut(natA.publicIp, natB.publicIp);
    const degraded = await waitForStatus(
      a,
      (status) => status.peers.find((p) => p.address === b.address && p.path !== 'direct'),
      4_000,
    );
    assert.match(degraded.reason, /silent for 2 s: back to the base/);
    assert.equal(degraded.endpoint, null);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await cut.heal();
    const { stdout } = await pinging;
    const gap = longestGap(stdout, count);
    t.diagnostic(`longest run of lost pings: ${gap.toFixed(1)} s`);
    assert.ok(gap <= 3, `pings went unanswered for ${gap.toFixed(1)} s`);
    // Probing continued through the outage, so the direct path is found again.
    await waitForStatus(a, isDirect(a, b), 5_000);
  });

  test('when the base server dies, the direct path keeps working', async () => {
    await waitForStatus(a, isDirect(a, b), 5_000);
    await base.stop();
    const { stdout } = await a.host.exec(['ping', '-6', '-c', '20', '-i', '0.2', '-w', '8', 'bravo']);
    assert.ok(pingsReceived(stdout) >= 20, stdout);
    const status = await a.status();
    assert.notEqual(status.base.state, 'connected');
    assert.ok(isDirect(a, b)(status), 'the peer is still direct');
  });

  test('when the base server comes back, the nodes reconnect to it', async () => {
    base = (await startBase(baseHost)).process;
    for (const node of [a, b])
      assert.match(await node.hnet(['wait', 'base', '--timeout', '10']), /connected/);
  });
});
