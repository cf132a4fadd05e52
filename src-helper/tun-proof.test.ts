import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { addressFromPublicKey } from '../src-protocol/address.js';
import { fromHex, toHex } from '../src-protocol/bytes.js';
import { initCrypto, signDetached, signKeyPair } from '../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../src-protocol/identity.js';
import type { Caller } from './caller.js';
import { tunProofMessage } from './api/protocol.js';
import { TunChallenges } from './tun-proof.js';

const engine: Caller = { pid: 4100, uid: 999 };

let identity: Identity;
before(async () => {
  await initCrypto();
  identity = generateIdentity();
});

function prove(nonce: string, key: Identity = identity) {
  const signature = signDetached(tunProofMessage(fromHex(nonce)!), key.secretKey);
  return { publicKey: toHex(key.publicKey), nonce, signature: toHex(signature) };
}

test("a signature over the helper's nonce with the device key gets that key's address", () => {
  const challenges = new TunChallenges();
  const proof = challenges.check(prove(challenges.issue(engine)), engine);
  assert.ok(proof.ok);
  assert.deepEqual(proof.address, identity.address);
});

test('a nonce counts once, only for the process it was issued to, and only while fresh', () => {
  let now = 0;
  const challenges = new TunChallenges(() => now);
  const nonce = challenges.issue(engine);
  const otherUser = { pid: 4100, uid: 1000 };
  const otherProcess = { pid: 4101, uid: 999 };
  for (const caller of [otherUser, otherProcess]) {
    const stolen = challenges.check(prove(challenges.issue(engine)), caller);
    assert.ok(!stolen.ok && stolen.error.kind === 'BadProof');
  }
  assert.ok(challenges.check(prove(nonce), engine).ok);
  const replayed = challenges.check(prove(nonce), engine);
  assert.ok(!replayed.ok && replayed.error.kind === 'BadProof');
  const late = challenges.issue(engine);
  now += 31_000;
  assert.ok(!challenges.check(prove(late), engine).ok);
});

test("another engine's public key without its secret key gets nothing", () => {
  const challenges = new TunChallenges();
  const attacker = generateIdentity();
  const nonce = challenges.issue(engine);
  const forged = { ...prove(nonce, attacker), publicKey: toHex(identity.publicKey) };
  const refused = challenges.check(forged, engine);
  assert.ok(!refused.ok);
  assert.match(refused.error.message, /signature does not verify/);
});

test('a signature over another message, or a key that owns no fc94 address, is refused', () => {
  const challenges = new TunChallenges();
  const nonce = challenges.issue(engine);
  const wrongMessage = signDetached(fromHex(nonce)!, identity.secretKey);
  assert.ok(!challenges.check({ ...prove(nonce), signature: toHex(wrongMessage) }, engine).ok);

  let seed = 0;
  let plain = signKeyPair(new Uint8Array(32).fill(seed));
  while (addressFromPublicKey(plain.publicKey)) plain = signKeyPair(new Uint8Array(32).fill(++seed));
  const noAddress = challenges.check(
    prove(challenges.issue(engine), { ...plain, address: new Uint8Array(16) }),
    engine,
  );
  assert.ok(!noAddress.ok);
  assert.match(noAddress.error.message, /does not own an fc94 address/);
});

test('a client asking for nonces in a loop keeps only its newest few and cannot evict others', () => {
  const challenges = new TunChallenges();
  const mine = challenges.issue(engine);
  const flooder = { pid: 66, uid: 64203 };
  for (let i = 0; i < 1_000; i++) challenges.issue(flooder);
  assert.ok(challenges.check(prove(mine), engine).ok);
});
