// For tests: the overlay between devices' management ports (engine/packets/management-port.ts, as their data planes
// hold them) and websetup's user-space port (OverlayUdp), reduced to a switch that delivers IPv6
// packets by destination address. A packet's source stands for the peer whose session it came out
// of; whatever a device's port does not take is recorded as written to that device's TUN device.
import assert from 'node:assert/strict';
import { formatAddress } from '../../src-protocol/address.js';
import type { Identity } from '../../src-protocol/identity.js';
import { rebuild } from '../../src-protocol/tunnel-packet.js';
import type { OverlayUdp } from '../../src-server/websetup/overlay-udp.js';
import { ManagementPort } from '../engine/packets/management-port.js';

export class ManagementSwitch {
  private readonly ends = new Map<string, (packet: Uint8Array) => void>();
  /** Packets a device's port handed on to its TUN device, by device address. */
  readonly toTun = new Map<string, Uint8Array[]>();

  /** A device's management port, attached as its running data plane attaches it. */
  device(identity: Identity): ManagementPort {
    const own = identity.address;
    const address = formatAddress(own);
    const port = new ManagementPort(own);
    port.attach({
      sendToPeer: (peer, payload) => {
        const packet = rebuild(payload, own, peer);
        if (packet.ok) this.deliver(packet.value);
        return packet.ok;
      },
      keepOffLane: () => undefined,
    });
    this.toTun.set(address, []);
    this.ends.set(address, (packet) => {
      if (port.fromPeer(packet.subarray(8, 24), packet) === 'tun') this.toTun.get(address)!.push(packet);
    });
    return port;
  }

  /** A user-space UDP port (websetup's) on `identity`'s overlay address. */
  async attach(identity: Identity, overlay: OverlayUdp): Promise<void> {
    const device = await overlay.openTun(
      identity,
      (packet) => this.deliver(packet),
      (reason) => assert.fail(reason),
    );
    this.ends.set(formatAddress(identity.address), (packet) => device.write(packet));
  }

  /** Sends an IPv6 packet on its way, a turn of the event loop later as a network would. */
  deliver(packet: Uint8Array): void {
    const to = this.ends.get(formatAddress(packet.subarray(24, 40)));
    const copy = packet.slice();
    if (to) setImmediate(() => to(copy));
  }
}
