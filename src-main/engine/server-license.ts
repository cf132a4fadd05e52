// Fetches a server's license.json and the key that signs it (PROTOCOL.md §7), and accepts them only
// when the signature holds. Whether the key is the server's, only its fingerprint, compared by the
// user with what the server's owner sees, can tell.
import {
  decodeLicenseKey,
  keyFingerprint,
  LICENSE_KEY_PATH,
  LICENSE_PATH,
  normaliseFingerprint,
} from '../../src-protocol/license-key.js';
import { baseServerTargets, parseLicense, verifyLicense, type License } from '../../src-protocol/license.js';
import { errorText, failure, success, type Outcome } from './errors.js';

const FETCH_TIMEOUT_MS = 8000;
// license.json is a few hundred bytes; a stock daemon reads it in one 8 KiB receive.
const MAX_BODY_BYTES = 64 * 1024;

export type Fetch = (url: string, init: { signal: AbortSignal; redirect: 'error' }) => Promise<Response>;

export interface ServerLicense {
  license: License;
  /** The fingerprint of the key that signed it, for the user to compare. */
  fingerprint: string;
}

async function fetchText(fetcher: Fetch, url: string, what: string): Promise<Outcome<string>> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const detail =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s`
        : errorText(cause ?? error);
    return failure(
      'Timeout',
      `Could not reach ${host} (${detail}). Check the address and that the server is running.`,
    );
  }
  if (!response.ok)
    return failure(
      'BadParams',
      `${host} answered ${response.status} for ${what}: it does not look like an hnet server. Check the address.`,
    );
  const body = await response.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES)
    return failure(
      'BadParams',
      `${host} sent a ${what} larger than ${MAX_BODY_BYTES} bytes; that is not an hnet license.`,
    );
  return success(body);
}

/**
 * The server's license and the fingerprint of the key it publishes, if that key signed it. Whether
 * the key is the right one only the user can say, by comparing the fingerprint (`isConfirmed`).
 */
export async function fetchServerLicense(
  serverUrl: string,
  fetcher: Fetch = fetch,
): Promise<Outcome<ServerLicense>> {
  const root = serverUrl.replace(/\/+$/, '');
  const licenseText = await fetchText(fetcher, root + LICENSE_PATH, 'license.json');
  if (!licenseText.ok) return licenseText;
  const license = parseLicense(licenseText.value);
  if (!license.ok)
    return failure('BadParams', `The server's license.json is not valid: ${license.error.message}`);
  const keyText = await fetchText(fetcher, root + LICENSE_KEY_PATH, 'its signing key');
  if (!keyText.ok) return keyText;
  const key = decodeLicenseKey(keyText.value);
  if (!key)
    return failure(
      'BadParams',
      `The server's signing key (${LICENSE_KEY_PATH}) is not a base64 Ed25519 key.`,
    );
  const verified = verifyLicense(license.value, key);
  if (!verified.ok)
    return failure(
      'NotPermitted',
      `The license from ${new URL(root).host} is not signed by the key it publishes, so it cannot be trusted. Nothing was changed.`,
    );
  // The engine takes base_server_addresses as the servers to dial; a server on a TCP port other
  // than 443 names IP:PORT in the signed, hnet-only hnet_base_servers (src-protocol/license.ts).
  const dialed = { ...verified.value, base_server_addresses: baseServerTargets(verified.value) };
  return success({ license: dialed, fingerprint: keyFingerprint(key) });
}

/** Whether the fingerprint a user typed (any case, spaces or colons) is this key's. */
export const isConfirmed = (typed: string, fingerprint: string): boolean =>
  normaliseFingerprint(typed) === fingerprint;
