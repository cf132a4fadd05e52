// A node behind a network that lets no UDP out: it reaches the base over TCP only, says so in its
// status, and its peer still answers pings — relayed by the base over TCP.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  type HnetNode,
  internetWithHomes,
  introduce,
  peerWhere,
  ping,
  pingsReceived,
  startNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

describe('a node whose network blocks UDP', () => {
  const world = scenarioLab();
  let a: HnetNode;
  let b: HnetNode;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['udpBlocked', 'cone']);
    const options = { baseServers: [base.server] };
    [a, b] = await Promise.all([
      startNode(await lab.host('alpha', { on: homes[0]!.lan }), scratch, options),
      startNode(await lab.host('bravo', { on: homes[1]!.lan }), scratch, options),
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
});
