// The setup-server flow, main side (never the renderer: it has no network). A server publishes
// its license (PROTOCOL.md §7) and the Ed25519 key that signs it; we fetch both, check the
// signature, and show the key's fingerprint so the user can compare it with what the server's
// owner sees. Only a confirmed fingerprint switches the engine, and only if the key still matches.
import { initCrypto } from '../../src-protocol/crypto.js';
import {
  decodeLicenseKey,
  keyFingerprint,
  LICENSE_KEY_PATH,
  LICENSE_PATH,
} from '../../src-protocol/license-key.js';
import { baseServerTargets, parseLicense, verifyLicense } from '../../src-protocol/license.js';
import type { SetupServerResult } from '../engine/engine.js';
import { errorText } from '../engine/errors.js';
import type { EngineLink } from './engine-link.js';
import type { BridgeOutcome, ServerPreview, ShellErrorKind } from './ipc-schema.js';

const FETCH_TIMEOUT_MS = 8000;
// license.json is a few hundred bytes; a stock daemon reads it in one 8 KiB receive.
const MAX_BODY_BYTES = 64 * 1024;

export type Fetch = (url: string, init: { signal: AbortSignal; redirect: 'error' }) => Promise<Response>;

const refuse = (kind: ShellErrorKind, message: string) => ({ ok: false as const, error: { kind, message } });

async function fetchText(fetcher: Fetch, url: string, what: string): Promise<BridgeOutcome<string>> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const detail =
      error instanceof Error && error.name === 'TimeoutError'
        ? 'no answer within 8 s'
        : errorText(cause ?? error);
    return refuse(
      'Unreachable',
      `Could not reach ${host} (${detail}). Check the address and that the server is running.`,
    );
  }
  if (!response.ok)
    return refuse(
      'BadLicense',
      `${host} answered ${response.status} for ${what}: it does not look like an hnet server. Check the address.`,
    );
  const body = await response.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES)
    return refuse(
      'BadLicense',
      `${host} sent a ${what} larger than ${MAX_BODY_BYTES} bytes; that is not an hnet license.`,
    );
  return { ok: true, value: body };
}

/** Fetches and checks a server's license. Changes nothing, whatever the answer. */
export async function previewServer(
  url: string,
  fetcher: Fetch = fetch,
): Promise<BridgeOutcome<ServerPreview>> {
  await initCrypto();
  const licenseText = await fetchText(fetcher, url + LICENSE_PATH, 'license.json');
  if (!licenseText.ok) return licenseText;
  const license = parseLicense(licenseText.value);
  if (!license.ok)
    return refuse('BadLicense', `The server's license.json is not valid: ${license.error.message}`);
  const keyText = await fetchText(fetcher, url + LICENSE_KEY_PATH, 'its signing key');
  if (!keyText.ok) return keyText;
  const key = decodeLicenseKey(keyText.value);
  if (!key)
    return refuse(
      'BadLicense',
      `The server's signing key (${LICENSE_KEY_PATH}) is not a base64 Ed25519 key.`,
    );
  const verified = verifyLicense(license.value, key);
  if (!verified.ok)
    return refuse(
      'BadSignature',
      `The license from ${new URL(url).host} is not signed by the key it publishes, so it cannot be trusted. Nothing was changed.`,
    );
  const value = verified.value;
  return {
    ok: true,
    value: {
      url,
      name: value.name,
      fingerprint: keyFingerprint(key),
      baseServers: baseServerTargets(value),
      websetupHost: value.websetup_host,
      dashboardUrl: value.dashboard_url,
      validUntil: value.valid_until,
    },
  };
}

/**
 * Switches the engine to `url` if its key still has the fingerprint the user confirmed. The engine
 * fetches the license itself and checks the same fingerprint again before it changes anything.
 */
export async function useServer(
  url: string,
  confirmedFingerprint: string,
  link: Pick<EngineLink, 'call'>,
  fetcher: Fetch = fetch,
): Promise<BridgeOutcome<SetupServerResult>> {
  const preview = await previewServer(url, fetcher);
  if (!preview.ok) return preview;
  if (preview.value.fingerprint !== confirmedFingerprint)
    return refuse(
      'KeyChanged',
      `The server's key changed since you looked (now ${preview.value.fingerprint}). Nothing was changed; check with the server's owner.`,
    );
  return link.call('setupServer', { url, fingerprint: confirmedFingerprint });
}
