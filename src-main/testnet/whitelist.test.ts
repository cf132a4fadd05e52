// The whitelist on the in-memory network: mallory, on the same LAN and allowing alpha, gets
// nothing through to alpha, who has not allowed it; alpha reports what it refused and why, and
// its allowed peer is unaffected.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestNet } from './test-net.js';

describe('a node on the LAN that is not on the whitelist', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo', 'mallory'], introduce: false });
    const [alpha, bravo, mallory] = ['alpha', 'bravo', 'mallory'].map((name) => net.node(name));
    await net.allow(alpha!, bravo!);
    await net.allow(bravo!, alpha!);
    await net.allow(mallory!, alpha!);
  });
  after(() => net?.stop());

  test('gets no ping through, and alpha counts its handshakes as refused', async () => {
    await net.pingUntilAnswered('alpha', 'bravo');
    // Alpha's next beacon tells mallory where to send its handshakes.
    await net.until("mallory hearing alpha's beacon", () =>
      net.status('mallory').nearby?.some((device) => device.address === net.node('alpha').address)
        ? true
        : undefined,
    );
    for (let i = 0; i < 3; i++) assert.equal(await net.ping('mallory', 'alpha'), false);
    const status = net.status('alpha');
    assert.equal(status.peers.length, 1, 'only bravo is a peer');
    assert.equal(status.peers[0]?.address, net.node('bravo').address);
    assert.ok((status.drops?.['p2p-hello-not-whitelisted'] ?? 0) > 0, JSON.stringify(status.drops));
    const shown = net.peer('mallory', 'alpha');
    assert.notEqual(shown?.path, 'direct');
    assert.equal(shown?.reach, 'unreachable');
  });

  test('is seen nearby but gets nothing from alpha: its packets are dropped and counted', async () => {
    const nearby = net.status('alpha').nearby ?? [];
    assert.ok(nearby.some((device) => device.address === net.node('mallory').address));
    const before = net.status('alpha').drops?.['tun-peer-not-whitelisted'] ?? 0;
    assert.equal(await net.ping('alpha', 'mallory'), false);
    assert.equal(net.status('alpha').drops?.['tun-peer-not-whitelisted'], before + 1);
    const refused = await net.node('alpha').engine.ping('mallory', 500);
    assert.equal(refused.ok ? '' : refused.error.kind, 'NotFound');
    const byAddress = await net.node('alpha').engine.ping(net.node('mallory').address, 500);
    assert.equal(byAddress.ok ? '' : byAddress.error.kind, 'NotPermitted');
    assert.ok(await net.ping('alpha', 'bravo'), 'bravo still answers');
  });

  test('allowed later, it is found at once from the beacon already heard', async () => {
    await net.allow(net.node('alpha'), net.node('mallory'));
    await net.pingUntilAnswered('mallory', 'alpha');
    const peer = await net.until('alpha direct to mallory', () => {
      const found = net.peer('alpha', 'mallory');
      return found?.path === 'direct' ? found : undefined;
    });
    assert.match(peer.reason, /\(LAN\)$/);
  });
});
