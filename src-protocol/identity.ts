// A device identity: an Ed25519 key pair whose public key qualifies for an fc94 address (PROTOCOL.md §1).
// Reading and writing the file (mode 0600) is the caller's job; this module only converts text.
import { randomFillSync } from 'node:crypto';
import { addressFromPublicKey, formatAddress, parseOverlayAddress } from './address.js';
import { equalBytes, fromHex, toHex } from './bytes.js';
import { signKeyPair } from './crypto.js';
import { fail, ok, type Result } from './result.js';

export interface Identity {
  address: Uint8Array;
  publicKey: Uint8Array;
  /** libsodium's 64-byte form: seed ‖ public key. */
  secretKey: Uint8Array;
}

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 64;
const SEED_LENGTH = 32;

/** Seeds drawn from the system at once: one call per seed cost a seventh of each try. */
const SEEDS_PER_DRAW = 64;

/**
 * A fresh identity. About one key in 1311 qualifies, so this tries keys until one does; seeds come
 * from node:crypto because libsodium's own randombytes is slow per call (docs/decisions.md).
 */
export function generateIdentity(): Identity {
  const seeds = new Uint8Array(SEED_LENGTH * SEEDS_PER_DRAW);
  for (;;) {
    randomFillSync(seeds);
    for (let at = 0; at < seeds.length; at += SEED_LENGTH) {
      const pair = signKeyPair(seeds.subarray(at, at + SEED_LENGTH));
      const address = addressFromPublicKey(pair.publicKey);
      if (address) return { address, ...pair };
    }
  }
}

/** Rebuilds an identity from a 64-byte secret key, checking that its public half belongs to its seed. */
export function identityFromSecretKey(secretKey: Uint8Array): Result<Identity> {
  if (secretKey.length !== SECRET_KEY_LENGTH)
    return fail(
      'InvalidKey',
      `A secret key has ${SECRET_KEY_LENGTH} bytes, this one has ${secretKey.length}.`,
    );
  const pair = signKeyPair(secretKey.subarray(0, SEED_LENGTH));
  if (!equalBytes(pair.publicKey, secretKey.subarray(SEED_LENGTH)))
    return fail('InvalidKey', 'The secret key is damaged: its public half does not match its seed.');
  const address = addressFromPublicKey(pair.publicKey);
  if (!address)
    return fail('InvalidKey', 'This key does not qualify for an fc94 address; generate a new identity.');
  return ok({ address, ...pair });
}

/** Parses `<address> <pubkey hex> <secret key hex>`, the stock daemon's identity file. */
export function parseIdentityFile(text: string): Result<Identity> {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 3)
    return fail('BadFormat', 'An identity file holds one line: address, public key and secret key.');
  const [addressText, publicHex, secretHex] = fields as [string, string, string];
  const address = parseOverlayAddress(addressText);
  if (!address) return fail('BadFormat', `"${addressText}" in the identity file is not an fc94 address.`);
  const publicKey = fromHex(publicHex);
  if (!publicKey || publicKey.length !== PUBLIC_KEY_LENGTH)
    return fail('BadFormat', 'The public key in the identity file is not 64 hex digits.');
  const secretKey = fromHex(secretHex);
  if (!secretKey || secretKey.length !== SECRET_KEY_LENGTH)
    return fail('BadFormat', 'The secret key in the identity file is not 128 hex digits.');
  const identity = identityFromSecretKey(secretKey);
  if (!identity.ok) return identity;
  if (!equalBytes(identity.value.publicKey, publicKey))
    return fail('InvalidKey', 'The public key in the identity file does not belong to its secret key.');
  if (!equalBytes(identity.value.address, address))
    return fail('AddressMismatch', 'The address in the identity file is not the one its key derives to.');
  return identity;
}

export function serializeIdentity(identity: Identity): string {
  return `${formatAddress(identity.address)} ${toHex(identity.publicKey)} ${toHex(identity.secretKey)}\n`;
}
