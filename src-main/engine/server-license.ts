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
// license.json is a few hundred bytes (a stock daemon reads it in one 8 KiB receive) and the key 45.
// A body is read only up to this, so a server sending more cannot make root's hnetd hold it.
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
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return failure(
      'BadParams',
      `${host} answered ${response.status} for ${what}: it does not look like an hnet server. Check the address.`,
    );
  }
  let body: string | undefined;
  try {
    body = await readLimited(response, MAX_BODY_BYTES);
  } catch (error) {
    return failure('Timeout', `${host} stopped sending its ${what} (${errorText(error)}). Try again.`);
  }
  if (body === undefined)
    return failure(
      'BadParams',
      `${host} sent more than ${MAX_BODY_BYTES} bytes for ${what}; that is not an hnet license.`,
    );
  return success(body);
}

/**
 * The body as text, or undefined when it is longer than `limit` bytes: then (or as soon as
 * Content-Length announces more) the stream is cancelled, which closes the connection, so no more
 * than `limit` bytes are ever held. Throws what failed while reading.
 */
async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const declared = Number(response.headers.get('content-length') ?? 0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (declared <= limit && size <= limit) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return undefined;
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
  const host = new URL(root).host;
  const verified = verifyLicense(license.value, key, new Date());
  if (!verified.ok)
    return verified.error.kind === 'BadSignature'
      ? failure(
          'NotPermitted',
          `The license from ${host} is not signed by the key it publishes, so it cannot be trusted. Nothing was changed.`,
        )
      : failure(
          'BadState',
          `The license from ${host} cannot be used: ${verified.error.message} Nothing was changed.`,
        );
  // The engine takes base_server_addresses as the servers to dial; a server on a TCP port other
  // than 443 names IP:PORT in the signed, hnet-only hnet_base_servers (src-protocol/license.ts).
  const dialed = { ...verified.value, base_server_addresses: baseServerTargets(verified.value) };
  return success({ license: dialed, fingerprint: keyFingerprint(key) });
}

/** Whether the fingerprint a user typed (any case, spaces or colons) is this key's. */
export const isConfirmed = (typed: string, fingerprint: string): boolean =>
  normaliseFingerprint(typed) === fingerprint;
