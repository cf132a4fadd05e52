// The server's own Ed25519 key that signs license.json. Created once in the state directory and
// never replaced: every client pinned its fingerprint, so a silently new key would look like an
// attack to all of them. A damaged file stops the server with a message naming it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { signKeyPair } from '../../src-protocol/crypto.js';
import { keyFingerprint } from '../../src-protocol/license-key.js';
import { writeFileAtomic } from '../../src-shared/atomic-file.js';

export interface SigningKey {
  publicKey: Uint8Array;
  /** libsodium's 64-byte form, seed ‖ public key. */
  secretKey: Uint8Array;
  fingerprint: string;
}

const SECRET_FILE_MODE = 0o600;

function fromSecret(secretKey: Uint8Array): SigningKey {
  const { publicKey } = signKeyPair(secretKey.subarray(0, 32));
  return { publicKey, secretKey, fingerprint: keyFingerprint(publicKey) };
}

/** Loads the key from `file` (base64 of the 64-byte secret key), creating it on first start. */
export async function loadOrCreateSigningKey(file: string): Promise<SigningKey> {
  const key = await readSigningKey(file);
  if (key) return key;
  const created = newSigningKey();
  await saveSigningKey(file, created);
  return created;
}

/** A key made now, in memory only until `saveSigningKey`. */
export function newSigningKey(): SigningKey {
  return fromSecret(signKeyPair(randomBytes(32)).secretKey);
}

export async function saveSigningKey(file: string, key: SigningKey): Promise<void> {
  await writeFileAtomic(file, `${Buffer.from(key.secretKey).toString('base64')}\n`, SECRET_FILE_MODE);
}

/** The key in `file`, or undefined when there is no such file; a damaged file throws. */
export async function readSigningKey(file: string): Promise<SigningKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = Buffer.from(text.trim(), 'base64');
  const key = secret.length === 64 ? fromSecret(new Uint8Array(secret)) : undefined;
  // The second half of the secret key is the public key; a mismatch means the file was damaged.
  if (!key || !Buffer.from(secret.subarray(32)).equals(Buffer.from(key.publicKey)))
    throw new Error(
      `${file} is not a license signing key. Restore it from a backup: a new key would make every device distrust this server.`,
    );
  return key;
}
