import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAgo, formatBytes, formatRtt } from './format.js';

describe('numbers on screen', () => {
  test('sizes in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(250 * 1024 * 1024), '250 MiB');
  });

  test('round-trip times', () => {
    assert.equal(formatRtt(null), '—');
    assert.equal(formatRtt(0.42), '0.4 ms');
    assert.equal(formatRtt(123.6), '124 ms');
  });

  test('how long ago', () => {
    const now = Date.parse('2026-11-22T08:00:00Z');
    assert.equal(formatAgo(null, now), 'never');
    assert.equal(formatAgo('2026-11-22T08:00:00Z', now), 'just now');
    assert.equal(formatAgo('2026-11-22T07:59:58Z', now), '2 s ago');
    assert.equal(formatAgo('2026-11-22T07:59:00Z', now), '60 s ago');
    assert.equal(formatAgo('2026-11-22T07:30:00Z', now), '30 min ago');
    assert.equal(formatAgo('2026-11-20T08:00:00Z', now), '2 days ago');
  });
});
