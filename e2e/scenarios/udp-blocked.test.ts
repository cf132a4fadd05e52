// A node behind a network that lets no UDP out: it reaches the base over TCP only, says so in its
// status, and its peer still answers pings — relayed by the base over TCP. Then the peer's own
// network starts blocking UDP mid-session: it moves to TCP within 5 s and its pings go on.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Router } from '../lab/index.js';
import {
  type HnetNode,
  internetWithHomes,
  introduce,
  liveStatus,
  longestGap,
  peerWhere,
  ping,
  pingsReceived,
  startMeasuredNode,
  startNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

describe('a node whose network blocks UDP', () => {
  const world = scenarioLab();
  let a: HnetNode;
  let b: StartedNode;
  let natB: Router;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['udpBlocked', 'cone']);
    natB = homes[1]!.router;
    const options = { baseServers: [base.server] };
    [a, b] = await Promise.all([
      startNode(await lab.host('alpha', { on: homes[0]!.lan }), scratch, options),
      startMeasuredNode(await lab.host('bravo', { on: homes[1]!.lan }), scratch, options),
    ]);
    await introduce([a, b]);
  });

  test('the base connection falls back to TCP and says why', async () => {
    const base = await waitForStatus(
      a,
      (status) => (status.base.reason === 'UDP to the base blocked, using TCP' ? status.base : undefined),
      12_000,
    );
    assert.equal(base.state, 'connected');
    assert.equal(base.transport, 'tcp');
  });

  test('pings by hostname still work, relayed over TCP', async () => {
    const output = await ping(a.host, 'bravo', { count: 5 });
    assert.ok(pingsReceived(output) >= 5, output);
    assert.match(output, /from bravo \(fc94:/);
    const peer = await waitForStatus(
      a,
      peerWhere(b, () => true),
      1_000,
    );
    assert.notEqual(peer.path, 'direct', 'the peer is reached through the base');
    assert.match(peer.reason, /over TCP \(UDP to the base is blocked\)/);
    // And the other way: bravo's replies and its own pings reach alpha through the base too.
    const back = await ping(b.host, 'alpha', { count: 5 });
    assert.ok(pingsReceived(back) >= 5, back);
  });

  test('when UDP to the base stops mid-session, the other node moves to TCP within 5 s and pings go on', async (t) => {
    // Bravo's side of the relay is UDP until its own network starts blocking it.
    await waitForStatus(b, (status) => (status.base.transport === 'udp' ? true : undefined), 5_000);
    const count = 40;
    const intervalS = 0.2;
    const pinging = ping(b.host, 'alpha', { count, intervalS });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const blockedAt = Date.now();
    await natB.setMode('udpBlocked');
    const base = await waitForStatus(
      b,
      (status) => (status.base.transport === 'tcp' ? status.base : undefined),
      10_000,
      liveStatus(b),
    );
    const took = Date.now() - blockedAt;
    t.diagnostic(`on TCP ${took} ms after UDP was blocked`);
    assert.ok(took <= 5_000, `still "connected over UDP" ${took} ms after UDP was blocked`);
    assert.equal(base.reason, 'UDP to the base stopped answering, using TCP');
    const peer = await waitForStatus(
      b,
      peerWhere(a, () => true),
      1_000,
    );
    assert.match(peer.reason, /over TCP/);
    const output = await pinging;
    const gap = longestGap(output, count, intervalS);
    t.diagnostic(`longest run of lost pings: ${gap.toFixed(1)} s`);
    assert.ok(gap <= 5, `pings went unanswered for ${gap.toFixed(1)} s`);
  });
});
