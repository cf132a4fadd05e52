// Packets between the TUN device and peers (PROTOCOL.md §2, §4): IPv6 from the TUN device is
// compressed and handed to its peer (multicast to every allowed peer); datagrams from the UDP
// socket are sorted into base messages, signed HELLOs and P2P DATA; decrypted payloads are rebuilt
// into IPv6 and written to the TUN device. Bad input is counted and dropped, never thrown.
// The management peer (websetup) is the exception both ways (management-port.ts): local processes
// may only ping it, and its datagrams to port 5580 go to the engine's own port, not the TUN device.
//
// The hot path reuses two scratch buffers (compression and rebuilding) and looks peers up without
// building strings for the common case of one busy peer.
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import type { Identity } from '../../../src-protocol/identity.js';
import { ADDRESS_LENGTH } from '../../../src-protocol/address.js';
import {
  decodePeerMessage,
  encodePeerHello,
  P2P_DATA_KIND,
  P2P_HELLO_LENGTH,
} from '../../../src-protocol/p2p-messages.js';
import { compressInto, rebuildInto } from '../../../src-protocol/tunnel-packet.js';
import type { SealTarget } from '../../../src-protocol/security/data-cipher.js';
import type { BaseConnection } from '../paths/base-connection.js';
import type { DropCounter } from './drops.js';
import { TUN_TO_WEBSETUP, type ManagementPort } from './management-port.js';
import type { Peer, PeerCandidate, PeerLinks } from '../paths/peer.js';
import type { PeerTable } from '../paths/peer-table.js';
import type { UdpTarget, UdpTransport } from '../io/udp-socket.js';

/** Larger than any packet the TUN device (MTU 1350) or the security layer (< 2000) hands us. */
const SCRATCH_BYTES = 4096;
/** At ~0.3 ms each, at most a third of a core goes to checking HELLO signatures, whatever arrives. */
const HELLO_VERIFICATIONS_PER_SECOND = 1_000;
const P2P_HELLO = 0;
const P2P_HELLO_REPLY = 1;
const P2P_DATA_HEADER_LENGTH = 1;
const IPV6_HEADER_LENGTH = 40;
const ICMPV6 = 58;
const ROUTER_SOLICITATION = 133;

export interface TunWriter {
  write(packet: Uint8Array): boolean;
}

export interface RouterParts {
  identity: Identity;
  udp: UdpTransport;
  base: BaseConnection;
  table: PeerTable;
  drops: DropCounter;
  /** The peers a multicast packet goes to: every allowed one. */
  multicastPeers(): Iterable<Peer>;
  management: Pick<ManagementPort, 'allowsFromTun' | 'fromPeer'>;
}

export class PacketRouter implements PeerLinks {
  tun: TunWriter | undefined;
  readonly drops: DropCounter;
  private readonly compressed = new Uint8Array(SCRATCH_BYTES);
  private readonly rebuilt = new Uint8Array(SCRATCH_BYTES);
  private readonly own: Uint8Array;
  private readonly helloBudget = new PerSecondBudget(HELLO_VERIFICATIONS_PER_SECOND);
  /** The latest `directBuffer`, until a packet sealed into it is sent. */
  private datagram: Buffer | undefined;

  constructor(private readonly parts: RouterParts) {
    this.drops = parts.drops;
    this.own = parts.identity.address;
  }

  /** An IPv6 packet the kernel routed into hnet0. */
  fromTun(packet: Uint8Array): void {
    const compressed = compressInto(packet, this.own, this.compressed, 0);
    if (!compressed.ok) return this.drops.count(`tun-${compressed.error.kind}`);
    const { destination, length } = compressed.value;
    const payload = this.compressed.subarray(0, length);
    const nextHeader = packet[6]!;
    const { management } = this.parts;
    const now = performance.now();
    if (destination.kind === 'unicast') {
      const peer = this.parts.table.findOrCreate(destination.peer);
      if (!peer) return this.drops.count('tun-peer-not-whitelisted');
      if (!management.allowsFromTun(peer.address, nextHeader)) return this.drops.count(TUN_TO_WEBSETUP);
      return peer.send(payload, packet.length, now);
    }
    // The kernel asks for a router on every new interface, for as long as none answers (RFC 7559:
    // ever more slowly, forever); the overlay has none, and sent to every peer the questions would
    // keep idle peers awake.
    if (nextHeader === ICMPV6 && packet[IPV6_HEADER_LENGTH] === ROUTER_SOLICITATION)
      return this.drops.count('tun-router-solicitation');
    for (const peer of this.parts.multicastPeers()) {
      if (management.allowsFromTun(peer.address, nextHeader)) peer.send(payload, packet.length, now);
      else this.drops.count(TUN_TO_WEBSETUP);
    }
  }

