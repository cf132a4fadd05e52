// The engine's private directory (default /var/lib/hnet, mode 0700) and the files it keeps there.
import { join } from 'node:path';
import { ensureDirectory } from '../../../src-shared/atomic-file.js';
import { errorText, failure, success, type Outcome } from '../../contract/errors.js';

export const STATE_DIR_MODE = 0o700;
/** Files in the state directory are read by the engine only. */
export const STATE_FILE_MODE = 0o600;

export interface StateDir {
  root: string;
  identityFile: string;
  whitelistFile: string;
  hostsFile: string;
}

export async function openStateDir(root: string): Promise<Outcome<StateDir>> {
  try {
    await ensureDirectory(root, STATE_DIR_MODE);
  } catch (error) {
    return failure(
      'BadState',
      `cannot use state directory ${root}: ${errorText(error)} — run hnetd as root or set HNET_STATE_DIR to a directory you own`,
    );
  }
  return success({
    root,
    identityFile: join(root, 'id'),
    whitelistFile: join(root, 'whitelist.json'),
    hostsFile: join(root, 'hosts.json'),
  });
}
