import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routerLostState } from './router-epoch.js';

describe('router restart from the PCP/NAT-PMP epoch (RFC 6887 §8.5)', () => {
  const before = { epoch: 1000, atMs: 50_000 };

  test('a router whose epoch moved as far as our clock kept its mappings, give or take two seconds', () => {
    assert.equal(routerLostState(before, { epoch: 1060, atMs: 110_000 }), false);
    assert.equal(routerLostState(before, { epoch: 1001, atMs: 52_500 }), false);
    assert.equal(routerLostState(before, { epoch: 999, atMs: 50_000 }), false);
  });

  test('an epoch that went back (the router restarted) means the mappings are gone', () => {
    assert.equal(routerLostState(before, { epoch: 4, atMs: 60_000 }), true);
  });

  test('an epoch that moved far less than our clock means the router did not run all along', () => {
    // 60 s passed for us, 30 s for it: its table was not kept the whole time.
    assert.equal(routerLostState(before, { epoch: 1030, atMs: 110_000 }), true);
  });

  test('an epoch that raced far ahead of our clock is not to be trusted either', () => {
    assert.equal(routerLostState(before, { epoch: 5000, atMs: 60_000 }), true);
  });
});
