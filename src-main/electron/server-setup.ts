// The setup-server flow, main side (never the renderer: it has no network). A server publishes
// its license (PROTOCOL.md §7) and the Ed25519 key that signs it; we fetch both, check the
// signature, and show the key's fingerprint so the user can compare it with what the server's
// owner sees. Only a confirmed fingerprint switches the engine, and only if the key still matches.
import { initCrypto } from '../../src-protocol/crypto.js';
import type { SetupServerResult } from '../engine/engine.js';
import type { EngineErrorKind } from '../engine/errors.js';
import { fetchServerLicense, type Fetch } from '../engine/server-license.js';
import type { EngineLink } from './engine-link.js';
import type { BridgeOutcome, ServerPreview, ShellErrorKind } from './ipc-schema.js';

const refuse = (kind: ShellErrorKind, message: string) => ({ ok: false as const, error: { kind, message } });

// The engine's license check is the one implementation; the dialog only names its refusals.
const refusalKinds: Partial<Record<EngineErrorKind, ShellErrorKind>> = {
  Timeout: 'Unreachable',
  NotPermitted: 'BadSignature',
};

/** Fetches and checks a server's license. Changes nothing, whatever the answer. */
export async function previewServer(
  url: string,
  fetcher: Fetch = fetch,
): Promise<BridgeOutcome<ServerPreview>> {
  await initCrypto();
  const fetched = await fetchServerLicense(url, fetcher);
  if (!fetched.ok) return refuse(refusalKinds[fetched.error.kind] ?? 'BadLicense', fetched.error.message);
  const { license, fingerprint } = fetched.value;
  return {
    ok: true,
    value: {
      url,
      name: license.name,
      fingerprint,
      baseServers: license.base_server_addresses,
      websetupHost: license.websetup_host,
      dashboardUrl: license.dashboard_url,
      validUntil: license.valid_until,
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
