// license.json (PROTOCOL.md §7): what a node learns from its server — base servers, websetup, API
// servers — signed so a node cannot be pointed elsewhere by whoever serves the file.
//
// Two signatures by the server's Ed25519 key, hnet checks both:
//
// `signature_v2`: exactly what a stock daemon verifies, as UTF-8, with no KIND prefix:
//   "1\n" installation_id "\n" license_id "\n" name "\n" max_devices (decimal) "\n"
//   dashboard_url "\n" websetup_host "\n"
//   base_server_addresses joined by "," "\n"   api_servers joined by "," "\n"
//   eb_servers joined by "," "\n"   issued "\n" valid_until
// A list that is empty contributes nothing, not even its "\n" (the stock daemon overwrites the last
// comma with "\n", so with no items it overwrites the previous line's "\n"). So this text does not
// say which list an address was in: with two lists of which one is empty, moving the addresses to
// the other list keeps the text. `version` is not signed. Base64 of the 64-byte detached signature.
//
// `hnet_signature` (hnet only; stock daemons never read it): the same key over KIND "hnet-license"
// "\n" then every field but the two signatures as one JSON object, keys in `fieldOrder`, absent
// optional fields left out. JSON names each field and delimits each list and item, so moving,
// adding or removing any value, in a stock field or an hnet-only one, breaks it. A license without
// it comes from an hnet server older than this check and is refused (docs/decisions.md).
//
// hnet extension: `hnet_base_servers` lists the base servers as IP:PORT when one listens on a TCP
// port other than 443 (a server hosted without root). Stock daemons read `base_server_addresses` as
// bare IPs and always dial 443, so such a server is out of their reach anyway; when the field is
// present its items are appended to the stock signed text as one more line ("hnet:" items joined by
// ","), so a stock daemon that met such a license would refuse its signature rather than dial a
// port where nothing answers.
//
// `issued` and `valid_until` are ISO 8601 times; a license is accepted from `issued` to
// `valid_until`, give or take CLOCK_SKEW_MS for clocks that are off.
import { parseOverlayAddress } from './address.js';
import { signDetached, verifyDetached } from './crypto.js';
import { parseEndpoint, parseIp } from './endpoint.js';
import { fail, ok, type ProtocolErrorKind, type Result } from './result.js';

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
  /** hnet only: the signature over every field (see the top of this file); older servers lack it. */
  hnet_signature?: string;
  /** Informational; stock daemons ignore it and `signature_v2` leaves it out. */
  version?: number | string;
}

export type UnsignedLicense = Omit<License, 'signature_v2' | 'hnet_signature'>;

/** Why a license is refused: the protocol's kinds, and the ones only a license has. */
export interface LicenseError {
  kind: ProtocolErrorKind | 'OldFormat' | 'Expired' | 'NotYetValid';
  message: string;
}
const refuse = (kind: LicenseError['kind'], message: string) => ({
  ok: false as const,
  error: { kind, message },
});

/**
 * How far this device's clock may be off and a license still count as valid, at either end. Clocks
 * set to local time as if it were UTC are off by up to 14 hours, and licenses last years, so a day
 * refuses nothing that matters and accepts no license that expired more than a day ago.
 */
const CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const STRUCTURE_KIND = 'hnet-license\n';

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
  'hnet_signature',
  'version',
];
/** What `hnet_signature` covers, in this order. */
const structureFields = fieldOrder.filter((field) => field !== 'signature_v2' && field !== 'hnet_signature');

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
  for (const field of ['issued', 'valid_until'] as const)
    if (!ISO_TIME.test(license[field]) || Number.isNaN(Date.parse(license[field])))
      return fail('BadFormat', `${field} must be a UTC time such as 2026-11-22T07:00:00Z.`);
  return ok(undefined);
}

/** The bytes `signature_v2` covers (see the top of this file). */
export function licenseSigningBytes(license: UnsignedLicense): Uint8Array {
  let text = `1\n${license.installation_id}\n${license.license_id}\n${license.name}\n${license.max_devices}\n`;
  text += `${license.dashboard_url}\n${license.websetup_host}\n`;
  for (const field of listFields) if (license[field].length > 0) text += `${license[field].join(',')}\n`;
  text += `${license.issued}\n${license.valid_until}`;
  if (license.hnet_base_servers !== undefined) text += `\nhnet:${license.hnet_base_servers.join(',')}`;
  return new TextEncoder().encode(text);
}

/** The bytes `hnet_signature` covers (see the top of this file). */
function licenseStructureBytes(license: UnsignedLicense): Uint8Array {
  return new TextEncoder().encode(STRUCTURE_KIND + JSON.stringify(license, structureFields));
}

/** Signs with the server's 64-byte Ed25519 secret key, both the stock way and hnet's. */
export function signLicense(license: UnsignedLicense, secretKey: Uint8Array): Result<License> {
  const checked = checkFields(license);
  if (!checked.ok) return checked;
  if (secretKey.length !== 64)
    return fail('InvalidKey', 'A license is signed with a 64-byte Ed25519 secret key.');
  const base64 = (bytes: Uint8Array) => Buffer.from(signDetached(bytes, secretKey)).toString('base64');
  return ok({
    ...license,
    signature_v2: base64(licenseSigningBytes(license)),
    hnet_signature: base64(licenseStructureBytes(license)),
  });
}

function signatureHolds(signature: string, bytes: Uint8Array, publicKey: Uint8Array): boolean {
  const raw = Buffer.from(signature, 'base64');
  return raw.length === 64 && publicKey.length === 32 && verifyDetached(raw, bytes, publicKey);
}

/** Refuses a license outside the time it was issued for, allowing CLOCK_SKEW_MS either way. */
function checkValidity(license: License, now: Date): Result<void, LicenseError> {
  const clock = `this device's clock says ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  if (now.getTime() > Date.parse(license.valid_until) + CLOCK_SKEW_MS)
    return refuse(
      'Expired',
      `The license expired at ${license.valid_until} (${clock}). The server's owner must renew it: hnet-server signs a new one when it restarts.`,
    );
  if (now.getTime() < Date.parse(license.issued) - CLOCK_SKEW_MS)
    return refuse(
      'NotYetValid',
      `The license is valid only from ${license.issued}, but ${clock}: set the right time here or on the server.`,
    );
  return ok(undefined);
}

/**
 * Accepts the license only if both signatures hold for `publicKey` and `now` falls in its validity.
 * `signature_v2` is checked too, so what hnet accepts a stock daemon that trusted the key would too.
 */
export function verifyLicense(
  license: License,
  publicKey: Uint8Array,
  now: Date,
): Result<License, LicenseError> {
  const checked = checkFields(license);
  if (!checked.ok) return checked;
  if (license.hnet_signature === undefined)
    return refuse(
      'OldFormat',
      'The license is signed in the format of older hnet servers, which does not protect which list each address is in. Update hnet-server on that server and try again.',
    );
  if (
    !signatureHolds(license.signature_v2, licenseSigningBytes(license), publicKey) ||
    !signatureHolds(license.hnet_signature, licenseStructureBytes(license), publicKey)
  )
    return fail(
      'BadSignature',
      'The license was not signed by this server; fetch it again from the right server.',
    );
  const valid = checkValidity(license, now);
  return valid.ok ? ok(license) : valid;
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
  if (record.hnet_signature !== undefined && typeof record.hnet_signature !== 'string')
    return fail('BadFormat', 'hnet_signature must be text (base64).');
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
