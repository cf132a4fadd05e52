// license.json (PROTOCOL.md §7): what a node learns from its server — base servers, websetup, API
// servers — signed so a node cannot be pointed elsewhere by whoever serves the file.
//
// Signed bytes: exactly what a stock daemon verifies for `signature_v2`, as UTF-8, with no KIND prefix:
//   "1\n" installation_id "\n" license_id "\n" name "\n" max_devices (decimal) "\n"
//   dashboard_url "\n" websetup_host "\n"
//   base_server_addresses joined by "," "\n"   api_servers joined by "," "\n"
//   eb_servers joined by "," "\n"   issued "\n" valid_until
// A list that is empty contributes nothing, not even its "\n" (the stock daemon overwrites the last
// comma with "\n", so with no items it overwrites the previous line's "\n"). `version` is not signed.
// `signature_v2` is the base64 of the 64-byte detached Ed25519 signature.
//
// hnet extension: `hnet_base_servers` lists the base servers as IP:PORT when one listens on a TCP
// port other than 443 (a server hosted without root). Stock daemons read `base_server_addresses` as
// bare IPs and always dial 443, so such a server is out of their reach anyway; when the field is
// present its items are appended to the signed text as one more line ("hnet:" items joined by ","),
// so it cannot be added or changed without the key. A stock daemon that met such a license would
// refuse its signature rather than dial a port where nothing answers.
import { parseOverlayAddress } from './address.js';
import { signDetached, verifyDetached } from './crypto.js';
import { parseEndpoint, parseIp } from './endpoint.js';
import { fail, ok, type Result } from './result.js';

export interface License {
  installation_id: string;
  license_id: string;
  name: string;
  max_devices: number;
  dashboard_url: string;
  /** The websetup node's fc94 address. */
  websetup_host: string;
  /** IP addresses, not host names: stock daemons parse them as IPs. */
  base_server_addresses: string[];
  api_servers: string[];
  eb_servers: string[];
  issued: string;
  valid_until: string;
  signature_v2: string;
  /** hnet only: base servers as IP:PORT, for ports other than 443 (see the top of this file). */
  hnet_base_servers?: string[];
  /** Informational and unsigned; stock daemons ignore it. */
  version?: number | string;
}

export type UnsignedLicense = Omit<License, 'signature_v2'>;

const textFields = [
  'installation_id',
  'license_id',
  'name',
  'dashboard_url',
  'websetup_host',
  'issued',
  'valid_until',
] as const;
const listFields = ['base_server_addresses', 'api_servers', 'eb_servers'] as const;

/** Fields in the order a license file is written, so files are stable and diffable. */
const fieldOrder: (keyof License)[] = [
  'installation_id',
  'license_id',
  'name',
  'max_devices',
  'dashboard_url',
  'websetup_host',
  'base_server_addresses',
  'api_servers',
  'eb_servers',
  'issued',
  'valid_until',
  'signature_v2',
  'hnet_base_servers',
  'version',
];

/**
 * Checks the fields that reach the signed text. A newline in a field or a comma in a list item would
 * let two different licenses share one signed text, so both are refused.
 */
function checkFields(license: UnsignedLicense): Result<void> {
  for (const field of textFields)
    if (/[\n\r]/.test(license[field]))
      return fail('BadFormat', `The license field ${field} must be one line.`);
  for (const field of listFields)
    for (const item of license[field])
      if (/[\n\r,]/.test(item) || !parseIp(item))
        return fail(
          'BadFormat',
          `"${item}" in ${field} is not an IP address; stock daemons accept only IPs there.`,
        );
  for (const item of license.hnet_base_servers ?? [])
    if (/[\n\r,]/.test(item) || !parseEndpoint(item).ok)
      return fail('BadFormat', `"${item}" in hnet_base_servers is not an IP:PORT address.`);
  if (
    !Number.isSafeInteger(license.max_devices) ||
    license.max_devices < 0 ||
    license.max_devices > 0x7fffffff
  )
    return fail('BadFormat', 'max_devices must be a whole number.');
  if (!parseOverlayAddress(license.websetup_host))
    return fail('BadFormat', "websetup_host must be the websetup node's fc94 address.");
  return ok(undefined);
}

/** The bytes a license signature covers (see the top of this file). */
export function licenseSigningBytes(license: UnsignedLicense): Uint8Array {
  let text = `1\n${license.installation_id}\n${license.license_id}\n${license.name}\n${license.max_devices}\n`;
  text += `${license.dashboard_url}\n${license.websetup_host}\n`;
  for (const field of listFields) if (license[field].length > 0) text += `${license[field].join(',')}\n`;
  text += `${license.issued}\n${license.valid_until}`;
  if (license.hnet_base_servers !== undefined) text += `\nhnet:${license.hnet_base_servers.join(',')}`;
  return new TextEncoder().encode(text);
}

/** Signs with the server's 64-byte Ed25519 secret key. */
export function signLicense(license: UnsignedLicense, secretKey: Uint8Array): Result<License> {
  const checked = checkFields(license);
  if (!checked.ok) return checked;
  if (secretKey.length !== 64)
    return fail('InvalidKey', 'A license is signed with a 64-byte Ed25519 secret key.');
  const signature = signDetached(licenseSigningBytes(license), secretKey);
  return ok({ ...license, signature_v2: Buffer.from(signature).toString('base64') });
}

/** Accepts the license only if `signature_v2` holds for `publicKey`. */
export function verifyLicense(license: License, publicKey: Uint8Array): Result<License> {
  const checked = checkFields(license);
  if (!checked.ok) return checked;
  const signature = Buffer.from(license.signature_v2, 'base64');
  if (signature.length !== 64 || publicKey.length !== 32)
    return fail('BadSignature', 'The license signature is missing or malformed.');
  return verifyDetached(signature, licenseSigningBytes(license), publicKey)
    ? ok(license)
    : fail(
        'BadSignature',
        'The license was not signed by this server; fetch it again from the right server.',
      );
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Parses license.json text; the signature is checked separately with `verifyLicense`. */
export function parseLicense(text: string): Result<License> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('BadFormat', 'license.json is not valid JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('BadFormat', 'license.json must hold an object.');
  const record = json as Record<string, unknown>;
  for (const field of [...textFields, 'signature_v2'] as const)
    if (typeof record[field] !== 'string')
      return fail('BadFormat', `license.json lacks the text field ${field}.`);
  for (const field of listFields)
    if (!isStringList(record[field])) return fail('BadFormat', `license.json lacks the list ${field}.`);
  if (typeof record.max_devices !== 'number') return fail('BadFormat', 'license.json lacks max_devices.');
  if (record.hnet_base_servers !== undefined && !isStringList(record.hnet_base_servers))
    return fail('BadFormat', 'hnet_base_servers must be a list of IP:PORT addresses.');
  const version = record.version;
  if (version !== undefined && typeof version !== 'number' && typeof version !== 'string')
    return fail('BadFormat', 'The license version must be a number or text.');
  const license = Object.fromEntries(
    fieldOrder.filter((field) => record[field] !== undefined).map((field) => [field, record[field]]),
  ) as unknown as License;
  const checked = checkFields(license);
  return checked.ok ? ok(license) : checked;
}

/** The base servers as hnet dials them: IP:PORT where the license gives ports, else bare IPs (443). */
export function baseServerTargets(license: License): string[] {
  return license.hnet_base_servers ?? license.base_server_addresses;
}

/** Pretty JSON with the fields in a fixed order. Stock daemons read the file in one 8 KiB receive. */
export function serializeLicense(license: License): string {
  return `${JSON.stringify(license, fieldOrder, 2)}\n`;
}
