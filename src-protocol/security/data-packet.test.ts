import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { initCrypto, wasmSodium } from '../crypto.js';
import { DATA_OVERHEAD, MAX_DATA_PAYLOAD, openData, sealData, sealDataInto } from './data-packet.js';
import { NoncePool } from './nonce-pool.js';
import { systemRandom } from './random.js';
import { MAX_SECURITY_PACKET } from './security-packet.js';

const sodium = await wasmSodium();

before(initCrypto);

const payloadOf = (length: number): Uint8Array => {
  const payload = new Uint8Array(length);
  randomFillSync(payload);
  return payload;
};

describe('data packets', () => {
  test('match libsodium’s high-level secretbox byte for byte, both ways', () => {
    const key = sodium.crypto_secretbox_keygen();
    const nonces = new NoncePool(systemRandom);
    for (const length of [1, 100, 1350, MAX_DATA_PAYLOAD]) {
      const payload = payloadOf(length);
      const packet = sealData(key, 0x0102030405, payload, nonces);
      assert.equal(packet.length, DATA_OVERHEAD + length);
      assert.equal(packet[0], 0);
      const nonce = packet.subarray(1, 25);
      const plain = sodium.crypto_secretbox_open_easy(packet.subarray(25), nonce, key);
      assert.deepEqual(plain.subarray(0, 8), Uint8Array.from([5, 4, 3, 2, 1, 0, 0, 0]));
      assert.deepEqual(plain.subarray(8), payload);
      // And the reverse: what libsodium seals, we open, with the same nonce giving the same bytes.
      const reference = sodium.crypto_secretbox_easy(plain, nonce, key);
      assert.deepEqual(packet.subarray(25), reference);
      const opened = openData(packet, key);
      assert.ok(opened.ok);
      assert.equal(opened.value.seq, 0x0102030405);
      assert.deepEqual(opened.value.payload, payload);
    }
    assert.ok(DATA_OVERHEAD + MAX_DATA_PAYLOAD < MAX_SECURITY_PACKET);
  });

  test('a flipped bit, a wrong key or a short packet is refused as a typed error', () => {
    const key = sodium.crypto_secretbox_keygen();
    const packet = sealData(key, 0, payloadOf(64), new NoncePool(systemRandom));
    for (const at of [1, 24, 25, 40, 41, packet.length - 1]) {
      const bent = packet.slice();
      bent[at]! ^= 0x10;
      const opened = openData(bent, key);
      assert.ok(!opened.ok && opened.error.kind === 'DecryptFailed', `bit at ${at}`);
    }
    const wrongKey = openData(packet, sodium.crypto_secretbox_keygen());
    assert.ok(!wrongKey.ok && wrongKey.error.kind === 'DecryptFailed');
    const cramped = openData(packet, key, new Uint8Array(70), 10);
    assert.ok(!cramped.ok && cramped.error.kind === 'TooLong');
    const short = openData(packet.subarray(0, DATA_OVERHEAD), key);
    assert.ok(!short.ok && short.error.kind === 'BadLength');
  });

  test('writes into caller buffers at an offset, leaving the bytes around untouched', () => {
    const key = sodium.crypto_secretbox_keygen();
    const payload = payloadOf(1350);
    const out = new Uint8Array(3 + DATA_OVERHEAD + payload.length + 2).fill(0xee);
    const length = sealDataInto(out, 3, key, 7, payload, new NoncePool(systemRandom));
    assert.equal(length, DATA_OVERHEAD + payload.length);
    assert.deepEqual([...out.subarray(0, 3), ...out.subarray(3 + length)], [0xee, 0xee, 0xee, 0xee, 0xee]);
    const into = new Uint8Array(2000).fill(0xdd);
    const opened = openData(out.subarray(3, 3 + length), key, into, 100);
    assert.ok(opened.ok);
    assert.deepEqual(opened.value.payload, payload);
    assert.equal(opened.value.payload.byteOffset, 100);
    assert.equal(into[99], 0xdd);
    assert.equal(into[100 + payload.length], 0xdd);
  });

  test('never repeats a nonce across pool refills', () => {
    const pool = new NoncePool(systemRandom, 4);
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) seen.add(Buffer.from(pool.next()).toString('hex'));
    assert.equal(seen.size, 64);
  });
});