  /**
   * A datagram on our UDP port: from the base, or from a peer; `key` is endpointKey of its source,
   * `receivedAt` when the socket read it (round trips are measured to then).
   */
  fromUdp(message: Buffer, ip: string, port: number, key: string, receivedAt: number): void {
    const { base, table } = this.parts;
    if (base.isBaseSource(ip, port)) return base.handleDatagram(message, ip, port, receivedAt);
    const kind = message[0];
    if (kind === P2P_DATA_KIND) {
      const source = table.source(key);
      if (!source) return this.drops.count('p2p-data-without-hello');
      if (message.length < 2) return this.drops.count('p2p-data-empty');
      return source.peer.receive(message.subarray(1), receivedAt, source.candidate);
    }
    if (kind === P2P_HELLO || kind === P2P_HELLO_REPLY)
      return this.fromHello(message, { ip, port }, key, receivedAt);
    this.drops.count('p2p-unknown-kind');
  }

  /** DATA the base relayed from `source`, received at `now`. */
  fromBase(source: Uint8Array, packet: Uint8Array, now = performance.now()): void {
    const peer = this.parts.table.findOrCreate(source);
    if (!peer) return this.drops.count('base-data-not-whitelisted');
    peer.receive(packet, now, undefined);
  }

  /** A candidate endpoint for `peer` (from the base, a beacon, …), in the socket's form. */
  candidate(peer: Peer, endpoint: Endpoint, source: 'base' | 'lan' | 'observed', now: number): PeerCandidate {
    return peer.path.add(endpoint, this.parts.udp.target(endpoint), source, now);
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

  deliver(peer: Peer, payload: Uint8Array): number {
    const rebuilt = rebuildInto(payload, peer.address, this.own, this.rebuilt, 0);
    if (!rebuilt.ok) {
      this.drops.count(`tunnel-${rebuilt.error.kind}`);
      return 0;
    }
    const packet = this.rebuilt.subarray(0, rebuilt.value);
    const to = this.parts.management.fromPeer(peer.address, packet);
    if (to === 'port') return packet.length;
    if (to !== 'tun') {
      this.drops.count(to);
      return 0;
    }
    if (!this.tun?.write(packet)) {
      this.drops.count('tun-write-failed');
      return 0;
    }
    return packet.length;
  }

  /** `now`: when the socket read it, before verifying, which is ours and must not count as RTT. */
  private fromHello(message: Buffer, from: Endpoint, key: string, now: number): void {
    // Cheap refusals first: verifying a signature costs ~0.3 ms, so a flood of well-formed HELLOs
    // from ids we would refuse anyway, or beyond a budget, must not reach it.
    if (message.length === P2P_HELLO_LENGTH) {
      if (!this.parts.table.allows(message.subarray(1, 1 + ADDRESS_LENGTH)))
        return this.drops.count('p2p-hello-not-whitelisted');
      if (!this.helloBudget.take(now)) return this.drops.count('p2p-hello-over-budget');
    }
    const decoded = decodePeerMessage(message, this.own);
    if (!decoded.ok) return this.drops.count(`p2p-hello-${decoded.error.kind}`);
    const hello = decoded.value;
    if (hello.kind === 'data') return;
    const { table } = this.parts;
    const peer = table.findOrCreate(hello.sender);
    if (!peer) return this.drops.count('p2p-hello-peer-table-full');
    const existing = table.source(key);
    const candidate =
      existing?.peer === peer ? existing.candidate : this.candidate(peer, from, 'observed', now);
    table.authenticate(peer, candidate);
    peer.heard(candidate, now);
    if (hello.kind === 'helloReply') return peer.answered(hello.cookie, candidate, now);
    const reply = encodePeerHello('helloReply', this.parts.identity, hello.sender, hello.cookie);
    if (reply.ok) this.parts.udp.send(reply.value, candidate.target);
  }
}

/** A fixed number of operations per one-second window; cheap enough to ask per packet. */
class PerSecondBudget {
  private windowStart = -Infinity;
  private used = 0;

  constructor(private readonly perSecond: number) {}

  take(now: number): boolean {
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.used = 0;
    }
    return this.used++ < this.perSecond;
  }
}
