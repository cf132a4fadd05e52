// Session keys from a completed handshake (PROTOCOL.md §3): libsodium crypto_kx, where the
// numerically larger address plays the client, then the peers' signed flags mixed in so both sides
// provably agree on them.
import { compareBytes, u64le } from '../bytes.js';
import { sha256, sodium } from '../crypto.js';
import { fail, ok, type Result } from '../result.js';
import type { FillRandom } from './random.js';

export interface KxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface SessionKeys {
  rx: Uint8Array;
  tx: Uint8Array;
}

export function newKxKeyPair(random: FillRandom): KxKeyPair {
  const seed = new Uint8Array(sodium.crypto_kx_SEEDBYTES);
  random(seed);
  const pair = sodium.crypto_kx_seed_keypair(seed);
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
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
  let keys: SessionKeys;
  try {
    const shared =
      compareBytes(agreement.ownAddress, agreement.peerAddress) > 0
        ? sodium.crypto_kx_client_session_keys(ownKx.publicKey, ownKx.secretKey, peerKxPublicKey)
        : sodium.crypto_kx_server_session_keys(ownKx.publicKey, ownKx.secretKey, peerKxPublicKey);
    keys = { rx: shared.sharedRx, tx: shared.sharedTx };
  } catch {
    // libsodium refuses low-order points (an all-zero shared secret) by throwing.
    return fail('InvalidKey', 'The peer offered an unusable key-exchange key.');
  }
  // Stock mixes only when the peer sent flags; a flagless (very old) peer keeps the raw kx keys.
  if (peerFlags === 0n) return ok(keys);
  return ok({
    rx: sha256(keys.rx, u64le(peerFlags), u64le(ownFlags)),
    tx: sha256(keys.tx, u64le(ownFlags), u64le(peerFlags)),
  });
}
