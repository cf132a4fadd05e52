// LAN discovery on the in-memory network: two engines with no base server find each other only by
// their beacons (UDP 5581 multicast), go direct and carry pings; where the LAN carries no beacons,
// they do not, and the status says what they wait for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lanScenario } from './scenarios.js';
import { TestNet } from './test-net.js';

describe('two nodes on one LAN without a base server', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo'] });
  });
  after(() => net?.stop());

  test('they find each other by LAN beacons, go direct and ping each other', async () => {
    await lanScenario(net.twoNodes('alpha', 'bravo'));
  });

  test('each lists the other among the devices nearby, from its beacon', () => {
    const nearby = net.status('alpha').nearby ?? [];
    const bravo = nearby.find((device) => device.address === net.node('bravo').address);
    assert.ok(bravo, JSON.stringify(nearby));
    assert.match(bravo.endpoint, /^10\.0\.0\.2:5582$/);
  });
});

describe('two nodes on a LAN that carries no beacons, without a base server', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo'], beacons: false });
  });
  after(() => net?.stop());

  test('they never find each other: pings go unanswered and the status says why', async () => {
    assert.equal(await net.ping('alpha', 'bravo'), false);
    // Both have beaconed at least twice (once at start, again 25 s later), all of it filtered out.
    await net.until('two rounds of beacons filtered', () =>
      (net.network.refused['beacons-off'] ?? 0) >= 4 ? true : undefined,
    );
    assert.equal(await net.ping('alpha', 'bravo'), false);
    const peer = net.peer('alpha', 'bravo');
    assert.equal(peer?.path, 'resolving');
    assert.equal(peer?.reach, 'unreachable');
    assert.match(
      peer?.reason ?? '',
      /^not answering: .*no base server and no LAN beacon from this peer yet$/,
    );
    assert.deepEqual(net.status('alpha').nearby ?? [], []);
  });
});
