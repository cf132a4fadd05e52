import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CLUSTER_OVERHEAD, openCluster, peekSender, sealCluster } from './cluster-wire.js';

const key = randomBytes(32);
const sender = Buffer.from('0123456789abcdef', 'hex');
const body = new Uint8Array([1, 9, 9, 9]);

test('a sealed packet opens with the same key: type, sender, counter and body', () => {
  const packet = sealCluster(key, 'data', sender, 42n, body);
  assert.equal(packet.length, body.length + CLUSTER_OVERHEAD);
  assert.equal(peekSender(packet), '0123456789abcdef');
  const opened = openCluster(key, packet);
  assert.ok(typeof opened !== 'string');
  assert.equal(opened.type, 'data');
  assert.equal(opened.sender, '0123456789abcdef');
  assert.equal(opened.counter, 42n);
  assert.deepEqual([...opened.body], [...body]);
});

test('headroom leaves spare bytes in front for a frame header', () => {
  const framed = sealCluster(key, 'ping', sender, 1n, new Uint8Array(0), 5);
  assert.ok(typeof openCluster(key, framed.subarray(5)) !== 'string');
});

test('another key, any changed byte or a cut packet does not open', () => {
  const packet = sealCluster(key, 'data', sender, 7n, body);
  assert.equal(openCluster(randomBytes(32), packet), 'bad_tag');
  for (let i = 1; i < packet.length; i++) {
    const changed = Uint8Array.from(packet);
    changed[i]! ^= 0x01;
    assert.notEqual(typeof openCluster(key, changed), 'object', `byte ${i} changed, still opened`);
  }
  assert.equal(openCluster(key, packet.subarray(0, CLUSTER_OVERHEAD - 1)), 'malformed');
  assert.equal(openCluster(key, new Uint8Array(64)), 'malformed');
});
