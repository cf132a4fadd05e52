import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotificationController } from './notification-controller.js';
import { peer, status } from '../contract/status-fixture.js';

const A = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';
const B = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40d';

function controller(enabled = true) {
  const shown: string[] = [];
  let on = enabled;
  const c = new NotificationController(
    (title, body) => shown.push(`${title} | ${body}`),
    () => on,
  );
  return { c, shown, set: (value: boolean) => (on = value) };
}

describe('peer notifications', () => {
  test('the first status is the present, not news', () => {
    const { c, shown } = controller();
    c.onStatus(status({ peers: [peer(A, { path: 'direct' })] }));
    assert.deepEqual(shown, []);
  });

  test('a peer that comes up, turns direct, then drops gives two notifications, by name', () => {
    const { c, shown } = controller();
    c.onStatus(status());
    c.onStatus(
      status({
        peers: [peer(A, { hostname: 'desk', path: 'tunnelled', reason: 'both behind symmetric NAT' })],
      }),
    );
    // Tunnelled → direct is still the same connection: no new bubble.
    c.onStatus(
      status({ peers: [peer(A, { hostname: 'desk', path: 'direct', endpoint: '[198.18.1.2]:5582' })] }),
    );
    // Going quiet keeps the session: no bubble either.
    c.onStatus(
      status({ peers: [peer(A, { hostname: 'desk', reach: 'idle', path: 'direct', reason: 'no traffic' })] }),
    );
    c.onStatus(
      status({
        peers: [
          peer(A, { hostname: 'desk', reach: 'unreachable', path: 'direct', reason: 'no reply for 3 s' }),
        ],
      }),
    );
    assert.deepEqual(shown, [
      'desk connected | through the base server. both behind symmetric NAT',
      'desk stopped answering | no reply for 3 s',
    ]);
  });

  test('a peer that answers again after it stopped is news; one that wakes from idle is not', () => {
    const { c, shown } = controller();
    c.onStatus(
      status({ peers: [peer(A, { reach: 'idle', path: 'direct' }), peer(B, { reach: 'offline' })] }),
    );
    c.onStatus(status({ peers: [peer(A, { path: 'direct' }), peer(B, { path: 'direct' })] }));
    c.onStatus(status({ peers: [peer(A, { path: 'direct' })] }));
    assert.deepEqual(
      shown.map((line) => line.split(' | ')[0]),
      [`${B} connected`, `${B} disconnected`],
    );
  });

  test('nothing is shown while notifications are off', () => {
    const { c, shown, set } = controller(false);
    c.onStatus(status());
    c.onStatus(status({ peers: [peer(A, { path: 'direct' })] }));
    set(true);
    c.onStatus(status({ peers: [peer(A, { path: 'direct' }), peer(B, { path: 'direct' })] }));
    assert.equal(shown.length, 1);
    assert.match(shown[0] ?? '', new RegExp(`^${B} connected \\| directly`));
  });

  test('a whole network appearing at once is summed up, not shown peer by peer', () => {
    const { c, shown } = controller();
    c.onStatus(status());
    const many = Array.from({ length: 6 }, (_, i) => peer(`fc94::${i + 1}`, { path: 'tunnelled' }));
    c.onStatus(status({ peers: many }));
    assert.equal(shown.length, 4);
    assert.equal(shown[3], 'hnet | 3 more peers changed');
  });
});
