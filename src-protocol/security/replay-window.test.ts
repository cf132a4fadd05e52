import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ReplayWindow } from './replay-window.js';

describe('replay window', () => {
  test('accepts each counter once, in any order inside the window, and refuses older ones', () => {
    const window = new ReplayWindow(64);
    const accept = (n: number): string => {
      const verdict = window.check(n);
      if (verdict === 'fresh') window.commit(n);
      return verdict;
    };
    assert.equal(accept(0), 'invalid');
    assert.equal(accept(5), 'fresh');
    assert.equal(accept(3), 'fresh');
    assert.equal(accept(5), 'replayed');
    assert.equal(accept(200), 'fresh');
    assert.equal(accept(137), 'fresh', 'the oldest counter still inside');
    assert.equal(accept(136), 'too-old');
    assert.equal(accept(3), 'too-old');
    assert.equal(accept(2 ** 53), 'invalid', 'beyond exact integers');
  });

  test('agrees with a model that remembers every counter', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 400 }), (counters) => {
        const window = new ReplayWindow(128);
        const seen = new Set<number>();
        let newest = 0;
        for (const n of counters) {
          const expected =
            n > newest ? 'fresh' : newest - n >= 128 ? 'too-old' : seen.has(n) ? 'replayed' : 'fresh';
          const verdict = window.check(n);
          assert.equal(verdict, expected);
          if (verdict === 'fresh') {
            window.commit(n);
            seen.add(n);
            newest = Math.max(newest, n);
          }
        }
      }),
    );
  });
});
