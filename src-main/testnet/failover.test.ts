// Failover on the in-memory network: two nodes on one LAN with a real base server (loopback TCP).
// The direct path carries pings; cut, the traffic falls back to the base and the status says so;
// restored, the direct path is found again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { failoverScenario } from './scenarios.js';
import { TestNet } from './test-net.js';

describe('two nodes on one LAN with a base server', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo'], base: true });
    for (const name of ['alpha', 'bravo'])
      await net.until(`${name} on the base`, () =>
        net.status(name).base.state === 'connected' ? true : undefined,
      );
  });
  after(() => net?.stop());

  test('the base relays over TCP: its UDP is not on this network, and the status says so', () => {
    const { base } = net.status('alpha');
    assert.equal(base.transport, 'tcp');
    assert.match(
      base.reason,
      /UDP to the base (blocked|stopped answering)|checking whether UDP reaches the base/,
    );
  });

  test('a cut direct link falls back to the base, and the direct path returns once restored', async () => {
    await failoverScenario(net.twoNodes('alpha', 'bravo'));
    assert.ok((net.network.refused['cut'] ?? 0) > 0, 'the cut link refused datagrams');
  });
});
