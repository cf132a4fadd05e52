// What license.json says about this server, signed with its key: where the base servers and
// websetup are, and where the dashboard lives. Re-signed whenever those settings change.
import { fail, ok, type Result } from '../../src-protocol/result.js';
import { sha256 } from '../../src-protocol/crypto.js';
import { serializeLicense, signLicense, type License } from '../../src-protocol/license.js';
import { encodeLicenseKey } from '../../src-protocol/license-key.js';
import { formatEndpoint, parseEndpoint } from '../../src-protocol/endpoint.js';
import type { SigningKey } from './signing-key.js';

export interface LicenseSettings {
  name: string;
  dashboardUrl: string;
  /** The websetup node's fc94 address. */
  websetupHost: string;
  /**
   * The base servers: public IPs (stock daemons take IPs only), each on `baseTcpPort`, or `ip:port`
   * for a server of the cluster that listens on a port of its own.
   */
  baseServers: string[];
  /** The TCP port of bases given without one (unset: 443); any other port goes into the hnet-only `hnet_base_servers`. */
  baseTcpPort?: number;
  maxDevices: number;
}

/** Devices refuse an expired license; the server signs a new one at every start, so this is ample. */
const VALIDITY_YEARS = 10;
export const DEFAULT_MAX_DEVICES = 1_000_000;
/** The only base port stock daemons dial. */
const STOCK_BASE_PORT = 443;

export interface IssuedLicense {
  license: License;
  /** license.json as served. */
  json: string;
  /** The public key as served at /license.key. */
  keyText: string;
}

export function issueLicense(
  settings: LicenseSettings,
  key: SigningKey,
  now = new Date(),
): Result<IssuedLicense> {
  const basePort = settings.baseTcpPort ?? STOCK_BASE_PORT;
  const bases = settings.baseServers.map((text) => {
    const endpoint = parseEndpoint(text);
    // Not an endpoint: a bare IP (or something signLicense refuses with the reason).
    return endpoint.ok ? endpoint.value : { ip: text, port: basePort };
  });
  const validUntil = new Date(now);
  validUntil.setUTCFullYear(validUntil.getUTCFullYear() + VALIDITY_YEARS);
  // One installation, one key: the id follows from the key, so it survives a database move.
  const installationId = Buffer.from(sha256(key.publicKey).subarray(0, 16)).toString('hex');
  const signed = signLicense(
    {
      installation_id: installationId,
      license_id: `${installationId}-self-hosted`,
      name: settings.name,
      max_devices: settings.maxDevices,
      dashboard_url: settings.dashboardUrl,
      websetup_host: settings.websetupHost,
      base_server_addresses: [...new Set(bases.map((base) => base.ip))],
      api_servers: [],
      eb_servers: [],
      issued: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      valid_until: validUntil.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(bases.every((base) => base.port === STOCK_BASE_PORT)
        ? {}
        : { hnet_base_servers: bases.map(formatEndpoint) }),
      version: 1,
    },
    key.secretKey,
  );
  if (!signed.ok) return fail(signed.error.kind, `The license cannot be issued: ${signed.error.message}`);
  return ok({
    license: signed.value,
    json: serializeLicense(signed.value),
    keyText: encodeLicenseKey(key.publicKey),
  });
}
