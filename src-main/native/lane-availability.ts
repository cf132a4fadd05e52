// For tests: whether this machine can run the addon's data lane. Without libsodium it cannot, and
// the engine rightly stays in JavaScript, so the lane's tests skip and say why. A libsodium that is
// installed but cannot be loaded is a fault, not an absence: then this throws and the tests fail.
import { execFileSync } from 'node:child_process';
import { isNativeError } from '../../src-helper/api/native.js';
import { loadDataPlane } from './dataplane-addon.js';

/** Why no data lane can be made here (libsodium not installed, Windows), or undefined. */
export function dataLaneUnavailable(): string | undefined {
  try {
    new (loadDataPlane().DataLane)(Uint8Array.from([0xfc, 0x94, ...new Uint8Array(14)]));
    return undefined;
  } catch (error) {
    if (!isNativeError(error) || error.code !== 'ENOTSUP') throw error;
    const installed = installedLibsodium();
    if (installed)
      throw new Error(
        `libsodium is installed (${installed}) but the data lane cannot load it: ${error.message}`,
        {
          cause: error,
        },
      );
    return error.message;
  }
}

/** The libsodium the dynamic loader knows of (Linux), if any. */
function installedLibsodium(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  let cache: string;
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  return /^\s*libsodium\.so\S*\s.*=>\s*(\S+)$/m.exec(cache)?.[1];
}
