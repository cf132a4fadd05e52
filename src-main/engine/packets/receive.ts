// A packet's way in, from the network to the TUN device (PROTOCOL.md §2, §4), in order:
//
// 1. A datagram arrives on the engine's one UDP port. The addon's socket (io/udp-native-socket.ts
//    over src-main/native/src/udp-socket.cc; node:dgram's io/udp-dgram-socket.ts on Windows) reads
//    up to 64 per system call. With the native data lane on (data-lane.ts), each is first offered
//    to the lane (LaneRouter::TakeDatagram in native/src/lane-router.cc): P2P DATA from a source the
//    lane was told for an established session, or base DATA from the base's UDP relay, is opened,
//    rebuilt and written to the TUN device right there (a heartbeat ping is answered there too), so
//    a busy session costs no JS call per packet. Everything else (websetup's peer always:
//    management-port.ts) is left to JavaScript untouched.
// 2. What the lane left reaches `fromUdp` below (through data-plane.ts's callback, which counts a
//    thrown bug instead of losing the socket), which sorts it: from one of the base's UDP endpoints
//    it goes to BaseConnection.handleDatagram (paths/base-connection.ts), which hands base DATA
//    back to `fromBase`, as its TCP connection does; P2P DATA is taken only from a source a signed
//    HELLO bound to a peer (PeerTable.source, paths/peer-table.ts); HELLOs go to `fromHello`.
// 3. `fromHello` refuses cheaply before it verifies (an id off the whitelist, more than
//    HELLO_VERIFICATIONS_PER_SECOND), then checks the signature (src-protocol/p2p-messages.ts),
//    binds the source to the peer, lets its path hear it and answers with a signed HELLO reply; a
//    reply instead completes the probe the peer sent (Peer.answered: the path's round trip).
// 4. Peer.receive (paths/peer.ts) has its security session (src-protocol/security/session.ts) check
//    and open the packet (replay window, handshakes); the answers it writes leave through
//    send.ts's PacketSender; each tunnel payload comes to `deliver`.
// 5. `deliver` rebuilds the IPv6 packet into the receiver's scratch buffer
//    (src-protocol/tunnel-packet.ts); the management port (management-port.ts) keeps websetup's
//    datagrams to port 5580 inside the engine and refuses what websetup may not send; the rest is
//    written to the TUN device (io/tun-io.ts: one write() from the addon, dropped and counted when
//    the kernel's queue is full).
//
// Bad input is counted and dropped, never thrown. The hot path reuses one scratch buffer for
// rebuilding and looks peers up without building strings for the common case of one busy source.
import type { Endpoint } from '../../../src-protocol/endpoint.js';
import type { Identity } from '../../../src-protocol/identity.js';
import { ADDRESS_LENGTH } from '../../../src-protocol/address.js';
import {
  decodePeerMessage,
  encodePeerHello,
  P2P_DATA_KIND,
  P2P_HELLO_LENGTH,
} from '../../../src-protocol/p2p-messages.js';
import { rebuildInto } from '../../../src-protocol/tunnel-packet.js';
import type { UdpTransport } from '../io/udp-socket.js';
import type { BaseConnection } from '../paths/base-connection.js';
import type { Peer, PeerCandidate, PeerInbound } from '../paths/peer.js';
import type { PeerTable } from '../paths/peer-table.js';
import type { DropCounter } from '../drops.js';
import type { ManagementPort } from './management-port.js';

/** Larger than any packet the security layer (< 2000) hands us. */
const SCRATCH_BYTES = 4096;
/** At ~0.3 ms each, at most a third of a core goes to checking HELLO signatures, whatever arrives. */
const HELLO_VERIFICATIONS_PER_SECOND = 1_000;
const P2P_HELLO = 0;
const P2P_HELLO_REPLY = 1;

export interface TunWriter {
  write(packet: Uint8Array): boolean;
}

export interface ReceiverParts {
  identity: Identity;
  udp: Pick<UdpTransport, 'send' | 'target'>;
  base: Pick<BaseConnection, 'isBaseSource' | 'handleDatagram'>;
  table: Pick<PeerTable, 'findOrCreate' | 'source' | 'allows' | 'authenticate'>;
  drops: DropCounter;
  management: Pick<ManagementPort, 'fromPeer'>;
}

