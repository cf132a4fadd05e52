import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countPeers, peerSummary } from './peer-states.js';
import { peer } from './status-fixture.js';

describe('peers counted by state', () => {
  test('every peer counts once, idle and unreachable ones included; online ones are split by path', () => {
    const peers = [
      peer('fc94::1', { reach: 'online', path: 'direct' }),
      peer('fc94::2', { reach: 'online', path: 'probing' }),
      peer('fc94::3', { reach: 'idle', path: 'direct' }),
      peer('fc94::4', { reach: 'unreachable', path: 'tunnelled' }),
      peer('fc94::5', { reach: 'offline', path: 'idle' }),
    ];
    const counts = countPeers(peers);
    assert.equal(
      counts.online + counts.idle + counts.unreachable + counts.offline,
      counts.total,
      'no peer is skipped',
    );
    assert.deepEqual(counts, {
      total: 5,
      online: 2,
      idle: 1,
      unreachable: 1,
      offline: 1,
      direct: 1,
      tunnelled: 1,
    });
    assert.equal(
      peerSummary(peers),
      '5 peers: 2 online (1 direct, 1 tunnelled), 1 idle, 1 unreachable, 1 offline',
    );
  });

  test('the summary names only the states some peer is in, and says so when there is none', () => {
    assert.equal(peerSummary([]), 'No peers');
    assert.equal(peerSummary([peer('fc94::1', { reach: 'idle', path: 'idle' })]), '1 peer: 1 idle');
    assert.equal(
      peerSummary([peer('fc94::1', { path: 'direct' }), peer('fc94::2', { path: 'direct' })]),
      '2 peers: 2 online (2 direct)',
    );
    // A dead peer whose path still says tunnelled is not counted as tunnelled.
    assert.equal(
      peerSummary([peer('fc94::1', { reach: 'unreachable', path: 'tunnelled' })]),
      '1 peer: 1 unreachable',
    );
  });
});
