// Bytes a stock Husarnet 2.0.343 daemon produced: our decoders must read them, their signatures must
// verify, and our encoders must produce the same bytes from the decoded fields.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { addressFromPublicKey, formatAddress, parseOverlayAddress } from './address.js';
import { equalBytes, toHex } from './bytes.js';
import { initCrypto, verify } from './crypto.js';
import {
  decodeBaseToPeer,
  decodePeerToBase,
  encodeBaseToPeer,
  encodePeerToBase,
  type Signer,
  type SignedPeerToBaseMessage,
} from './base-messages.js';
import { isUsableEndpoint } from './endpoint.js';
import { generateIdentity, parseIdentityFile, serializeIdentity, type Identity } from './identity.js';
import { decodeLanBeacon, encodeLanBeacon } from './lan-beacon.js';
import { decodePeerMessage, encodePeerData, encodePeerHello, type PeerHello } from './p2p-messages.js';
import { loadVectors, vector, type Vectors } from './test-vectors.js';

let vectors: Vectors;
let knownIdentities: Identity[];
let stranger: Identity;
const nodeA = parseOverlayAddress('fc94:59d2:2c2e:85bd:6b5e:83f6:f916:7cb8')!; // 10.77.0.13
const nodeB = parseOverlayAddress('fc94:a873:70b2:2294:7cab:80a0:d526:cfe6')!; // 10.77.0.12

before(async () => {
  await initCrypto();
  vectors = await loadVectors();
  knownIdentities = vectors.identities.map((v) => {
    const parsed = parseIdentityFile(v.line);
    assert.ok(parsed.ok, `identity line ${v.address} does not parse`);
    return parsed.value;
  });
  stranger = generateIdentity();
});

/**
 * Re-encodes a signed message. With the sender's secret key the output must match byte for byte
 * (Ed25519 is deterministic); without it, everything before the signature must match and the
 * captured signature must verify.
 */
function assertReencodes(
  captured: Uint8Array,
  sender: { address: Uint8Array; publicKey: Uint8Array },
  encode: (identity: Identity) => Uint8Array,
): 'resigned' | 'layout' {
  const known = knownIdentities.find((i) => equalBytes(i.address, sender.address));
  if (known) {
    assert.equal(toHex(encode(known)), toHex(captured));
    return 'resigned';
  }
  const reencoded = encode({ ...sender, secretKey: stranger.secretKey });
  assert.equal(reencoded.length, captured.length);
  assert.equal(toHex(reencoded.subarray(0, -64)), toHex(captured.subarray(0, -64)));
  return 'layout';
}