export class PacketReceiver implements PeerInbound {
  /** Where delivered packets go; undefined while there is no device (they are counted as dropped). */
  tun: TunWriter | undefined;
  private readonly rebuilt = new Uint8Array(SCRATCH_BYTES);
  private readonly own: Uint8Array;
  private readonly helloBudget = new PerSecondBudget(HELLO_VERIFICATIONS_PER_SECOND);

  constructor(private readonly parts: ReceiverParts) {
    this.own = parts.identity.address;
  }

  /**
   * A datagram on our UDP port the data lane left to JavaScript: from the base, or from a peer; `key`
   * is endpointKey of its source, `receivedAt` when the socket read it (round trips are measured to then).
   */
  fromUdp(message: Buffer, ip: string, port: number, key: string, receivedAt: number): void {
    const { base, table } = this.parts;
    if (base.isBaseSource(ip, port)) return base.handleDatagram(message, ip, port, receivedAt);
    const kind = message[0];
    if (kind === P2P_DATA_KIND) {
      const source = table.source(key);
      if (!source) return this.parts.drops.count('p2p-data-without-hello');
      if (message.length < 2) return this.parts.drops.count('p2p-data-empty');
      return source.peer.receive(message.subarray(1), receivedAt, source.candidate);
    }
    if (kind === P2P_HELLO || kind === P2P_HELLO_REPLY)
      return this.fromHello(message, { ip, port }, key, receivedAt);
    this.parts.drops.count('p2p-unknown-kind');
  }

  /** DATA the base relayed from `source` (over UDP or TCP), received at `now`. */
  fromBase(source: Uint8Array, packet: Uint8Array, now = performance.now()): void {
    const peer = this.parts.table.findOrCreate(source);
    if (!peer) return this.parts.drops.count('base-data-not-whitelisted');
    peer.receive(packet, now, undefined);
  }

  /** A candidate endpoint for `peer` (from the base, a beacon, a HELLO), in the socket's form. */
  candidate(peer: Peer, endpoint: Endpoint, source: 'base' | 'lan' | 'observed', now: number): PeerCandidate {
    return peer.path.add(endpoint, this.parts.udp.target(endpoint), source, now);
  }

  deliver(peer: Peer, payload: Uint8Array): number {
    const rebuilt = rebuildInto(payload, peer.address, this.own, this.rebuilt, 0);
    if (!rebuilt.ok) {
      this.parts.drops.count(`tunnel-${rebuilt.error.kind}`);
      return 0;
    }
    const packet = this.rebuilt.subarray(0, rebuilt.value);
    const to = this.parts.management.fromPeer(peer.address, packet);
    if (to === 'port') return packet.length;
    if (to !== 'tun') {
      this.parts.drops.count(to);
      return 0;
    }
    if (!this.tun?.write(packet)) {
      this.parts.drops.count('tun-write-failed');
      return 0;
    }
    return packet.length;
  }

  /** `now`: when the socket read it, before verifying, which is ours and must not count as RTT. */
  private fromHello(message: Buffer, from: Endpoint, key: string, now: number): void {
    const { table, drops } = this.parts;
    // Cheap refusals first: verifying a signature costs ~0.3 ms, so a flood of well-formed HELLOs
    // from ids we would refuse anyway, or beyond a budget, must not reach it.
    if (message.length === P2P_HELLO_LENGTH) {
      if (!table.allows(message.subarray(1, 1 + ADDRESS_LENGTH)))
        return drops.count('p2p-hello-not-whitelisted');
      if (!this.helloBudget.take(now)) return drops.count('p2p-hello-over-budget');
    }
    const decoded = decodePeerMessage(message, this.own);
    if (!decoded.ok) return drops.count(`p2p-hello-${decoded.error.kind}`);
    const hello = decoded.value;
    if (hello.kind === 'data') return;
    const peer = table.findOrCreate(hello.sender);
    if (!peer) return drops.count('p2p-hello-peer-table-full');
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
