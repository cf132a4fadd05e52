// Rekeying on the in-memory network, in virtual time: two minutes and more of a session between
// two engines pass in a fraction of a second. The kx client starts a fresh X25519 exchange after
// REKEY_AFTER_MS (src-protocol/security/session.ts); traffic flows on through it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REKEY_AFTER_MS } from '../../src-protocol/security/session.js';
import { TestNet } from './test-net.js';

/** How long ago the status says the session with `to` last completed a handshake. */
function handshakeAge(net: TestNet, from: string, to: string): number {
  const shown = net.peer(from, to)?.lastHandshake;
  assert.ok(shown, `${from} shows a handshake with ${to}`);
  return Date.now() - Date.parse(shown);
}

describe('a long session between two nodes', () => {
  let net: TestNet;
  before(async () => {
    net = await TestNet.start({ names: ['alpha', 'bravo'] });
  });
  after(() => net?.stop());

  test('renews its keys every two minutes while pings keep being answered', async () => {
    await net.pingUntilAnswered('alpha', 'bravo');
    const sessionStart = net.clock.now();
    let unanswered = 0;
    // A ping every 5 s keeps the path active, as a user's traffic would, through two rekey periods.
    while (net.clock.now() - sessionStart < 2 * REKEY_AFTER_MS + 10_000) {
      if (!(await net.ping('alpha', 'bravo'))) unanswered++;
      if (!(await net.ping('bravo', 'alpha'))) unanswered++;
      await net.clock.advance(5_000);
    }
    assert.equal(unanswered, 0, 'no ping went unanswered across the rekeys');
    for (const [from, to] of [
      ['alpha', 'bravo'],
      ['bravo', 'alpha'],
    ] as const) {
      const age = handshakeAge(net, from, to);
      assert.ok(age < REKEY_AFTER_MS, `${from}'s last handshake with ${to} is ${age} ms old`);
      assert.equal(net.peer(from, to)?.path, 'direct');
    }
    const drops = net.status('alpha').drops ?? {};
    const refused = Object.keys(drops).filter((reason) => reason.startsWith('security-'));
    assert.deepEqual(refused, [], `no packet refused by the security layer: ${JSON.stringify(drops)}`);
  });
});
