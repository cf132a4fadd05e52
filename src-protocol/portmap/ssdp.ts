// SSDP discovery (UPnP Device Architecture 1.1 §1.3), as far as finding an Internet Gateway
// Device goes: the M-SEARCH we send and the unicast HTTP-over-UDP answer that names the URL of
// the router's device description.
import { fail, ok, type Result } from '../result.js';

export const SSDP_PORT = 1900;
export const SSDP_MULTICAST_GROUP = '239.255.255.250';
export const IGD_SEARCH_TARGET = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
/** Real answers are about 400 bytes; a few KiB leaves room for chatty routers and no more. */
export const SSDP_MAX_RESPONSE = 4096;
const MAX_HEADER_LINES = 64;

export interface SsdpAnswer {
  /** Absolute http URL of the device description. */
  location: string;
  searchTarget: string;
}

/** `mx`: seconds a device may wait before answering a multicast search (1 to 5). */
export function encodeSsdpSearch(searchTarget: string, mx: number): Uint8Array {
  const text = [
    'M-SEARCH * HTTP/1.1',
    `HOST: ${SSDP_MULTICAST_GROUP}:${SSDP_PORT}`,
    'MAN: "ssdp:discover"',
    `MX: ${Math.min(5, Math.max(1, Math.round(mx)))}`,
    `ST: ${searchTarget}`,
    '',
    '',
  ].join('\r\n');
  return new TextEncoder().encode(text);
}

/** Header names are case-insensitive; the first occurrence of each wins. */
function readHeaders(lines: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

export function decodeSsdpAnswer(bytes: Uint8Array): Result<SsdpAnswer> {
  if (bytes.length > SSDP_MAX_RESPONSE)
    return fail('TooLong', `An SSDP answer over ${SSDP_MAX_RESPONSE} bytes is not one hnet reads.`);
  const text = new TextDecoder('latin1').decode(bytes);
  const lines = text.split(/\r?\n/, MAX_HEADER_LINES + 1);
  if (!/^HTTP\/1\.[01] 200\b/i.test(lines[0] ?? ''))
    return fail('BadKind', 'That is not an SSDP search answer (HTTP/1.1 200).');
  const headers = readHeaders(lines.slice(1, MAX_HEADER_LINES + 1));
  const location = headers.get('location');
  if (!location) return fail('BadFormat', 'The SSDP answer names no LOCATION.');
  if (!URL.canParse(location) || new URL(location).protocol !== 'http:')
    return fail('BadFormat', `The SSDP answer's LOCATION "${location.slice(0, 200)}" is not an http URL.`);
  return ok({ location: new URL(location).href, searchTarget: headers.get('st') ?? '' });
}
