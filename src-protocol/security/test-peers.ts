// Identities and seeded randomness for the security layer's tests (not used by the library itself).
import { createHash } from 'node:crypto';
import type { Identity } from '../identity.js';
import { addressFromPublicKey } from '../address.js';
import { wasmSodium } from '../crypto.js';
import { HelloSeq } from './hello-seq.js';
import type { FillRandom } from './random.js';
import { SecuritySession } from './session.js';

const sodium = await wasmSodium();

/** A qualifying identity: about one key in 1311 owns an fc94 address. */
export function testIdentity(): Identity {
  for (;;) {
    const pair = sodium.crypto_sign_keypair();
    const address = addressFromPublicKey(pair.publicKey);
    if (address) return { address, publicKey: pair.publicKey, secretKey: pair.privateKey };
  }
}

/** A deterministic random source (SHA-256 in counter mode), so a failing run can be replayed. */
export function seededRandom(seed: string): FillRandom {
  let counter = 0;
  return (into) => {
    for (let at = 0; at < into.length; at += 32) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      into.set(block.subarray(0, Math.min(32, into.length - at)), at);
    }
  };
}

/** A fresh session from `own` towards `peer`, with a helloseq of its own as if in its own process. */
export function sessionTowards(own: Identity, peer: Identity, flags: bigint): SecuritySession {
  return new SecuritySession({
    own,
    ownFlags: flags,
    peerAddress: peer.address,
    helloSeq: new HelloSeq(),
    now: 0,
  });
}
