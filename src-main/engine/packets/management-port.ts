// The device's websetup port (PROTOCOL.md §7), held by the data plane instead of the kernel. UDP
// port 5580 of our overlay address exists only inside the session with the management peer (the
// websetup node this device joined): a datagram counts as websetup's only when the security session
// authenticated it as coming from that peer, never because a local socket carries websetup's
// address; and what the device sends goes straight into that session, never through hnet0, where
// any local user could bind the port and read the secret every websetup datagram starts with.
// Local processes may only ping the management peer: whatever else they send it is dropped, so
// nobody on this machine can speak to websetup in the device's name (a join request moving it to
// another account, say). The native data lane never carries that peer, or it would skip all this.
import { formatAddress } from '../../../src-protocol/address.js';
import { equalBytes } from '../../../src-protocol/bytes.js';
import { compress } from '../../../src-protocol/tunnel-packet.js';
import {
  buildUdpPacket,
  NEXT_HEADER_ICMPV6,
  NEXT_HEADER_UDP,
  parseUdpPacket,
} from '../../../src-protocol/udp-packet.js';
import { WEBSETUP_NODE_PORT } from '../../../src-protocol/websetup-messages.js';
import type { DatagramHandler } from '../io/datagram-socket.js';

/** What enrolment's websetup client may do with the port. */
export interface ManagementLink {
  /**
   * Makes `peer` (an fc94 address; undefined: none) this device's management peer from now on:
   * its datagrams to port 5580 come to the listener, local processes may only ping it, the data
   * lane stops carrying it. Takes effect before this returns, so a caller that calls it before
   * sending anything to that peer is never overtaken.
   */
  manage(peer: Uint8Array | undefined): void;
  /** Where datagrams from the management peer to port 5580 go (one listener; undefined: none). */
  listen(onDatagram: DatagramHandler | undefined): void;
  /**
   * One datagram from our port 5580 to the management peer's `port`, sealed into its session;
   * false when it cannot leave now (no management peer, engine not running, peer not allowed).
   */
  send(bytes: Uint8Array, port: number): boolean;
}

/** How the port reaches the peers: the data plane, while it runs. */
export interface ManagementCarrier {
  /** Hands a tunnel payload (PROTOCOL.md §4) to the session with `peer`; false when there is none. */
  sendToPeer(peer: Uint8Array, payload: Uint8Array, ipLength: number): boolean;
  /** Takes the peer with this address off the native data lane (`off`), or lets it back on. */
  keepOffLane(peer: Uint8Array, off: boolean): void;
}

/** Where a packet out of a peer's session goes: the TUN device, this port, or a drop reason. */
export type FromPeer = 'tun' | 'port' | `websetup-${string}`;

/** The drop reason for what local processes send the management peer, other than ICMPv6. */
export const TUN_TO_WEBSETUP = 'tun-to-websetup';

export class ManagementPort implements ManagementLink {
  private managed: Uint8Array | undefined;
  private listener: DatagramHandler | undefined;
  private carrier: ManagementCarrier | undefined;

  constructor(private readonly own: Uint8Array) {}

  manage(peer: Uint8Array | undefined): void {
    const previous = this.managed;
    if (previous && peer && equalBytes(previous, peer)) return;
    this.managed = peer?.slice();
    if (previous) this.carrier?.keepOffLane(previous, false);
    if (peer) this.carrier?.keepOffLane(peer, true);
  }

  listen(onDatagram: DatagramHandler | undefined): void {
    this.listener = onDatagram;
  }

  send(bytes: Uint8Array, port: number): boolean {
    const peer = this.managed;
    const carrier = this.carrier;
    if (!peer || !carrier) return false;
    const packet = buildUdpPacket(this.own, WEBSETUP_NODE_PORT, peer, port, bytes);
    const compressed = compress(packet, this.own);
    return compressed.ok && carrier.sendToPeer(peer, compressed.value.bytes, packet.length);
  }

  /** The data plane that carries the port from now on; undefined once it stops. */
  attach(carrier: ManagementCarrier | undefined): void {
    this.carrier = carrier;
    if (this.managed) carrier?.keepOffLane(this.managed, true);
  }

  isManaged(peer: Uint8Array): boolean {
    return this.managed !== undefined && equalBytes(peer, this.managed);
  }

  /**
   * Whether a packet from the TUN device (a local process) whose IPv6 next header is `nextHeader`
   * may go to `peer`: to the management peer only ICMPv6, so `ping` still diagnoses the path.
   */
  allowsFromTun(peer: Uint8Array, nextHeader: number): boolean {
    return nextHeader === NEXT_HEADER_ICMPV6 || !this.isManaged(peer);
  }

  /**
   * Where an IPv6 packet rebuilt from `peer`'s session goes. From the management peer: UDP to our
   * port 5580 comes here, ICMPv6 goes to the TUN device, anything else (an extension header in
   * front included) is dropped. Every other peer's packets go to the TUN device as they are.
   */
  fromPeer(peer: Uint8Array, packet: Uint8Array): FromPeer {
    if (!this.isManaged(peer)) return 'tun';
    const nextHeader = packet[6];
    if (nextHeader === NEXT_HEADER_ICMPV6) return 'tun';
    if (nextHeader !== NEXT_HEADER_UDP) return 'websetup-not-management';
    const udp = parseUdpPacket(packet);
    if (!udp) return 'websetup-bad-udp';
    if (udp.destinationPort !== WEBSETUP_NODE_PORT || !equalBytes(udp.destination, this.own))
      return 'websetup-not-management';
    if (!this.listener) return 'websetup-no-listener';
    this.listener(udp.payload, formatAddress(peer), udp.sourcePort);
    return 'port';
  }
}
