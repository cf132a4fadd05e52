// Session keys from a completed handshake (PROTOCOL.md §3): libsodium crypto_kx, where the
// numerically larger address plays the client, then the peers' signed flags mixed in so both sides
// provably agree on them.
import { compareBytes, u64le } from '../bytes.js';
import { kxKeyPair, kxSessionKeys, sha256, type KeyPair, type SessionKeys } from '../crypto.js';
import { fail, ok, type Result } from '../result.js';
import type { FillRandom } from './random.js';

export type KxKeyPair = KeyPair;
export type { SessionKeys };

const KX_SEED_LENGTH = 32;

export function newKxKeyPair(random: FillRandom): KxKeyPair {
  const seed = new Uint8Array(KX_SEED_LENGTH);
  random(seed);
  return kxKeyPair(seed);
}

export interface KeyAgreement {
  ownAddress: Uint8Array;
  peerAddress: Uint8Array;
  ownKx: KxKeyPair;
  peerKxPublicKey: Uint8Array;
  ownFlags: bigint;
  peerFlags: bigint;
}

export function deriveSessionKeys(agreement: KeyAgreement): Result<SessionKeys> {
  const { ownKx, peerKxPublicKey, ownFlags, peerFlags } = agreement;
  const role = compareBytes(agreement.ownAddress, agreement.peerAddress) > 0 ? 'client' : 'server';
  const keys = kxSessionKeys(role, ownKx, peerKxPublicKey);
  if (!keys) return fail('InvalidKey', 'The peer offered an unusable key-exchange key.');
  // Stock mixes only when the peer sent flags; a flagless (very old) peer keeps the raw kx keys.
  if (peerFlags === 0n) return ok(keys);
  return ok({
    rx: sha256(keys.rx, u64le(peerFlags), u64le(ownFlags)),
    tx: sha256(keys.tx, u64le(ownFlags), u64le(peerFlags)),
  });
}
