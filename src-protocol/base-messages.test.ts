import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sign } from './crypto.js';
import { initCrypto } from './crypto.js';
import {
  decodeBaseToPeer,
  decodePeerToBase,
  encodeBaseToPeer,
  encodePeerToBase,
  peekSignedCookie,
  type BaseToPeerMessage,
  type PeerToBaseMessage,
} from './base-messages.js';
import { generateIdentity, type Identity } from './identity.js';

let alice: Identity;
let bob: Identity;
const cookie = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

before(async () => {
  await initCrypto();
  alice = generateIdentity();
  bob = generateIdentity();
});

function encodeOk(msg: PeerToBaseMessage, identity = alice): Uint8Array {
  const encoded = encodePeerToBase(msg, identity, cookie);
  assert.ok(encoded.ok, encoded.ok ? '' : encoded.error.message);
  return encoded.value;
}

function errorKind(result: { ok: true } | { ok: false; error: { kind: string } }): string {
  return result.ok ? 'accepted' : result.error.kind;
}

describe('peer to base messages', () => {
  test('every signed kind round-trips and names its signer and cookie', () => {
    const messages: PeerToBaseMessage[] = [
      { kind: 'requestInfo', target: bob.address },
      {
        kind: 'info',
        endpoints: [
          { ip: '10.0.0.2', port: 5582 },
          { ip: '2001:db8::2', port: 5582 },
        ],
      },
      { kind: 'info', endpoints: [] },
      { kind: 'natInit', counter: 58n },
      { kind: 'natOkConfirm', counter: 2n ** 64n - 1n },
      { kind: 'natInitTransient', counter: 0n },
    ];
    for (const msg of messages) {
      const decoded = decodePeerToBase(encodeOk(msg));
      assert.ok(decoded.ok, msg.kind);
      assert.deepEqual(decoded.value, {
        ...msg,
        signer: { id: alice.address, publicKey: alice.publicKey, cookie },
      });
    }
  });

  test('the cookie of a signed message is found before anything is verified', () => {
    const natInit = encodeOk({ kind: 'natInit', counter: 1n });
    assert.deepEqual(peekSignedCookie(natInit), cookie);
    // A base drops on the cookie first, so a forged signature does not hide it.
    natInit[natInit.length - 1]! ^= 0xff;
    assert.deepEqual(peekSignedCookie(natInit), cookie);
    assert.equal(peekSignedCookie(natInit.subarray(0, 64)), undefined);
  });

  test('DATA and USER_AGENT travel unsigned', () => {
    const packet = Uint8Array.from([0, 1, 2, 3]);
    const data = encodeOk({ kind: 'data', source: alice.address, target: bob.address, packet });
    assert.equal(data.length, 1 + 16 + 16 + 4);
    assert.deepEqual(decodePeerToBase(data), {
      ok: true,
      value: { kind: 'data', source: alice.address, target: bob.address, packet },
    });
    const ua = encodeOk({ kind: 'userAgent', userAgent: 'Husarnet,Linux,x86_64,2.0.343' });
    assert.equal(new TextDecoder().decode(ua.subarray(1)), 'Husarnet,Linux,x86_64,2.0.343');
    assert.deepEqual(decodePeerToBase(ua), {
      ok: true,
      value: { kind: 'userAgent', userAgent: 'Husarnet,Linux,x86_64,2.0.343' },
    });
  });

  test('a flipped bit anywhere in a signed message makes the base reject it', () => {
    const bytes = encodeOk({ kind: 'requestInfo', target: bob.address });
    for (let i = 1; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i]! ^= 0x10;
      const decoded = decodePeerToBase(tampered);
      assert.ok(!decoded.ok, `byte ${i}`);
      const expected =
        i < 17 ? 'AddressMismatch' : i < 49 ? ['InvalidKey', 'AddressMismatch'] : ['BadSignature'];
      assert.ok([expected].flat().includes(decoded.error.kind), `byte ${i}: ${decoded.error.kind}`);
    }
  });

  test('a correctly signed message claiming an address its key does not own is rejected', () => {
    const bytes = encodeOk({ kind: 'natInit', counter: 1n });
    bytes.set(bob.address, 1);
    bytes.set(sign('ng-p2b-msg', bytes.subarray(0, bytes.length - 64), alice.secretKey), bytes.length - 64);
    assert.equal(errorKind(decodePeerToBase(bytes)), 'AddressMismatch');
  });

  test('a message signed with another key is rejected', () => {
    const bytes = encodeOk({ kind: 'natInit', counter: 1n });
    bytes.set(sign('ng-p2b-msg', bytes.subarray(0, bytes.length - 64), bob.secretKey), bytes.length - 64);
    assert.equal(errorKind(decodePeerToBase(bytes)), 'BadSignature');
  });

  test('truncated, padded and unknown messages are rejected', () => {
    const info = encodeOk({ kind: 'info', endpoints: [{ ip: '10.0.0.2', port: 5582 }] });
    for (let n = 0; n < info.length; n++)
      assert.equal(decodePeerToBase(info.subarray(0, n)).ok, false, `${n} bytes`);
    const natInit = encodeOk({ kind: 'natInit', counter: 1n });
    const padded = new Uint8Array(natInit.length + 1);
    padded.set(natInit);
    assert.equal(decodePeerToBase(padded).ok, false);
    assert.equal(errorKind(decodePeerToBase(Uint8Array.of(7))), 'BadKind');
    assert.equal(
      errorKind(decodePeerToBase(Uint8Array.of(1, ...alice.address, ...bob.address))),
      'Truncated',
    );
    assert.equal(errorKind(decodePeerToBase(Uint8Array.of(4, 0x41, 0x0a))), 'BadFormat');
  });

  test('the encoder refuses fields of the wrong size', () => {
    assert.equal(
      errorKind(encodePeerToBase({ kind: 'natInit', counter: 1n }, alice, cookie.subarray(1))),
      'BadCookie',
    );
    assert.equal(
      errorKind(encodePeerToBase({ kind: 'requestInfo', target: bob.address.subarray(1) }, alice, cookie)),
      'BadLength',
    );
    assert.equal(
      errorKind(encodePeerToBase({ kind: 'info', endpoints: [{ ip: 'nowhere', port: 1 }] }, alice, cookie)),
      'BadFormat',
    );
    assert.equal(
      errorKind(encodePeerToBase({ kind: 'userAgent', userAgent: 'é' }, alice, cookie)),
      'BadFormat',
    );
  });
});

