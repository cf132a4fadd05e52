// Every server on one database signs license.json with one key, or devices that trust one server
// distrust the others. The secret key stays in each server's state directory (copied there once by
// its owner, docs/decisions.md "One license key for several servers"); the database holds only its
// public half, so a server with a missing or different key refuses to start and says what to copy,
// instead of signing with a key of its own.
import { decodeLicenseKey, encodeLicenseKey, keyFingerprint } from '../../src-protocol/license-key.js';
import type { Store } from '../store/store.js';
import { newSigningKey, readSigningKey, saveSigningKey, type SigningKey } from './signing-key.js';

const fingerprintOf = (keyText: string): string => {
  const key = decodeLicenseKey(keyText);
  return key ? keyFingerprint(key) : 'an unreadable key';
};

const copyHint = (file: string, recorded: string): string =>
  `the servers of this database sign licenses with key ${fingerprintOf(recorded)}: copy license-key from the state directory of one of them to ${file} (readable by this server alone), then start again. A key of its own would make devices distrust this server`;

/** The key in `file`, made (and recorded in the database) by the first server only. */
export async function sharedSigningKey(file: string, store: Store): Promise<SigningKey> {
  const held = await readSigningKey(file);
  const recorded = await store.licenseKey();
  if (!held && recorded !== undefined) throw new Error(`${file} is missing, and ${copyHint(file, recorded)}`);
  const key = held ?? newSigningKey();
  const ours = encodeLicenseKey(key.publicKey);
  const agreed = await store.recordLicenseKey(ours);
  if (agreed !== ours)
    throw new Error(
      held
        ? `${file} holds key ${key.fingerprint}, but ${copyHint(file, agreed)}`
        : `another server made this database's license key meanwhile; ${copyHint(file, agreed)}`,
    );
  // Written once the database took it, so a server that lost a race keeps no key of its own.
  if (!held) await saveSigningKey(file, key);
  return key;
}