describe('stock daemon vectors', () => {
  test('identity lines parse and derive to their addresses', () => {
    vectors.identities.forEach((v, i) => {
      const identity = knownIdentities[i]!;
      assert.equal(formatAddress(identity.address), v.address);
      assert.equal(toHex(identity.publicKey), v.publicKey);
      assert.equal(toHex(identity.secretKey), v.secretKey);
      assert.deepEqual(addressFromPublicKey(identity.publicKey), identity.address);
      assert.equal(serializeIdentity(identity), `${v.line}\n`);
    });
  });

  test('signing with a stock identity is deterministic, so re-signed messages match byte for byte', () => {
    const identity = knownIdentities[0]!;
    const cookie = new TextEncoder().encode('abcdefghijklmnop');
    const first = encodePeerHello('hello', identity, nodeB, cookie);
    const second = encodePeerHello('hello', identity, nodeB, cookie);
    assert.ok(first.ok && second.ok);
    assert.equal(toHex(first.value), toHex(second.value));
    assert.ok(decodePeerMessage(first.value, nodeB).ok);
  });

  test('the LAN beacon announces node A on port 5582 and re-encodes identically', () => {
    const bytes = vector(vectors.udp, 'lanBeacon');
    const beacon = decodeLanBeacon(bytes);
    assert.ok(beacon.ok);
    assert.equal(beacon.value.port, 5582);
    assert.deepEqual(beacon.value.id, nodeA);
    assert.deepEqual(encodeLanBeacon(beacon.value), { ok: true, value: bytes });
  });

  for (const name of ['p2pHello', 'p2pHelloReply'] as const) {
    test(`${name} from node A to node B verifies and re-encodes`, (t) => {
      const bytes = vector(vectors.udp, name);
      const decoded = decodePeerMessage(bytes, nodeB);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      const hello = decoded.value as PeerHello;
      assert.equal(hello.kind, name === 'p2pHello' ? 'hello' : 'helloReply');
      assert.deepEqual(hello.sender, nodeA);
      assert.match(new TextDecoder().decode(hello.cookie), /^[a-z]{16}$/);
      const how = assertReencodes(
        bytes,
        { address: hello.sender, publicKey: hello.publicKey },
        (identity) => {
          const encoded = encodePeerHello(hello.kind, identity, hello.target, hello.cookie);
          assert.ok(encoded.ok);
          return encoded.value;
        },
      );
      t.diagnostic(`checked by ${how}`);
    });
  }

  test('p2pData is 0x02 around a security packet', () => {
    const bytes = vector(vectors.udp, 'p2pData');
    const decoded = decodePeerMessage(bytes);
    assert.ok(decoded.ok && decoded.value.kind === 'data');
    assert.equal(decoded.value.packet[0], 0, 'an encrypted security packet');
    assert.deepEqual(encodePeerData(decoded.value.packet), bytes);
  });

  const signedToBase = [
    ['udp', 'natInit'],
    ['udp', 'natOkConfirm'],
    ['baseMessages', 'info'],
    ['baseMessages', 'requestInfo'],
  ] as const;
  for (const [list, name] of signedToBase) {
    test(`${name} from node B verifies and re-encodes`, (t) => {
      const bytes = vector(vectors[list], name);
      const decoded = decodePeerToBase(bytes);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      const signer = decoded.value.signer as Signer;
      assert.deepEqual(signer.id, nodeB);
      const { signer: _signer, ...message } = decoded.value;
      const how = assertReencodes(bytes, { address: signer.id, publicKey: signer.publicKey }, (identity) => {
        const encoded = encodePeerToBase(message as SignedPeerToBaseMessage, identity, signer.cookie);
        assert.ok(encoded.ok);
        return encoded.value;
      });
      t.diagnostic(`checked by ${how}`);
    });
  }

  test('the decoded contents are what the daemon meant', () => {
    const natInit = decodePeerToBase(vector(vectors.udp, 'natInit'));
    const confirm = decodePeerToBase(vector(vectors.udp, 'natOkConfirm'));
    const request = decodePeerToBase(vector(vectors.baseMessages, 'requestInfo'));
    const info = decodePeerToBase(vector(vectors.baseMessages, 'info'));
    assert.ok(natInit.ok && natInit.value.kind === 'natInit');
    assert.ok(confirm.ok && confirm.value.kind === 'natOkConfirm');
    assert.ok(request.ok && request.value.kind === 'requestInfo');
    assert.ok(info.ok && info.value.kind === 'info');
    assert.equal(natInit.value.counter, 58n);
    assert.equal(confirm.value.counter, 58n);
    // NAT_INIT travels over UDP but carries the cookie of the sender's TCP connection.
    assert.deepEqual(natInit.value.signer.cookie, request.value.signer.cookie);
    assert.deepEqual(request.value.target, nodeA);
    assert.deepEqual(info.value.endpoints, [
      { ip: '10.77.0.12', port: 5582 },
      { ip: '127.0.0.1', port: 5582 },
    ]);
    assert.deepEqual(info.value.endpoints.filter(isUsableEndpoint), [{ ip: '10.77.0.12', port: 5582 }]);
  });

  test('NAT_OK from the base decodes and re-encodes', () => {
    const bytes = vector(vectors.udp, 'natOk');
    assert.deepEqual(decodeBaseToPeer(bytes), { ok: true, value: { kind: 'natOk' } });
    assert.deepEqual(encodeBaseToPeer({ kind: 'natOk' }), { ok: true, value: bytes });
  });

  test('security hellos carry valid ng-kx-pubkey signatures by their senders', () => {
    for (const v of vectors.securityHellos) {
      const bytes = new Uint8Array(Buffer.from(v.hex, 'hex'));
      assert.equal(bytes.length, 169, v.name);
      const publicKey = bytes.subarray(1, 33);
      assert.equal(toHex(addressFromPublicKey(publicKey)!), v.from, v.name);
      assert.equal(toHex(bytes.subarray(65, 81)), v.to, v.name);
      assert.ok(verify('ng-kx-pubkey', bytes.subarray(0, 105), bytes.subarray(105), publicKey), v.name);
      const tampered = bytes.slice();
      tampered[97]! ^= 1;
      assert.ok(
        !verify('ng-kx-pubkey', tampered.subarray(0, 105), tampered.subarray(105), publicKey),
        v.name,
      );
    }
  });
});
