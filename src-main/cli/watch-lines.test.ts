// `hnet status --watch` into a pipe: a line when something a user sees changes, none for counters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedLines, statusFacts } from './watch-lines.js';
import { samplePeer, sampleStatus } from './test-status.js';

const at = new Date('2026-03-01T12:00:05.250Z');

test('the first status prints every fact, each line timestamped', () => {
  const lines = changedLines(undefined, statusFacts(sampleStatus()), at);
  assert.ok(lines.length >= 5);
  for (const line of lines) assert.match(line, /^2026-03-01T12:00:05Z /);
  assert.ok(lines.includes('2026-03-01T12:00:05Z hnet up'));
  assert.ok(
    lines.includes(
      '2026-03-01T12:00:05Z peer bravo (fc94:a1::3): online, direct 203.0.113.7:5582 — direct via 203.0.113.7:5582 (public)',
    ),
    lines.join('\n'),
  );
});

test('bytes, RTT and last-heard moving print nothing', () => {
  const before = statusFacts(sampleStatus());
  const busier = sampleStatus({
    peers: [
      samplePeer({ bytesSent: 99_999, bytesReceived: 123_456, rttMs: 0.52, lastHeard: at.toISOString() }),
    ],
  });
  assert.deepEqual(changedLines(before, statusFacts(busier), at), []);
});

test('a peer that becomes unreachable, a path change, the base and the connection each print one line', () => {
  const before = statusFacts(sampleStatus());
  const after = statusFacts(
    sampleStatus({
      connection: 'down',
      base: { state: 'offline', transport: null, server: null, reason: 'disconnected' },
      peers: [
        samplePeer({ reach: 'unreachable', path: 'degraded', endpoint: null, reason: 'silent for 2 s' }),
      ],
    }),
  );
  const lines = changedLines(before, after, at).map((line) => line.slice('2026-03-01T12:00:05Z '.length));
  assert.deepEqual(lines, [
    'hnet down: no traffic, no base, no LAN beacons until "hnet up"',
    'base offline: disconnected',
    'peer bravo (fc94:a1::3): unreachable, via the base, direct path lost — silent for 2 s',
  ]);
});

test('a peer that leaves the list is said to be gone', () => {
  const lines = changedLines(statusFacts(sampleStatus()), statusFacts(sampleStatus({ peers: [] })), at);
  assert.deepEqual(lines, ['2026-03-01T12:00:05Z peer bravo (fc94:a1::3): no longer listed']);
});