describe('base to peer messages', () => {
  test('every kind round-trips', () => {
    const messages: BaseToPeerMessage[] = [
      { kind: 'hello', cookie },
      { kind: 'deviceAddresses', id: bob.address, endpoints: [{ ip: '198.51.100.7', port: 40000 }] },
      { kind: 'data', source: alice.address, packet: Uint8Array.of(4, 1, 2, 3, 4, 5, 6, 7, 8) },
      { kind: 'natOk' },
      { kind: 'state', endpoints: [{ ip: '10.77.0.1', port: 5582 }] },
      {
        kind: 'state',
        endpoints: [
          { ip: '10.77.0.1', port: 5582 },
          { ip: '2001:db8::1', port: 5582 },
        ],
        transientRange: { low: 6000, high: 6010 },
      },
      { kind: 'redirect', endpoint: { ip: '203.0.113.9', port: 443 } },
    ];
    for (const msg of messages) {
      const encoded = encodeBaseToPeer(msg);
      assert.ok(encoded.ok, msg.kind);
      assert.deepEqual(decodeBaseToPeer(encoded.value), { ok: true, value: msg });
    }
  });

  test('layouts match the wire description', () => {
    const hello = encodeBaseToPeer({ kind: 'hello', cookie });
    assert.ok(hello.ok);
    assert.deepEqual(hello.value, Uint8Array.of(0, ...cookie));
    const natOk = encodeBaseToPeer({ kind: 'natOk' });
    assert.deepEqual(natOk, { ok: true, value: Uint8Array.of(3) });
    const state = encodeBaseToPeer({
      kind: 'state',
      endpoints: [{ ip: '10.0.0.1', port: 5582 }],
      transientRange: { low: 0x1234, high: 0x1235 },
    });
    assert.ok(state.ok);
    assert.equal(state.value.length, 1 + 18 + 4);
    assert.deepEqual(state.value.subarray(19), Uint8Array.of(0x34, 0x12, 0x35, 0x12));
  });

  test('shapes stock clients reject are refused', () => {
    assert.equal(
      errorKind(encodeBaseToPeer({ kind: 'deviceAddresses', id: bob.address, endpoints: [] })),
      'BadFormat',
    );
    const six = Array.from({ length: 6 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 5582 }));
    assert.equal(errorKind(encodeBaseToPeer({ kind: 'state', endpoints: six })), 'BadFormat');
    assert.equal(errorKind(encodeBaseToPeer({ kind: 'state', endpoints: [] })), 'BadFormat');
    assert.equal(
      errorKind(
        encodeBaseToPeer({ kind: 'state', endpoints: six.slice(0, 1), transientRange: { low: 9, high: 8 } }),
      ),
      'BadFormat',
    );
    assert.equal(errorKind(encodeBaseToPeer({ kind: 'hello', cookie: cookie.subarray(2) })), 'BadCookie');
  });

  test('malformed messages from a base are rejected', () => {
    assert.equal(errorKind(decodeBaseToPeer(new Uint8Array(0))), 'Truncated');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(6))), 'BadKind');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(0, ...cookie, 0))), 'BadLength');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(3, 0))), 'BadLength');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(2, ...alice.address))), 'Truncated');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(4, ...new Uint8Array(4)))), 'BadLength');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(4, ...new Uint8Array(18 * 6)))), 'BadLength');
    assert.equal(errorKind(decodeBaseToPeer(Uint8Array.of(1, ...bob.address, 1, 2, 3))), 'BadLength');
  });
});
