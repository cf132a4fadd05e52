// LAN discovery beacons (PROTOCOL.md §6): `u16 LE P2P port ‖ id`, 18 bytes, multicast on port 5581.
// They are unauthenticated hints; a receiver only uses one to send a signed HELLO.
import { ADDRESS_LENGTH, isOverlayAddress } from './address.js';
import { isIpv4Mapped, parseIp } from './endpoint.js';
import { fail, ok, type Result } from './result.js';

export const LAN_BEACON_PORT = 5581;
export const LAN_BEACON_GROUP_V4 = '224.3.252.148';
export const LAN_BEACON_GROUP_V6 = 'ff02:88bb:31e4:95f7:2b87:6b52:e112:19ac';
export const LAN_BEACON_LENGTH = 2 + ADDRESS_LENGTH;

export interface LanBeacon {
  /** The sender's peer-to-peer UDP port. */
  port: number;
  id: Uint8Array;
}

export function encodeLanBeacon(beacon: LanBeacon): Result<Uint8Array> {
  if (!Number.isInteger(beacon.port) || beacon.port < 1 || beacon.port > 0xffff)
    return fail('BadFormat', `${beacon.port} is not a UDP port number.`);
  if (!isOverlayAddress(beacon.id)) return fail('BadFormat', 'A beacon carries an fc94 id.');
  const out = new Uint8Array(LAN_BEACON_LENGTH);
  out[0] = beacon.port & 0xff;
  out[1] = beacon.port >> 8;
  out.set(beacon.id, 2);
  return ok(out);
}

/** The id is a view into `bytes`. */
export function decodeLanBeacon(bytes: Uint8Array): Result<LanBeacon> {
  if (bytes.length !== LAN_BEACON_LENGTH)
    return fail(bytes.length < LAN_BEACON_LENGTH ? 'Truncated' : 'BadLength', 'A LAN beacon is 18 bytes.');
  const port = bytes[0]! | (bytes[1]! << 8);
  if (port === 0) return fail('BadFormat', 'A LAN beacon announces port 0.');
  const id = bytes.subarray(2);
  if (!isOverlayAddress(id)) return fail('BadFormat', 'A LAN beacon id is not an fc94 address.');
  return ok({ port, id });
}

/**
 * Whether a beacon's UDP source may be believed at all: only private and link-local sources are, since
 * a beacon from the Internet would let anyone point us at arbitrary hosts.
 */
export function isLanBeaconSource(ip: string): boolean {
  const b = parseIp(ip);
  if (!b) return false;
  if (isIpv4Mapped(b)) {
    const [a, second] = [b[12]!, b[13]!];
    return (
      a === 10 ||
      (a === 172 && second >= 16 && second < 32) ||
      (a === 192 && second === 168) ||
      (a === 169 && second === 254)
    );
  }
  // fe80::/10 link-local and fc00::/7 unique local, minus the fc94::/16 overlay itself.
  return (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) || ((b[0]! & 0xfe) === 0xfc && !isOverlayAddress(b));
}
