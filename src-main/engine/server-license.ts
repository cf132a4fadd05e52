// Fetches a server's license.json and the key that signs it (PROTOCOL.md §7), and accepts them
// only when the signature holds and the key has the fingerprint the user confirmed.
import {
  decodeLicenseKey,
  keyFingerprint,
  LICENSE_KEY_PATH,
  LICENSE_PATH,
  normaliseFingerprint,
} from '../../src-protocol/license-key.js';
import { parseLicense, verifyLicense, type License } from '../../src-protocol/license.js';
import { errorText, failure, success, type Outcome } from './errors.js';

const FETCH_TIMEOUT_MS = 8000;
// license.json is a few hundred bytes; a stock daemon reads it in one 8 KiB receive.
const MAX_BODY_BYTES = 64 * 1024;

export type Fetch = (url: string, init: { signal: AbortSignal; redirect: 'error' }) => Promise<Response>;

export interface TrustedLicense {
  license: License;
  fingerprint: string;
}

async function fetchText(fetcher: Fetch, url: string, what: string): Promise<Outcome<string>> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return failure(
      'Timeout',
      `could not reach ${host} (${errorText(cause ?? error)}); check the address and that the server runs`,
    );
  }
  if (!response.ok)
    return failure(
      'BadParams',
      `${host} answered ${response.status} for ${what}; it does not look like an hnet server`,
    );
  const body = await response.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES)
    return failure(
      'BadParams',
      `${host} sent a ${what} larger than ${MAX_BODY_BYTES} bytes; that is not an hnet license`,
    );
  return success(body);
}

/**
 * The server's license, if it is signed by a key with `confirmedFingerprint`. Without a confirmed
 * fingerprint nothing is trusted: the answer names the fingerprint so the user can check it.
 */
export async function fetchTrustedLicense(
  serverUrl: string,
  confirmedFingerprint: string | undefined,
  fetcher: Fetch = fetch,
): Promise<Outcome<TrustedLicense>> {
  const root = serverUrl.replace(/\/+$/, '');
  const licenseText = await fetchText(fetcher, root + LICENSE_PATH, 'license.json');
  if (!licenseText.ok) return licenseText;
  const license = parseLicense(licenseText.value);
  if (!license.ok)
    return failure('BadParams', `the server's license.json is not valid: ${license.error.message}`);
  const keyText = await fetchText(fetcher, root + LICENSE_KEY_PATH, 'its signing key');
  if (!keyText.ok) return keyText;
  const key = decodeLicenseKey(keyText.value);
  if (!key)
    return failure('BadParams', `the server's signing key (${LICENSE_KEY_PATH}) is not a base64 Ed25519 key`);
  const fingerprint = keyFingerprint(key);
  if (confirmedFingerprint === undefined)
    return failure(
      'NotPermitted',
      `${new URL(root).host} signs with the key ${fingerprint}; compare it with what its dashboard shows, then set the server up again with that fingerprint`,
    );
  if (normaliseFingerprint(confirmedFingerprint) !== fingerprint)
    return failure(
      'NotPermitted',
      `the server's key is ${fingerprint}, not the one you confirmed; nothing was changed — check with the server's owner`,
    );
  const verified = verifyLicense(license.value, key);
  if (!verified.ok)
    return failure(
      'NotPermitted',
      `the license is not signed by the server's key, so it cannot be trusted; nothing was changed`,
    );
  return success({ license: verified.value, fingerprint });
}
