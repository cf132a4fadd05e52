import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { peer } from '../../../../src-main/contract/status-fixture.js';
import { describePath, selectPeers, type PeerQuery } from './peer-view.js';

const A = 'fc94::a';
const B = 'fc94::b';
const C = 'fc94::c';
const D = 'fc94::d';
const peers = [
  peer(A, {
    hostname: 'desk',
    path: 'direct',
    endpoint: '[198.18.1.2]:5582',
    rttMs: 3,
    bytesSent: 10,
    lastHeard: '2026-11-22T08:00:00Z',
  }),
  peer(B, {
    hostname: 'phone',
    reach: 'idle',
    path: 'tunnelled',
    rttMs: 40,
    bytesSent: 300,
    reason: 'symmetric NAT on both sides',
  }),
  peer(C, { path: 'probing', rttMs: null, bytesSent: 5, lastHeard: '2026-11-22T08:05:00Z' }),
  peer(D, {
    hostname: 'nas',
    reach: 'unreachable',
    path: 'direct',
    endpoint: '[198.18.1.9]:5582',
    lastHeard: '2026-11-22T07:00:00Z',
  }),
];
const query = (change: Partial<PeerQuery>): PeerQuery => ({
  text: '',
  state: 'all',
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

  test('a peer that does not answer never shows a working path: only where its packets went', () => {
    assert.deepEqual(describePath(peers[3]!, '198.18.0.2:443'), {
      kind: 'direct',
      label: 'No answer',
      via: 'sent to [198.18.1.9]:5582',
    });
    const relayed = peer(D, { reach: 'unreachable', path: 'tunnelled' });
    assert.equal(describePath(relayed, '198.18.0.2:443').via, 'sent via base 198.18.0.2:443');
    const gone = describePath(peer(D, { reach: 'offline', path: 'tunnelled' }), '198.18.0.2:443');
    assert.deepEqual(gone, { kind: 'tunnelled', label: 'No session', via: null });
  });

  test('filters by state and by text in name, address, endpoint or reason', () => {
    assert.deepEqual(order({ state: 'online' }), [A, C]);
    assert.deepEqual(order({ state: 'idle' }), [B]);
    assert.deepEqual(order({ state: 'unreachable' }), [D]);
    assert.deepEqual(order({ state: 'offline' }), []);
    assert.deepEqual(order({ text: 'symmetric' }), [B]);
    assert.deepEqual(order({ text: 'DESK' }), [A]);
    assert.deepEqual(order({ text: '198.18.1.2' }), [A]);
  });

  test('sorts by each column both ways; unnamed, unmeasured and never heard peers go last', () => {
    assert.deepEqual(order({ sort: 'hostname' }), [A, D, B, C]);
    assert.deepEqual(order({ sort: 'state' }), [A, C, B, D]);
    assert.deepEqual(order({ sort: 'rtt' }), [A, B, C, D]);
    assert.deepEqual(order({ sort: 'rtt', descending: true }), [C, D, B, A]);
    assert.deepEqual(order({ sort: 'sent', descending: true }), [B, A, C, D]);
    assert.deepEqual(order({ sort: 'lastHeard' }), [C, A, D, B], 'most recently heard first');
  });
});
