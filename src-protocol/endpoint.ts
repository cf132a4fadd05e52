// Underlay UDP endpoints as they travel inside base and peer messages: 16-byte IPv6 (IPv4 mapped as
// ::ffff:a.b.c.d) ‖ u16 LE port, 18 bytes each (PROTOCOL.md conventions).
import { isOverlayAddress, parseIpv6 } from './address.js';
import { ByteReader } from './bytes.js';
import { fail, ok, type Result } from './result.js';

/** `ip` is text: an IPv4 address as a dotted quad, anything else as compressed IPv6. */
export interface Endpoint {
  ip: string;
  port: number;
}

export const ENDPOINT_LENGTH = 18;
const IP_LENGTH = 16;

const ipv4Pattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The 16-byte wire form of an IP text, or undefined. A zone suffix (`fe80::1%eth0`, as Node reports
 * link-local sources) is dropped because the wire form has no room for it.
 */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = ipv4Pattern.exec(text);
  if (v4) {
    const out = new Uint8Array(IP_LENGTH);
    out[10] = 0xff;
    out[11] = 0xff;
    for (let i = 0; i < 4; i++) {
      const octet = Number(v4[i + 1]);
      if (octet > 255) return undefined;
      out[12 + i] = octet;
    }
    return out;
  }
  const zone = text.indexOf('%');
  return parseIpv6(zone < 0 ? text : text.slice(0, zone));
}

/** True for ::ffff:a.b.c.d, the form IPv4 takes inside 16-byte wire addresses. */
export function isIpv4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Dotted quad for IPv4-mapped addresses, otherwise RFC 5952 text (longest zero run compressed). */
export function formatIp(ip: Uint8Array): string {
  if (isIpv4Mapped(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < IP_LENGTH; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 0xffff;
}

/** An endpoint with its IP in canonical text, so endpoints from sockets and from messages compare equal. */
export function makeEndpoint(ip: string, port: number): Result<Endpoint> {
  const bytes = parseIp(ip);
  if (!bytes) return fail('BadFormat', `"${ip}" is not an IP address.`);
  if (!isPort(port)) return fail('BadFormat', `${port} is not a UDP port number.`);
  return ok({ ip: formatIp(bytes), port });
}

/** `1.2.3.4:5582` or `[2001:db8::1]:5582`. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.ip.includes(':') ? `[${endpoint.ip}]:${endpoint.port}` : `${endpoint.ip}:${endpoint.port}`;
}

/** Parses the text `formatEndpoint` writes. */
export function parseEndpoint(text: string): Result<Endpoint> {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match)
    return fail('BadFormat', `"${text}" is not an endpoint; write it as 1.2.3.4:5582 or [::1]:5582.`);
  return makeEndpoint(match[1] ?? match[2]!, Number(match[3]));
}

/** Writes one endpoint at `offset`; false when the IP or port cannot be encoded. */
function writeEndpoint(out: Uint8Array, offset: number, endpoint: Endpoint): boolean {
  const ip = parseIp(endpoint.ip);
  if (!ip || !isPort(endpoint.port)) return false;
  out.set(ip, offset);
  out[offset + IP_LENGTH] = endpoint.port & 0xff;
  out[offset + IP_LENGTH + 1] = endpoint.port >> 8;
  return true;
}

export function encodeEndpoints(endpoints: readonly Endpoint[]): Result<Uint8Array> {
  const out = new Uint8Array(endpoints.length * ENDPOINT_LENGTH);
  for (let i = 0; i < endpoints.length; i++) {
    const endpoint = endpoints[i]!;
    if (!writeEndpoint(out, i * ENDPOINT_LENGTH, endpoint))
      return fail('BadFormat', `Cannot encode endpoint ${formatEndpoint(endpoint)}.`);
  }
  return ok(out);
}

export function encodeEndpoint(endpoint: Endpoint): Result<Uint8Array> {
  return encodeEndpoints([endpoint]);
}

/** Reads one endpoint from a reader positioned on it. */
export function readEndpoint(reader: ByteReader): Result<Endpoint> {
  const ip = reader.take(IP_LENGTH);
  const port = reader.u16le();
  if (!ip || port === undefined) return fail('Truncated', 'An endpoint needs 18 bytes.');
  return ok({ ip: formatIp(ip), port });
}

/** A run of endpoints filling `bytes` exactly. */
export function decodeEndpoints(bytes: Uint8Array): Result<Endpoint[]> {
  if (bytes.length % ENDPOINT_LENGTH !== 0)
    return fail('BadLength', `An endpoint list is a multiple of 18 bytes, not ${bytes.length}.`);
  const reader = new ByteReader(bytes);
  const out: Endpoint[] = [];
  while (reader.remaining > 0) {
    const endpoint = readEndpoint(reader);
    if (!endpoint.ok) return endpoint;
    out.push(endpoint.value);
  }
  return ok(out);
}

export function decodeEndpoint(bytes: Uint8Array): Result<Endpoint> {
  if (bytes.length !== ENDPOINT_LENGTH)
    return fail('BadLength', `An endpoint is 18 bytes, not ${bytes.length}.`);
  return readEndpoint(new ByteReader(bytes));
}

/**
 * Whether a remote peer could reach this endpoint. Stock clients advertise loopback; link-local IPv6
 * is useless without its zone, and an overlay address would route the tunnel through itself.
 */
export function isUsableEndpoint(endpoint: Endpoint): boolean {
  if (endpoint.port === 0 || !isPort(endpoint.port)) return false;
  const ip = parseIp(endpoint.ip);
  if (!ip) return false;
  if (isIpv4Mapped(ip)) {
    const first = ip[12]!;
    // 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved and broadcast.
    return first !== 0 && first !== 127 && first < 224;
  }
  let leadingZeros = 0;
  while (leadingZeros < IP_LENGTH && ip[leadingZeros] === 0) leadingZeros++;
  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d all start with twelve zero bytes.
  if (leadingZeros >= 12) return false;
  if (ip[0] === 0xff) return false;
  if (ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80) return false;
  return !isOverlayAddress(ip);
}

/** A map key for an endpoint, cheaper than formatting it. */
export const endpointKey = (endpoint: Endpoint): string => `${endpoint.ip}|${endpoint.port}`;
