// The RTT `hnet status` shows, on the in-memory network: bravo's engine answers heartbeats the
// moment they arrive, but its kernel takes 100 ms to answer a ping (a busy machine). While alpha
// pings, the status shows what the pings take, as ping itself would; heartbeats again once the
// pings stop.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestNet } from './test-net.js';

describe('the round trip shown for a peer', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo'] });
    net.node('bravo').tun.answerDelayMs = 100;
    await net.pingUntilAnswered('alpha', 'bravo');
  });
  after(() => net?.stop());

  test('is what pings take through the peer’s own stack while someone pings, else the heartbeats’', async () => {
    await net.clock.advance(3_000);
    assert.equal(net.peer('alpha', 'bravo')?.rttMs, 0, 'heartbeats, answered by the engine at once');
    for (let i = 0; i < 5; i++) assert.ok(await net.ping('alpha', 'bravo'));
    // The clock moves in steps of 50 ms: a reply due after 100 ms is read within one step of it.
    const shown = net.peer('alpha', 'bravo')?.rttMs ?? 0;
    assert.ok(shown >= 100 && shown <= 150, `what the pings took, not the heartbeats: ${shown} ms`);
    await net.clock.advance(4_000);
    assert.equal(net.peer('alpha', 'bravo')?.rttMs, 0, 'nobody pinged for 3 s: heartbeats again');
  });
});
