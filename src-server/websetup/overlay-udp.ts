// UDP over the overlay without an overlay interface: the websetup node hosts an engine whose data
// plane would normally read and write a TUN device; here that device is this module, which builds
// and parses the IPv6 and UDP headers itself. So websetup needs neither root nor a TUN device, yet
// its datagrams travel exactly like any device's, end-to-end encrypted, with the overlay vouching
// for the sender's address.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { equalBytes } from '../../src-protocol/bytes.js';
import type { DatagramHandler, OpenDatagramTransport } from '../../src-main/engine/datagram-socket.js';
import type { OpenTun, TunDevice } from '../../src-main/engine/data-plane.js';

const IPV6_HEADER = 40;
const UDP_HEADER = 8;
const UDP = 17;
const HOP_LIMIT = 64;

/** RFC 768/8200 checksum: one's complement sum over the pseudo-header and the whole UDP datagram. */
function udpChecksum(source: Uint8Array, destination: Uint8Array, udp: Uint8Array): number {
  let sum = 0;
  const add = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  };
  add(source);
  add(destination);
  sum += udp.length + UDP;
  add(udp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const result = ~sum & 0xffff;
  return result === 0 ? 0xffff : result;
}

export function buildUdpPacket(
  source: Uint8Array,
  sourcePort: number,
  destination: Uint8Array,
  destinationPort: number,
  payload: Uint8Array,
): Uint8Array {
  const packet = new Uint8Array(IPV6_HEADER + UDP_HEADER + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x60;
  view.setUint16(4, UDP_HEADER + payload.length);
  packet[6] = UDP;
  packet[7] = HOP_LIMIT;
  packet.set(source, 8);
  packet.set(destination, 24);
  view.setUint16(40, sourcePort);
  view.setUint16(42, destinationPort);
  view.setUint16(44, UDP_HEADER + payload.length);
  packet.set(payload, IPV6_HEADER + UDP_HEADER);
  view.setUint16(46, udpChecksum(source, destination, packet.subarray(IPV6_HEADER)));
  return packet;
}

export interface UdpPacket {
  source: Uint8Array;
  sourcePort: number;
  destination: Uint8Array;
  destinationPort: number;
  payload: Uint8Array;
}

/** The UDP datagram in an IPv6 packet, or undefined for anything else or a bad checksum. */
export function parseUdpPacket(packet: Uint8Array): UdpPacket | undefined {
  if (packet.length < IPV6_HEADER + UDP_HEADER || packet[0]! >> 4 !== 6 || packet[6] !== UDP)
    return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const length = view.getUint16(44);
  if (view.getUint16(4) !== length || length < UDP_HEADER || IPV6_HEADER + length > packet.length)
    return undefined;
  const source = packet.subarray(8, 24);
  const destination = packet.subarray(24, 40);
  const udp = packet.slice(IPV6_HEADER, IPV6_HEADER + length);
  const checksum = view.getUint16(46);
  udp[6] = 0;
  udp[7] = 0;
  if (udpChecksum(source, destination, udp) !== checksum) return undefined;
  return {
    source,
    sourcePort: view.getUint16(40),
    destination,
    destinationPort: view.getUint16(42),
    payload: udp.subarray(UDP_HEADER),
  };
}

/**
 * One UDP port on an engine's overlay address: give `openTun` to the engine's data plane and `open`
 * to whoever wants the port. Datagrams sent before the data plane attaches are dropped, as they
 * would be by a network that is not up yet; websetup retries.
 */
export class OverlayUdp {
  private toOverlay: ((packet: Uint8Array) => void) | undefined;
  private handler: DatagramHandler | undefined;
  /** The engine's own address, known once its data plane opens the device. */
  private address: Uint8Array | undefined;

  constructor(private readonly port: number) {}

  readonly openTun: OpenTun = (address, onPacket) => {
    const own = parseOverlayAddress(address);
    if (!own) return Promise.reject(new Error(`${address} is not an overlay address`));
    this.address = own;
    this.toOverlay = onPacket;
    const device: TunDevice = {
      write: (packet) => {
        this.fromOverlay(packet);
        return true;
      },
      close: () => {
        this.toOverlay = undefined;
        return Promise.resolve();
      },
    };
    return Promise.resolve(device);
  };

  readonly open: OpenDatagramTransport = (onDatagram) => {
    this.handler = onDatagram;
    return Promise.resolve({
      port: this.port,
      send: (bytes, toIp, toPort) => {
        const destination = parseOverlayAddress(toIp);
        if (destination && this.address)
          this.toOverlay?.(buildUdpPacket(this.address, this.port, destination, toPort, bytes));
      },
      close: () => {
        this.handler = undefined;
        return Promise.resolve();
      },
    });
  };

  private fromOverlay(packet: Uint8Array): void {
    const udp = parseUdpPacket(packet);
    const own = this.address;
    if (!udp || !own || udp.destinationPort !== this.port || !equalBytes(udp.destination, own)) return;
    this.handler?.(udp.payload, formatAddress(udp.source), udp.sourcePort);
  }
}
