import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initCrypto, sign } from './crypto.js';
import { generateIdentity, type Identity } from './identity.js';
import {
  decodePeerMessage,
  encodePeerData,
  encodePeerHello,
  generatePeerCookie,
  P2P_HELLO_LENGTH,
} from './p2p-messages.js';

let alice: Identity;
let bob: Identity;
let carol: Identity;
const cookie = new TextEncoder().encode('qzxyiaavhhkjqdds');

before(async () => {
  await initCrypto();
  [alice, bob, carol] = [generateIdentity(), generateIdentity(), generateIdentity()];
});

function hello(kind: 'hello' | 'helloReply' = 'hello'): Uint8Array {
  const encoded = encodePeerHello(kind, alice, bob.address, cookie);
  assert.ok(encoded.ok);
  return encoded.value;
}

function errorKind(result: { ok: true } | { ok: false; error: { kind: string } }): string {
  return result.ok ? 'accepted' : result.error.kind;
}

describe('peer-to-peer messages', () => {
  test('HELLO and HELLO_REPLY are 145 signed bytes the addressee accepts', () => {
    for (const kind of ['hello', 'helloReply'] as const) {
      const bytes = hello(kind);
      assert.equal(bytes.length, P2P_HELLO_LENGTH);
      assert.equal(bytes[0], kind === 'hello' ? 0 : 1);
      assert.deepEqual(decodePeerMessage(bytes, bob.address), {
        ok: true,
        value: { kind, sender: alice.address, publicKey: alice.publicKey, target: bob.address, cookie },
      });
    }
  });

  test('a HELLO for someone else is ignored', () => {
    assert.equal(errorKind(decodePeerMessage(hello(), carol.address)), 'NotForUs');
  });

  test('a HELLO with any byte altered is rejected', () => {
    const bytes = hello();
    for (let i = 1; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i]! ^= 0x01;
      assert.equal(decodePeerMessage(tampered).ok, false, `byte ${i}`);
    }
  });

  test('a HELLO signed correctly but claiming another address is rejected', () => {
    const bytes = hello();
    bytes.set(carol.address, 1);
    bytes.set(sign('ng-p2p-msg', bytes.subarray(0, 81), alice.secretKey), 81);
    assert.equal(errorKind(decodePeerMessage(bytes)), 'AddressMismatch');
  });

  test('a HELLO signed by another key is rejected', () => {
    const bytes = hello();
    bytes.set(sign('ng-p2p-msg', bytes.subarray(0, 81), bob.secretKey), 81);
    assert.equal(errorKind(decodePeerMessage(bytes)), 'BadSignature');
  });

  test('short, long and unknown datagrams are rejected', () => {
    const bytes = hello();
    assert.equal(errorKind(decodePeerMessage(bytes.subarray(0, 144))), 'Truncated');
    assert.equal(errorKind(decodePeerMessage(Uint8Array.of(...bytes, 0))), 'BadLength');
    assert.equal(errorKind(decodePeerMessage(new Uint8Array(0))), 'Truncated');
    assert.equal(errorKind(decodePeerMessage(Uint8Array.of(3, 0))), 'BadKind');
    assert.equal(errorKind(decodePeerMessage(Uint8Array.of(2))), 'Truncated');
  });

  test('DATA is 0x02 in front of the security packet', () => {
    const packet = Uint8Array.of(4, 1, 2, 3, 4, 5, 6, 7, 8);
    const bytes = encodePeerData(packet);
    assert.deepEqual(bytes, Uint8Array.of(2, ...packet));
    assert.deepEqual(decodePeerMessage(bytes), { ok: true, value: { kind: 'data', packet } });
  });

  test('the encoder refuses a wrong-size cookie or target', () => {
    assert.equal(errorKind(encodePeerHello('hello', alice, bob.address, cookie.subarray(1))), 'BadCookie');
    assert.equal(errorKind(encodePeerHello('hello', alice, bob.address.subarray(1), cookie)), 'BadLength');
  });

  test('cookies are 16 lowercase letters and differ each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const text = new TextDecoder().decode(generatePeerCookie());
      assert.match(text, /^[a-z]{16}$/);
      seen.add(text);
    }
    assert.equal(seen.size, 200);
  });

  test('cookie letters are unbiased: bytes that would favour early letters are redrawn', () => {
    let call = 0;
    // First fill: all 255 (must be redrawn); then bytes 0..31 map to a..z, a..f.
    const cookieBytes = generatePeerCookie((pool) => {
      pool.forEach((_, i) => (pool[i] = call === 0 ? 255 : i));
      call++;
    });
    assert.equal(new TextDecoder().decode(cookieBytes), 'abcdefghijklmnop');
    assert.equal(call, 2);
  });
});
