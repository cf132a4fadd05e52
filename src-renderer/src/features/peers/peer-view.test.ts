import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { peer } from '../../../../src-main/electron/testing/status-fixture.js';
import { describePath, selectPeers, type PeerQuery } from './peer-view.js';

const A = 'fc94::a';
const B = 'fc94::b';
const C = 'fc94::c';
const peers = [
  peer(A, {
    hostname: 'desk',
    path: 'direct',
    endpoint: '[198.18.1.2]:5582',
    rttMs: 3,
    bytesSent: 10,
    lastHandshake: '2026-11-22T08:00:00Z',
  }),
  peer(B, {
    hostname: 'phone',
    path: 'tunnelled',
    rttMs: 40,
    bytesSent: 300,
    reason: 'symmetric NAT on both sides',
  }),
  peer(C, { path: 'probing', rttMs: null, bytesSent: 5, lastHandshake: '2026-11-22T08:05:00Z' }),
];
const query = (change: Partial<PeerQuery>): PeerQuery => ({
  text: '',
  kind: 'all',
  sort: 'hostname',
  descending: false,
  ...change,
});
const order = (q: Partial<PeerQuery>) => selectPeers(peers, query(q)).map((p) => p.address);

describe('the peers table', () => {
  test('a direct peer shows its endpoint; a tunnelled one the base it goes through', () => {
    assert.deepEqual(describePath(peers[0]!, '198.18.0.2:443'), {
      kind: 'direct',
      label: 'Direct',
      via: '[198.18.1.2]:5582',
    });
    assert.deepEqual(describePath(peers[1]!, '198.18.0.2:443'), {
      kind: 'tunnelled',
      label: 'Tunnelled',
      via: 'base 198.18.0.2:443',
    });
    assert.equal(describePath(peers[2]!, null).label, 'Tunnelled, trying direct');
  });

  test('filters by path kind and by text in name, address, endpoint or reason', () => {
    assert.deepEqual(order({ kind: 'direct' }), [A]);
    assert.deepEqual(order({ kind: 'tunnelled' }), [B, C]);
    assert.deepEqual(order({ text: 'symmetric' }), [B]);
    assert.deepEqual(order({ text: 'DESK' }), [A]);
    assert.deepEqual(order({ text: '198.18.1' }), [A]);
  });

  test('sorts by each column both ways; unnamed and unmeasured peers go last', () => {
    assert.deepEqual(order({ sort: 'hostname' }), [A, B, C]);
    assert.deepEqual(order({ sort: 'rtt' }), [A, B, C]);
    assert.deepEqual(order({ sort: 'rtt', descending: true }), [C, B, A]);
    assert.deepEqual(order({ sort: 'sent', descending: true }), [B, A, C]);
    assert.deepEqual(order({ sort: 'lastSeen' }), [A, C, B]);
  });
});
