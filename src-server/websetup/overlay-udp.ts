// UDP over the overlay without an overlay interface: the websetup node hosts an engine whose data
// plane would normally read and write a TUN device; here that device is this module, which builds
// and parses the IPv6 and UDP headers itself (src-protocol/udp-packet.ts, which the device's
// management port uses too). So websetup needs neither root nor a TUN device, yet its datagrams
// travel exactly like any device's, end-to-end encrypted, with the overlay vouching for the
// sender's address.
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { equalBytes } from '../../src-protocol/bytes.js';
import { buildUdpPacket, parseUdpPacket } from '../../src-protocol/udp-packet.js';
import type {
  DatagramHandler,
  OpenDatagramTransport,
  OpenTun,
  TunDevice,
} from '../../src-main/engine/index.js';

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

  readonly openTun: OpenTun = (identity, onPacket) => {
    this.address = identity.address;
    this.toOverlay = onPacket;
    const device: TunDevice & { name: string } = {
      name: 'websetup',
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
