// Two homes, each behind its own cone NAT (masquerade plus a stateful firewall, see
// e2e/lab/router.ts), and a base server on "the Internet". The story of one connection: traffic
// flows at once through the base, a direct path through both NATs replaces it, survives its own
// loss by falling back to the base within 3 s (stock Husarnet: 28–45 s), and outlives the base;
// the status says so all along, and says so within 5 s when the peer itself stops.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Cut, Host, Router, Segment } from '../lab/index.js';
import {
  type BaseServer,
  directTo,
  type HnetNode,
  type Home,
  internetWithHomes,
  introduce,
  liveStatus,
  longestGap,
  peerWhere,
  ping,
  pingsReceived,
  startBase,
  startMeasuredNode,
  startNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';
import { labTwoNodes } from './lab-two-nodes.js';
import { failoverScenario } from '../../src-main/testnet/scenarios.js';

const escaped = (ip: string): string => ip.replaceAll('.', '\\.');

describe('two nodes behind cone NATs with a base server', () => {
  const world = scenarioLab();
  let inet: Segment;
  let natA: Router;
  let natB: Router;
  let baseHost: Host;
  let base: BaseServer;
  let a: StartedNode;
  let b: HnetNode;
  let firstCut: Cut;

  before(async () => {
    const { lab, scratch } = world;
    const internet = await internetWithHomes(lab, ['cone', 'cone']);
    ({ inet, baseHost, base } = internet);
    const [homeA, homeB] = internet.homes as [Home, Home];
    [natA, natB] = [homeA.router, homeB.router];
    const [hostA, hostB] = [
      await lab.host('alpha', { on: homeA.lan }),
      await lab.host('bravo', { on: homeB.lan }),
    ];
    // Until the first ping, the NATs cannot see each other: nodes probe each other as soon as
    // they are introduced, and the first ping must show what the base does before that succeeds.
    firstCut = await inet.cut(natA.publicIp, natB.publicIp);
    [a, b] = await Promise.all([
      startMeasuredNode(hostA, scratch, { baseServers: [base.server] }),
      startNode(hostB, scratch, { baseServers: [base.server] }),
    ]);
    await introduce([a, b]);
    for (const node of [a, b])
      assert.match(await node.hnet(['wait', 'base', '--timeout', '10']), /connected to .*:443 over UDP/);
  });

  test('the first ping by hostname is answered at once, through the base', async () => {
    try {
      // One echo request, one second to answer it: no retries hide a slow start.
      const { stdout } = await a.host.exec(['ping', '-6', '-c', '1', '-W', '1', 'bravo'], {
        allowFailure: true,
      });
      assert.equal(pingsReceived(stdout), 1, stdout);
      assert.match(stdout, /from bravo \(fc94:/);
      const peer = await waitForStatus(
        a,
        peerWhere(b, () => true),
        1_000,
      );
      assert.notEqual(peer.path, 'direct');
      assert.match(peer.reason, /data via the base/);
    } finally {
      await firstCut.heal();
    }
  });

  test('a direct path through both NATs takes over within 5 s, via the other NAT’s public address', async () => {
    const pinging = ping(a.host, 'bravo', { count: 30 });
    const peer = await waitForStatus(a, directTo(b), 5_000);
    assert.match(peer.endpoint ?? '', new RegExp(`^${escaped(natB.publicIp)}:\\d+$`));
    assert.match(peer.reason, /^direct via .* \(public\)$/);
    const reverse = await waitForStatus(b, directTo(a), 5_000);
    assert.match(reverse.endpoint ?? '', new RegExp(`^${escaped(natA.publicIp)}:\\d+$`));
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 29, output);
    const after = await waitForStatus(a, directTo(b), 1_000);
    assert.ok(after.bytesSent > 0 && after.bytesReceived > 0, 'bytes are counted both ways');
    assert.notEqual(after.lastHandshake, null);
  });

  test('when the direct path is cut mid-ping, replies stop for less than 3 s', async (t) => {
    await waitForStatus(a, directTo(b), 5_000);
    const intervalS = 0.1;
    const count = 80;
    const pinging = ping(a.host, 'bravo', { count, intervalS });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The scenario the in-memory network runs too (src-main/testnet/failover.test.ts): cut, back to
    // the base with the reason shown, pings through the base, healed, the same direct path again
    // (probing went on through the outage).
    await failoverScenario(labTwoNodes(a, b, () => inet.cut(natA.publicIp, natB.publicIp)));
    const output = await pinging;
    const gap = longestGap(output, count, intervalS);
    t.diagnostic(`longest run of lost pings: ${gap.toFixed(1)} s`);
    assert.ok(gap < 3, `pings went unanswered for ${gap.toFixed(1)} s`);
  });

  test('when the base server dies, pings over the direct path keep working, and the status says both', async () => {
    await waitForStatus(a, directTo(b), 5_000);
    await base.process.stop();
    const output = await ping(a.host, 'bravo', { count: 20 });
    assert.ok(pingsReceived(output) >= 20, output);
    const status = await a.status();
    assert.equal(status.base.state, 'unreachable', JSON.stringify(status.base));
    assert.match(status.base.reason, /(closed|refused) the connection.*— direct peers keep working$/);
    const peer = directTo(b)(status);
    assert.ok(peer, 'the peer is still direct');
    assert.equal(peer.reach, 'online');
    assert.ok(peer.lastHeard && Date.now() - Date.parse(peer.lastHeard) < 2_000, peer.lastHeard ?? 'never');
  });

  test('when the base server restarts, every node registers again on its own', async () => {
    base = await startBase(baseHost);
    for (const node of [a, b]) {
      const state = await waitForStatus(
        node,
        (status) => (status.base.state === 'connected' ? status.base : undefined),
        10_000,
      );
      assert.equal(state.server, base.server);
    }
    // Registered means the base can relay again: cut the direct path and ping through it.
    const cut = await inet.cut(natA.publicIp, natB.publicIp);
    try {
      await waitForStatus(
        a,
        peerWhere(b, (p) => p.path !== 'direct'),
        4_000,
      );
      await waitForStatus(
        b,
        peerWhere(a, (p) => p.path !== 'direct'),
        4_000,
      );
      const output = await ping(b.host, 'alpha', { count: 5 });
      assert.ok(pingsReceived(output) >= 5, output);
    } finally {
      await cut.heal();
    }
  });

  test('a peer whose hnetd stops is shown unreachable within 5 s, with no RTT left from before', async (t) => {
    await waitForStatus(a, directTo(b), 5_000);
    const pinging = ping(a.host, 'bravo', { count: 30 });
    await waitForStatus(
      a,
      peerWhere(b, (p) => p.rttMs !== null),
      3_000,
      liveStatus(a),
    );
    const stoppedAt = Date.now();
    await b.daemon.stop();
    const peer = await waitForStatus(
      a,
      peerWhere(b, (p) => p.reach === 'unreachable'),
      8_000,
      liveStatus(a),
    );
    const took = Date.now() - stoppedAt;
    t.diagnostic(`unreachable ${took} ms after hnetd stopped: ${peer.reason}`);
    assert.ok(took <= 5_000, `shown unreachable only after ${took} ms`);
    assert.equal(peer.rttMs, null);
    assert.match(peer.reason, /^not answering: nothing came back by any path; /);
    const json = await a.status();
    assert.equal(
      json.peers.find((p) => p.address === b.address)?.reach,
      'unreachable',
      'in `hnet status --json`',
    );
    assert.ok(pingsReceived(await pinging) < 30, 'pings went unanswered');
  });
});
