// alpha's whitelist decides who reaches it. carol (behind another NAT) knows alpha and wants in;
// dave sits on alpha's own LAN. Neither is on alpha's whitelist, so neither gets through — not
// directly and not through the base — until alpha's owner adds carol, or turns the whitelist off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../lab/index.js';
import {
  makeScratch,
  peerWhere,
  ping,
  pingsReceived,
  removeScratch,
  startBase,
  startNode,
  waitForHostsFile,
  waitForStatus,
  type HnetNode,
} from './hnet-node.js';

/** `node` may talk to `other` and knows it by name; nothing is said about the other way round. */
async function trusts(node: HnetNode, other: HnetNode): Promise<void> {
  await node.hnet(['whitelist', 'add', other.address]);
  await node.hnet(['hosts', 'add', other.hostname, other.address]);
  await waitForHostsFile(node.host, [other.hostname]);
}

describe("a node's whitelist", () => {
  let lab: Lab;
  let scratch: string;
  let alpha: HnetNode;
  let carol: HnetNode;
  let dave: HnetNode;

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const lan1 = await lab.segment('lan1');
    const lan2 = await lab.segment('lan2');
    await lab.router('nat1', { wan: inet, lan: lan1, mode: 'cone' });
    await lab.router('nat2', { wan: inet, lan: lan2, mode: 'cone' });
    const { server } = await startBase(await lab.host('base', { on: inet }));
    const options = { baseServers: [server] };
    [alpha, carol, dave] = await Promise.all([
      startNode(await lab.host('alpha', { on: lan1 }), scratch, options),
      startNode(await lab.host('carol', { on: lan2 }), scratch, options),
      startNode(await lab.host('dave', { on: lan1 }), scratch, options),
    ]);
    await Promise.all([trusts(carol, alpha), trusts(dave, alpha)]);
    for (const node of [alpha, carol, dave]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
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
