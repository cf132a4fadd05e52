// IPv6 over the tunnel (PROTOCOL.md §4). Outgoing packets lose their 40-byte header: the security
// layer already authenticates who sent them to whom, so the receiver rebuilds it from the peer's id.
//   unicast   (dst in fc94::/16, src = own):  nextHeader(1) ‖ payload
//   multicast (dst in ff00::/8):              FF 01 ‖ nextHeader(1) ‖ group(16) ‖ payload
// Both directions can write into caller buffers, so the engine's packet path need not allocate.
import { equalBytes } from './bytes.js';
import { isOverlayAddress } from './address.js';
import { fail, ok, type Result } from './result.js';

export const IPV6_HEADER_LENGTH = 40;
/** Stock peers set this on every rebuilt packet, unicast or multicast. */
export const REBUILT_HOP_LIMIT = 3;
const MULTICAST_MARKER = 0xff;
const MULTICAST_VERSION = 0x01;
const MULTICAST_HEADER_LENGTH = 3 + 16;

export type TunnelDestination =
  { kind: 'unicast'; peer: Uint8Array } | { kind: 'multicast'; group: Uint8Array };

export interface CompressedPacket {
  destination: TunnelDestination;
  /** Bytes written to the output. */
  length: number;
}

/** The output size `compressInto` needs at most for an IPv6 packet of `length` bytes. */
export const compressedLength = (length: number): number =>
  length - IPV6_HEADER_LENGTH + MULTICAST_HEADER_LENGTH;

/**
 * Compresses an IPv6 packet read from the TUN device into `out` at `offset` (which must have room
 * for `compressedLength(packet.length)` bytes). Multicast is returned once; the caller sends the
 * same bytes to every allowed peer.
 */
export function compressInto(
  packet: Uint8Array,
  ownAddress: Uint8Array,
  out: Uint8Array,
  offset: number,
): Result<CompressedPacket> {
  if (packet.length <= IPV6_HEADER_LENGTH)
    return fail('Truncated', 'The IPv6 packet has no payload after its 40-byte header.');
  if (packet[0]! >> 4 !== 6) return fail('BadFormat', 'Only IPv6 packets travel through the tunnel.');
  const declared = (packet[4]! << 8) | packet[5]!;
  if (declared !== packet.length - IPV6_HEADER_LENGTH)
    return fail('BadLength', "The IPv6 payload length does not match the packet's size.");
  const nextHeader = packet[6]!;
  const source = packet.subarray(8, 24);
  const target = packet.subarray(24, 40);
  const payload = packet.subarray(IPV6_HEADER_LENGTH);
  if (target[0] === MULTICAST_MARKER) {
    if (out.length - offset < MULTICAST_HEADER_LENGTH + payload.length)
      return fail('TooLong', 'The output buffer is too small for this packet.');
    out[offset] = MULTICAST_MARKER;
    out[offset + 1] = MULTICAST_VERSION;
    out[offset + 2] = nextHeader;
    out.set(target, offset + 3);
    out.set(payload, offset + MULTICAST_HEADER_LENGTH);
    return ok({
      destination: { kind: 'multicast', group: target.slice() },
      length: MULTICAST_HEADER_LENGTH + payload.length,
    });
  }
  if (!isOverlayAddress(target))
    return fail('NotForUs', 'Only fc94::/16 destinations are reachable through the tunnel.');
  if (!equalBytes(source, ownAddress))
    return fail('AddressMismatch', "Only packets from this device's own overlay address can be sent.");
  if (out.length - offset < 1 + payload.length)
    return fail('TooLong', 'The output buffer is too small for this packet.');
  out[offset] = nextHeader;
  out.set(payload, offset + 1);
  return ok({ destination: { kind: 'unicast', peer: target.slice() }, length: 1 + payload.length });
}

export function compress(
  packet: Uint8Array,
  ownAddress: Uint8Array,
): Result<{ destination: TunnelDestination; bytes: Uint8Array }> {
  const out = new Uint8Array(Math.max(0, compressedLength(packet.length)));
  const written = compressInto(packet, ownAddress, out, 0);
  if (!written.ok) return written;
  return ok({ destination: written.value.destination, bytes: out.subarray(0, written.value.length) });
}

/** The output size `rebuildInto` needs at most for a tunnel packet of `length` bytes. */
export const rebuiltLength = (length: number): number => length + IPV6_HEADER_LENGTH - 1;

/**
 * Rebuilds the IPv6 packet for the TUN device from a tunnel packet the security layer authenticated
 * as coming from `peerAddress`, into `out` at `offset`; returns the packet length.
 */
export function rebuildInto(
  tunnelPacket: Uint8Array,
  peerAddress: Uint8Array,
  ownAddress: Uint8Array,
  out: Uint8Array,
  offset: number,
): Result<number> {
  const multicast = tunnelPacket[0] === MULTICAST_MARKER && tunnelPacket[1] === MULTICAST_VERSION;
  const headerLength = multicast ? MULTICAST_HEADER_LENGTH : 1;
  if (tunnelPacket.length <= headerLength) return fail('Truncated', 'The tunnel packet carries no payload.');
  const target = multicast ? tunnelPacket.subarray(3, MULTICAST_HEADER_LENGTH) : ownAddress;
  // Without this a peer could inject packets addressed to anything into our network stack.
  if (multicast && target[0] !== MULTICAST_MARKER)
    return fail('BadFormat', 'A tunnel multicast packet names a group outside ff00::/8.');
  const payload = tunnelPacket.subarray(headerLength);
  if (payload.length > 0xffff) return fail('TooLong', 'The tunnel packet is longer than IPv6 allows.');
  if (out.length - offset < IPV6_HEADER_LENGTH + payload.length)
    return fail('TooLong', 'The output buffer is too small for this packet.');
  out.fill(0, offset, offset + 4);
  out[offset] = 6 << 4;
  out[offset + 4] = payload.length >> 8;
  out[offset + 5] = payload.length & 0xff;
  out[offset + 6] = tunnelPacket[multicast ? 2 : 0]!;
  out[offset + 7] = REBUILT_HOP_LIMIT;
  out.set(peerAddress, offset + 8);
  out.set(target, offset + 24);
  out.set(payload, offset + IPV6_HEADER_LENGTH);
  return ok(IPV6_HEADER_LENGTH + payload.length);
}

export function rebuild(
  tunnelPacket: Uint8Array,
  peerAddress: Uint8Array,
  ownAddress: Uint8Array,
): Result<Uint8Array> {
  const out = new Uint8Array(rebuiltLength(tunnelPacket.length));
  const written = rebuildInto(tunnelPacket, peerAddress, ownAddress, out, 0);
  if (!written.ok) return written;
  return ok(out.subarray(0, written.value));
}
