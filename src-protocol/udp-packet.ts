// UDP in IPv6 (RFC 768, RFC 8200), built and parsed in user space: management datagrams (websetup,
// PROTOCOL.md §7) travel inside the overlay without a kernel socket on either side. The device's
// engine and the server's websetup node both use these, so the two ends agree by construction.
import { IPV6_HEADER_LENGTH } from './tunnel-packet.js';
import { pseudoHeaderChecksum } from './ipv6-checksum.js';

/** IPv6 next-header numbers the management path tells apart. */
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_ICMPV6 = 58;

const UDP_HEADER_LENGTH = 8;
const HOP_LIMIT = 64;

/** The UDP checksum of `udp` (its checksum field zero) between these addresses. */
function udpChecksum(source: Uint8Array, destination: Uint8Array, udp: Uint8Array): number {
  const result = pseudoHeaderChecksum(source, destination, NEXT_HEADER_UDP, udp);
  // IPv6 forbids a zero UDP checksum; all ones means the same sum.
  return result === 0 ? 0xffff : result;
}

export interface UdpPacket {
  source: Uint8Array;
  sourcePort: number;
  destination: Uint8Array;
  destinationPort: number;
  payload: Uint8Array;
}

/** An IPv6 packet carrying `payload` as one UDP datagram, checksum filled in. */
export function buildUdpPacket(
  source: Uint8Array,
  sourcePort: number,
  destination: Uint8Array,
  destinationPort: number,
  payload: Uint8Array,
): Uint8Array {
  const udpLength = UDP_HEADER_LENGTH + payload.length;
  const packet = new Uint8Array(IPV6_HEADER_LENGTH + udpLength);
  const view = new DataView(packet.buffer);
  packet[0] = 0x60;
  view.setUint16(4, udpLength);
  packet[6] = NEXT_HEADER_UDP;
  packet[7] = HOP_LIMIT;
  packet.set(source, 8);
  packet.set(destination, 24);
  view.setUint16(40, sourcePort);
  view.setUint16(42, destinationPort);
  view.setUint16(44, udpLength);
  packet.set(payload, IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH);
  view.setUint16(46, udpChecksum(source, destination, packet.subarray(IPV6_HEADER_LENGTH)));
  return packet;
}

/**
 * The UDP datagram in an IPv6 packet whose next header is UDP itself (an extension header in front
 * is refused), or undefined for anything else, inconsistent lengths or a bad checksum. The result
 * is a copy: the packet may sit in a buffer that is reused.
 */
export function parseUdpPacket(packet: Uint8Array): UdpPacket | undefined {
  if (
    packet.length < IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH ||
    packet[0]! >> 4 !== 6 ||
    packet[6] !== NEXT_HEADER_UDP
  )
    return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const length = view.getUint16(44);
  if (
    view.getUint16(4) !== length ||
    length < UDP_HEADER_LENGTH ||
    IPV6_HEADER_LENGTH + length > packet.length
  )
    return undefined;
  const source = packet.slice(8, 24);
  const destination = packet.slice(24, 40);
  const udp = packet.slice(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + length);
  const checksum = view.getUint16(46);
  udp[6] = 0;
  udp[7] = 0;
  if (udpChecksum(source, destination, udp) !== checksum) return undefined;
  return {
    source,
    sourcePort: view.getUint16(40),
    destination,
    destinationPort: view.getUint16(42),
    payload: udp.subarray(UDP_HEADER_LENGTH),
  };
}
