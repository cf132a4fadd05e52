// The device identity lives in the state directory as the stock daemon's one-line `id` file. It is
// created once, on first start, and from then on only ever read: the address is the device's name
// in every peer's whitelist, so a damaged file stops the engine instead of being replaced.
import { chmod, readFile, stat } from 'node:fs/promises';
import { formatAddress } from '../../../src-protocol/address.js';
import { initCrypto } from '../../../src-protocol/crypto.js';
import {
  generateIdentity,
  parseIdentityFile,
  serializeIdentity,
  type Identity,
} from '../../../src-protocol/identity.js';
import { writeFileAtomic } from '../../../src-shared/atomic-file.js';
import { errorText, failure, success, type Outcome } from '../../contract/errors.js';
import { STATE_FILE_MODE } from './state-dir.js';

export interface LoadedIdentity {
  identity: Identity;
  /** True when this call generated the identity (first run). */
  created: boolean;
  /** True when the file was readable by others and its mode was tightened to 0600. */
  tightened: boolean;
}

export async function loadOrCreateIdentity(file: string): Promise<Outcome<LoadedIdentity>> {
  await initCrypto();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      return failure('BadState', `cannot read identity file ${file}: ${errorText(error)}`);
    const identity = generateIdentity();
    try {
      await writeFileAtomic(file, serializeIdentity(identity), STATE_FILE_MODE);
    } catch (writeError) {
      return failure('BadState', `cannot write identity file ${file}: ${errorText(writeError)}`);
    }
    return success({ identity, created: true, tightened: false });
  }
  const parsed = parseIdentityFile(text);
  if (!parsed.ok)
    return failure(
      'CorruptIdentity',
      `identity file ${file} is damaged: ${parsed.error.message} hnetd will not replace it, because this ` +
        `device's address would change; restore it from a backup, or move it away to start with a new address`,
    );
  const mode = (await stat(file)).mode & 0o777;
  const tightened = mode !== STATE_FILE_MODE;
  if (tightened) await chmod(file, STATE_FILE_MODE);
  return success({ identity: parsed.value, created: false, tightened });
}

export const identityAddress = (identity: Identity): string => formatAddress(identity.address);
