// The in-place rewrite of relayed DATA must produce exactly what the protocol encoders produce.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { encodeBaseToPeer, encodeFrame, encodePeerToBase } from '../../src-protocol/base-messages.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import { frameInPlace, rewriteInPlace } from './relay.js';

let sender: Identity;
const target = new Uint8Array(16).fill(0xab);

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

before(async () => {
  await initCrypto();
  sender = generateIdentity();
});

for (const size of [1, 100, 1350, 1994 - 33]) {
  test(`a ${size}-byte packet rewritten in place is the base's DATA, and framed, the base's TCP frame`, () => {
    const packet = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
    const incoming = unwrap(
      encodePeerToBase({ kind: 'data', source: sender.address, target, packet }, sender, new Uint8Array(16)),
    );
    const expected = unwrap(encodeBaseToPeer({ kind: 'data', source: sender.address, packet }));

    const overUdp = incoming.slice();
    const at = rewriteInPlace(overUdp);
    assert.deepEqual(overUdp.subarray(at), expected);

    const overTcp = incoming.slice();
    rewriteInPlace(overTcp);
    assert.deepEqual(overTcp.subarray(frameInPlace(overTcp)), unwrap(encodeFrame(expected)));
  });
}
