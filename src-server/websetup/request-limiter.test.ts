// Websetup's request budgets, on a clock the test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestLimiter } from './request-limiter.js';

test('a source gets its burst, then one request per refill; others are not held back by it', () => {
  let now = 1_000_000;
  const limiter = new RequestLimiter({ burst: 2, perSecond: 0.5 }, { burst: 10, perSecond: 5 }, () => now);
  const taken = (source: string) => limiter.take(source).taken;
  assert.deepEqual([taken('a'), taken('a'), taken('a'), taken('a')], [true, true, false, false]);
  assert.equal(limiter.dropped, 2);
  assert.ok(taken('b'), 'another source has its own budget');
  now += 1_000;
  assert.ok(!taken('a'), 'half a request refilled');
  now += 1_000;
  assert.ok(taken('a'));
});

test('all sources together stay within the total budget', () => {
  let now = 0;
  const limiter = new RequestLimiter({ burst: 4, perSecond: 1 }, { burst: 3, perSecond: 1 }, () => now);
  const taken = ['a', 'b', 'c', 'd', 'e'].map((source) => limiter.take(source).taken);
  assert.deepEqual(taken, [true, true, true, false, false]);
  now += 1_000;
  assert.ok(limiter.take('d').taken);
});

test('dropped requests are reported with a taken one, at most once a minute', () => {
  let now = 0;
  const limiter = new RequestLimiter({ burst: 1, perSecond: 1 }, { burst: 100, perSecond: 100 }, () => now);
  limiter.take('a');
  for (let i = 0; i < 5; i++) limiter.take('a');
  now += 1_000;
  assert.deepEqual(limiter.take('a'), { taken: true, dropped: 5 });
  limiter.take('a');
  now += 1_000;
  assert.deepEqual(limiter.take('a'), { taken: true, dropped: 0 }, 'reported a second ago');
  now += 60_000;
  assert.deepEqual(limiter.take('a'), { taken: true, dropped: 1 });
});
