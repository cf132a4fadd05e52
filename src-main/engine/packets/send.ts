// A packet's way out, from the TUN device to a peer (PROTOCOL.md §2, §4), in order:
//
// 1. The kernel routes an IPv6 packet into hnet0. The addon's TUN reader (io/tun-io.ts over
//    src-main/native/src/tun-reader.cc; on Windows io/tun-pipe.ts, over the helper's data pipe)
//    reads whole batches. With the native data lane on (data-lane.ts), each packet of the batch is
//    first offered to the lane (LaneRouter::TakeTunPacket in native/src/lane-router.cc): a packet to
//    a peer with an established session and a route the lane was told (Peer.routeLane) is
//    compressed, sealed and queued for one sendmmsg right there, and JavaScript never sees it. That
//    is the whole point of the lane: a busy session costs no JS call per packet.
// 2. What the lane left reaches `fromTun` below (through data-plane.ts's openTun callback, which
//    counts a thrown bug instead of losing the device). It is compressed into the sender's scratch
//    buffer (src-protocol/tunnel-packet.ts); a unicast destination is looked up in the peer table
//    (paths/peer-table.ts), which refuses addresses off the whitelist; the management port
//    (management-port.ts) refuses anything but ping to websetup; multicast goes to every allowed
//    peer, router solicitations to none.
// 3. Peer.send (paths/peer.ts) asks its path selector for the route: for a direct endpoint it takes
//    `directBuffer` (a fresh datagram with the P2P DATA byte written) and has its security session
//    (src-protocol/security/session.ts) seal the payload straight into it. Without keys yet, the
//    session keeps a copy until the handshake completes and hands back the handshake to send; a
//    rekey that is due comes back the same way, after the sealed packet.
// 4. Peer.transmit hands every packet to `sendDirect` (P2P DATA to the endpoint: the sealed datagram
//    itself, with no copy) or `sendRelay` (base DATA through paths/base-connection.ts: UDP relay
//    while the base's UDP answers, else its TCP connection).
// 5. io/udp-native-socket.ts queues the datagram and sends all this turn queued in one sendmmsg
//    (io/udp-dgram-socket.ts on Windows, one send each).
// Peers probe candidate endpoints with signed HELLOs from their tick (`sendHello`); the HELLO
// replies are written where HELLOs arrive (receive.ts).
//
// To a direct endpoint, the only buffer made per packet is the datagram it is sealed into (the
// socket holds it until its queued send leaves); compression reuses one scratch buffer.
import type { Identity } from '../../../src-protocol/identity.js';
import { encodePeerHello, P2P_DATA_KIND } from '../../../src-protocol/p2p-messages.js';
import type { SealTarget } from '../../../src-protocol/security/data-cipher.js';
import { compressInto } from '../../../src-protocol/tunnel-packet.js';
import type { UdpTarget, UdpTransport } from '../io/udp-socket.js';
import type { BaseConnection } from '../paths/base-connection.js';
import type { Peer, PeerCandidate, PeerOutbound } from '../paths/peer.js';
import type { PeerTable } from '../paths/peer-table.js';
import type { DropCounter } from '../drops.js';
import { TUN_TO_WEBSETUP, type ManagementPort } from './management-port.js';

/** Larger than any packet the TUN device (MTU 1350) hands us. */
const SCRATCH_BYTES = 4096;
const P2P_DATA_HEADER_LENGTH = 1;
const IPV6_HEADER_LENGTH = 40;
const ICMPV6 = 58;
const ROUTER_SOLICITATION = 133;

export interface SenderParts {
  identity: Identity;
  udp: Pick<UdpTransport, 'send'>;
  base: Pick<BaseConnection, 'sendData'>;
  table: Pick<PeerTable, 'findOrCreate'>;
  drops: DropCounter;
  /** The peers a multicast packet goes to: every allowed one. */
  multicastPeers(): Iterable<Peer>;
  management: Pick<ManagementPort, 'allowsFromTun'>;
}

export class PacketSender implements PeerOutbound {
  private readonly compressed = new Uint8Array(SCRATCH_BYTES);
  private readonly own: Uint8Array;
  /** The latest `directBuffer`, until a packet sealed into it is sent. */
  private datagram: Buffer | undefined;

  constructor(private readonly parts: SenderParts) {
    this.own = parts.identity.address;
  }

  /** An IPv6 packet the kernel routed into hnet0 and the data lane left to JavaScript. */
  fromTun(packet: Uint8Array): void {
    const compressed = compressInto(packet, this.own, this.compressed, 0);
    if (!compressed.ok) return this.parts.drops.count(`tun-${compressed.error.kind}`);
    const { destination, length } = compressed.value;
    const payload = this.compressed.subarray(0, length);
    const nextHeader = packet[6]!;
    const { management } = this.parts;
    const now = performance.now();
    if (destination.kind === 'unicast') {
      const peer = this.parts.table.findOrCreate(destination.peer);
      if (!peer) return this.parts.drops.count('tun-peer-not-whitelisted');
      if (!management.allowsFromTun(peer.address, nextHeader)) return this.parts.drops.count(TUN_TO_WEBSETUP);
      return peer.send(payload, packet.length, now);
    }
    // The kernel asks for a router on every new interface, for as long as none answers (RFC 7559:
    // ever more slowly, forever); the overlay has none, and sent to every peer the questions would
    // keep idle peers awake.
    if (nextHeader === ICMPV6 && packet[IPV6_HEADER_LENGTH] === ROUTER_SOLICITATION)
      return this.parts.drops.count('tun-router-solicitation');
    for (const peer of this.parts.multicastPeers()) {
      if (management.allowsFromTun(peer.address, nextHeader)) peer.send(payload, packet.length, now);
      else this.parts.drops.count(TUN_TO_WEBSETUP);
    }
  }

  directBuffer(length: number): SealTarget {
    // Fresh for every packet: the socket holds the previous one until its queued send leaves.
    const datagram = Buffer.allocUnsafe(P2P_DATA_HEADER_LENGTH + length);
    datagram[0] = P2P_DATA_KIND;
    this.datagram = datagram;
    return { buffer: datagram, offset: P2P_DATA_HEADER_LENGTH };
  }

  sendDirect(packet: Uint8Array, target: UdpTarget): void {
    const sealed = this.datagram;
    this.datagram = undefined;
    if (sealed?.buffer === packet.buffer && sealed.byteOffset + P2P_DATA_HEADER_LENGTH === packet.byteOffset)
      return this.parts.udp.send(sealed.subarray(0, P2P_DATA_HEADER_LENGTH + packet.length), target);
    // Not sealed into the latest directBuffer (handshakes, heartbeats): copied behind the header.
    const out = Buffer.allocUnsafe(P2P_DATA_HEADER_LENGTH + packet.length);
    out[0] = P2P_DATA_KIND;
    out.set(packet, P2P_DATA_HEADER_LENGTH);
    this.parts.udp.send(out, target);
  }

  sendRelay(peer: Uint8Array, packet: Uint8Array): boolean {
    return this.parts.base.sendData(peer, packet);
  }

  sendHello(peer: Peer, candidate: PeerCandidate, cookie: Uint8Array): void {
    const hello = encodePeerHello('hello', this.parts.identity, peer.address, cookie);
    if (hello.ok) this.parts.udp.send(hello.value, candidate.target);
  }
}
