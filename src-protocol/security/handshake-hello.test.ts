import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formatAddress } from '../address.js';
import { fromHex } from '../bytes.js';
import { initCrypto } from '../crypto.js';
import { STOCK_FLAGS } from './flags.js';
import { encodeHello, HELLO_LENGTH, openHello } from './handshake-hello.js';
import { testIdentity } from './test-peers.js';

before(initCrypto);

// Captured from a stock Husarnet 2.0.343 daemon (src-protocol/vectors/husarnet-2.0.343.json).
const vector = {
  from: 'fc9459d22c2e85bd6b5e83f6f9167cb8',
  to: 'fc94a87370b222947cab80a0d526cfe6',
  hello1:
    '011481f2a3e48a3d6d20b667d4d3baf6de6147336c89fa90bb578554c90b2a0ebc9371fe3864c5f8227c98244a0edc9724d1aca4bf1a0a236be92a03e82dc6be76fc94a87370b222947cab80a0d526cfe600000000d76976ec0000000000000000030000000000000077c5770383124d735bf53efb943ddc3fbf462b8a8ef75bd37ef76013776a090f4428d9e5c25c7e82a827baf665c8fc8052d7c7fa0a9cde8ebf0458b724044105',
  hello3:
    '031481f2a3e48a3d6d20b667d4d3baf6de6147336c89fa90bb578554c90b2a0ebc9371fe3864c5f8227c98244a0edc9724d1aca4bf1a0a236be92a03e82dc6be76fc94a87370b222947cab80a0d526cfe601000000d76976ec01000000804079f103000000000000009e2662cd97750199e89c8f766a7d7aaa847af021fba4333e5e2dc099b4ace790fec31cfab52ceaa3ecb73ce9f4b6c991408e06d7fad2de14ad3f36cbcd0a4507',
};
const bytes = (hex: string): Uint8Array => fromHex(hex)!;

describe('handshake hello', () => {
  test('stock hellos #1 and #3 decode, and their signatures verify against the sender address', () => {
    const one = openHello(bytes(vector.hello1), bytes(vector.to), bytes(vector.from));
    assert.ok(one.ok, one.ok ? '' : one.error.message);
    assert.equal(one.value.number, 1);
    assert.equal(formatAddress(one.value.target), 'fc94:a873:70b2:2294:7cab:80a0:d526:cfe6');
    assert.equal(one.value.senderSeq, 0xec7669d7_00000000n, 'low 32 bits cleared');
    assert.equal(one.value.echoedSeq, 0n);
    assert.equal(one.value.flags, STOCK_FLAGS);
    const three = openHello(bytes(vector.hello3), bytes(vector.to), bytes(vector.from));
    assert.ok(three.ok, three.ok ? '' : three.error.message);
    assert.equal(three.value.number, 3);
    assert.equal(
      three.value.senderSeq,
      one.value.senderSeq + 1n,
      'incremented after the completed handshake',
    );
    assert.equal(three.value.echoedSeq, 0xf1794080_00000001n);
    assert.deepEqual(three.value.kxPublicKey, one.value.kxPublicKey, 'stock keeps one kx key per peer');
  });

  test('the stock hello is refused when it claims another sender or is bent anywhere', () => {
    const hello = bytes(vector.hello1);
    const wrongSender = openHello(hello, bytes(vector.to), bytes(vector.to));
    assert.ok(!wrongSender.ok && wrongSender.error.kind === 'AddressMismatch');
    const notForUs = openHello(hello, bytes(vector.from), bytes(vector.from));
    assert.ok(!notForUs.ok && notForUs.error.kind === 'NotForUs');
    for (const at of [0, 40, 81, 89, 97, 104, 105, 168]) {
      const bent = hello.slice();
      bent[at]! ^= 0x02;
      const opened = openHello(bent, bytes(vector.to), bytes(vector.from));
      assert.ok(!opened.ok, `byte ${at}`);
      assert.match(opened.error.kind, at === 0 ? /BadKind|BadSignature/ : /BadSignature/);
    }
    const short = openHello(hello.subarray(0, HELLO_LENGTH - 8), bytes(vector.to), bytes(vector.from));
    assert.ok(!short.ok && short.error.kind === 'BadLength');
  });

  test('what we encode, a receiver opens to the same fields', () => {
    const [alice, bob] = [testIdentity(), testIdentity()];
    const fields = {
      number: 2 as const,
      kxPublicKey: new Uint8Array(32).fill(7),
      target: bob.address,
      senderSeq: 0x1234_5678_0000_0003n,
      echoedSeq: 0xffff_ffff_ffff_ffffn,
      flags: 0x303n,
    };
    const hello = encodeHello(fields, alice);
    assert.equal(hello.length, HELLO_LENGTH);
    const opened = openHello(hello, bob.address, alice.address);
    assert.ok(opened.ok);
    assert.deepEqual(opened.value, { ...fields, signingKey: alice.publicKey });
  });
});
