// alpha's whitelist decides who reaches it. carol (behind another NAT) knows alpha and wants in;
// dave sits on alpha's own LAN. Neither is on alpha's whitelist, so neither gets through — not
// directly and not through the base — until alpha's owner adds carol, or turns the whitelist off.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  type HnetNode,
  internetWithHomes,
  peerWhere,
  ping,
  pingsReceived,
  startNode,
  waitForHostsFile,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

/** `node` may talk to `other` and knows it by name; nothing is said about the other way round. */
async function trusts(node: HnetNode, other: HnetNode): Promise<void> {
  await node.hnet(['whitelist', 'add', other.address]);
  await node.hnet(['hosts', 'add', other.hostname, other.address]);
  await waitForHostsFile(node.host, [other.hostname]);
}

describe("a node's whitelist", () => {
  const world = scenarioLab();
  let alpha: HnetNode;
  let carol: HnetNode;
  let dave: HnetNode;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['cone', 'cone']);
    const options = { baseServers: [base.server] };
    [alpha, carol, dave] = await Promise.all([
      startNode(await lab.host('alpha', { on: homes[0]!.lan }), scratch, options),
      startNode(await lab.host('carol', { on: homes[1]!.lan }), scratch, options),
      startNode(await lab.host('dave', { on: homes[0]!.lan }), scratch, options),
    ]);
    await Promise.all([trusts(carol, alpha), trusts(dave, alpha)]);
    for (const node of [alpha, carol, dave]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('a node not on the whitelist cannot reach it, not even through the base', async () => {
    const output = await ping(carol.host, 'alpha', { count: 10 });
    assert.equal(pingsReceived(output), 0, output);
    // carol's side did its part: the base relayed its packets, alpha refused them.
    const peer = await waitForStatus(
      carol,
      peerWhere(alpha, () => true),
      1_000,
    );
    assert.match(peer.reason, /via the base|trying/);
    const status = await alpha.status();
    assert.equal(
      status.peers.find((p) => p.address === carol.address),
      undefined,
      'alpha keeps no session with carol',
    );
  });

  test('after `hnet whitelist add`, it can', async () => {
    assert.match(await alpha.hnet(['whitelist', 'add', carol.address]), /added .* to the whitelist/);
    const output = await ping(carol.host, 'alpha', { count: 15 });
    // The first requests may still be in flight while the sessions are set up.
    assert.ok(pingsReceived(output) >= 10, output);
    assert.match(output, /from alpha \(fc94:/);
  });

  test('with the whitelist disabled, anyone can', async () => {
    const refused = await ping(dave.host, 'alpha', { count: 5 });
    assert.equal(pingsReceived(refused), 0, refused);
    assert.match(await alpha.hnet(['whitelist', 'disable']), /whitelist off/);
    const output = await ping(dave.host, 'alpha', { count: 15 });
    assert.ok(pingsReceived(output) >= 10, output);
    const status = await alpha.status();
    assert.equal(status.whitelist.enabled, false);
    assert.ok(
      status.peers.some((p) => p.address === dave.address),
      'alpha now has a session with dave',
    );
  });
});
