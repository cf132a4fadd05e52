// The sign-in limiter on a fake clock: what a guesser, and the owner beside it, run into.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoginLimiter, sourceOf, type Admission } from './login-limiter.js';

const MINUTE = 60_000;

function limiterAt(start = 0) {
  const clock = { now: start };
  const waits: number[] = [];
  const limiter = new LoginLimiter(
    () => clock.now,
    (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  );
  return { clock, waits, limiter };
}

const allowed = (admission: Admission): boolean => admission.allowed;

describe('sign-in limiter', () => {
  test('an address gets 10 tries in 15 minutes, then waits until its oldest try ages out', () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 10; i++) {
      assert.ok(allowed(limiter.admit(`victim${i}@example.org`, '198.51.100.7')), `try ${i}`);
      clock.now += MINUTE;
    }
    const refused = limiter.admit('victim@example.org', '198.51.100.7');
    assert.deepEqual(refused, { allowed: false, retryAfterMs: 5 * MINUTE });
    assert.ok(allowed(limiter.admit('victim@example.org', '198.51.100.8')), 'another address is not held up');
    clock.now += 5 * MINUTE + 1;
    assert.ok(allowed(limiter.admit('victim@example.org', '198.51.100.7')));
  });

  test('an IPv6 host cannot step around the limit by changing addresses within its /64', () => {
    const { limiter } = limiterAt();
    for (let i = 1; i <= 10; i++) assert.ok(allowed(limiter.admit('a@example.org', `2001:db8:1:2::${i}`)));
    assert.equal(limiter.admit('a@example.org', '2001:db8:1:2:ffff:ffff:ffff:ffff').allowed, false);
    assert.ok(allowed(limiter.admit('a@example.org', '2001:db8:1:3::1')), 'the next /64 is someone else');
    assert.equal(sourceOf('::ffff:192.0.2.1'), '192.0.2.1', 'IPv4 seen through an IPv6 socket');
  });

  test("the right password leaves no trace: the owner's own sign-ins never use up their address", () => {
    const { limiter, waits } = limiterAt();
    for (let i = 0; i < 30; i++) {
      const admission = limiter.admit('owner@example.org', '192.0.2.10');
      assert.ok(admission.allowed, `sign-in ${i}`);
      admission.succeeded();
    }
    assert.deepEqual(waits, [], 'and the account was never slowed down');
  });

  test('guesses at one account wait longer and longer, never more than 10 s, and never are refused', () => {
    const { clock, limiter } = limiterAt();
    const delays: number[] = [];
    for (let i = 0; i < 200; i++) {
      const admission = limiter.admit('owner@example.org', `203.0.113.${i % 250}`);
      assert.ok(admission.allowed, `guess ${i} from a fresh address`);
      delays.push(admission.delayMs);
    }
    assert.deepEqual(delays.slice(0, 11), [0, 0, 0, 0, 0, 500, 1000, 2000, 4000, 8000, 10_000]);
    assert.equal(Math.max(...delays), 10_000);
    const owner = limiter.admit('owner@example.org', '192.0.2.10');
    assert.ok(owner.allowed && owner.delayMs === 10_000, 'the owner waits, boundedly, and gets in');
    clock.now += 15 * MINUTE + 1;
    const later = limiter.admit('owner@example.org', '192.0.2.10');
    assert.ok(later.allowed && later.delayMs === 0, 'the delay ages out with the guesses');
  });
});
