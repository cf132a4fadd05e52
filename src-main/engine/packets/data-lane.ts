// The engine's side of the addon's data lane (DataLaneHandle in src-main/native/dataplane-addon.ts):
// packets of established direct sessions go between the TUN device and the UDP socket inside the
// addon, so a ping never wakes JavaScript. Here the lane is made, given the socket and the device, and handed
// the ciphers every session seals and opens with; peers tell it, per peer, what it may carry
// (peer.ts) and read back what it carried. Where the addon or libsodium is missing, or the socket
// or the device is not the addon's own, there is no lane and every packet takes the JS path.
import {
  LANE_OPEN_REFUSED,
  LANE_STATS,
  loadDataPlane,
  type DataLaneHandle,
  type LaneCipherHandle,
} from '../../native/dataplane-addon.js';
import type { ProtocolError } from '../../../src-protocol/result.js';
import {
  replayedError,
  type DataCipher,
  type DataCipherFactory,
  type OpenOutcome,
  type SealTarget,
} from '../../../src-protocol/security/data-cipher.js';
import { DATA_OVERHEAD, notAuthentic, notDataPacket } from '../../../src-protocol/security/data-packet.js';
import type { DropCounter } from '../drops.js';
import { errorText } from '../../contract/errors.js';
import type { LaneCarrier } from '../io/lane-carrier.js';
import type { PeerCandidate } from '../paths/peer.js';
import type { UdpRelay } from '../paths/base-connection.js';
import type { UdpTarget } from '../io/udp-socket.js';

/** Where each LANE_STATS count goes among the engine's drop reasons; the rest are not drops. */
const DROP_REASONS: Partial<Record<(typeof LANE_STATS)[number], string>> = {
  replayed: 'security-Replayed',
  tunWriteFailed: 'tun-write-failed',
  udpSendQueueFull: 'udp-send-queue-full',
  udpSendFailed: 'udp-send-error',
};

const refusals = new Map<number, () => ProtocolError>([
  [LANE_OPEN_REFUSED.BadLength, () => notDataPacket().error],
  [LANE_OPEN_REFUSED.DecryptFailed, () => notAuthentic().error],
  [LANE_OPEN_REFUSED.Replayed, () => replayedError('replayed')],
  [LANE_OPEN_REFUSED.TooOld, () => replayedError('too-old')],
  [LANE_OPEN_REFUSED.Invalid, () => replayedError('invalid')],
]);

const sockaddrsOf = (targets: readonly UdpTarget[]): Uint8Array[] =>
  targets.flatMap((target) => (target.sockaddr ? [target.sockaddr] : []));

const sameTargets = (a: readonly UdpTarget[] = [], b: readonly UdpTarget[] = []): boolean =>
  a.length === b.length && a.every((target, i) => target === b[i]);

/** A key epoch whose counter and window live in the addon, where the lane uses them too. */
class LaneCipher implements DataCipher {
  constructor(readonly handle: LaneCipherHandle) {}

  get sent(): number {
    return this.handle.sent;
  }

  get opened(): number {
    return this.handle.opened;
  }

  seal(payload: Uint8Array, into?: SealTarget): Uint8Array {
    const needed = DATA_OVERHEAD + payload.length;
    if (!into || into.buffer.length - into.offset < needed) {
      const packet = new Uint8Array(needed);
      this.handle.seal(payload, packet, 0);
      return packet;
    }
    const length = this.handle.seal(payload, into.buffer, into.offset);
    return into.buffer.subarray(into.offset, into.offset + length);
  }

  open(packet: Uint8Array, into: Uint8Array): OpenOutcome {
    const length = this.handle.open(packet, into, 0);
    if (length >= 0) return { ok: true, payload: into.subarray(0, length) };
    return { ok: false, error: (refusals.get(length) ?? refusals.get(LANE_OPEN_REFUSED.DecryptFailed)!)() };
  }
}

export class DataLane {
  readonly ciphers: DataCipherFactory = (keys) =>
    new LaneCipher(this.handle.cipher(keys.rx, keys.tx, keys.counted));
  private readonly statsSeen = new Float64Array(LANE_STATS.length);
  private relay: UdpRelay | undefined;

  private constructor(private readonly handle: DataLaneHandle) {}

  /** The lane for the node with this address on this socket, or why there is none. */
  static open(ownAddress: Uint8Array, udp: LaneCarrier): DataLane | { unavailable: string } {
    if (!udp.useLane) return { unavailable: "the UDP socket is node:dgram's, not the addon's" };
    let lane: DataLane;
    try {
      lane = new DataLane(new (loadDataPlane().DataLane)(ownAddress));
    } catch (error) {
      return { unavailable: errorText(error) };
    }
    lane.carry(udp);
    return lane;
  }

  /** Lets the socket or device hand packets to the lane, if it can. */
  carry(carrier: LaneCarrier): void {
    carrier.useLane?.(this.handle);
  }

  /**
   * What the lane may carry for `peer`: sealing with `cipher` towards `target`, or through the
   * base's UDP relay when there is no target, and opening DATA from `sources` and from the base.
   * No cipher forgets the peer.
   */
  route(
    peer: Uint8Array,
    cipher: DataCipher | undefined,
    target: UdpTarget | undefined,
    sources: readonly PeerCandidate[],
  ): void {
    if (!(cipher instanceof LaneCipher)) return this.handle.route(peer, null, null, [], false);
    const sockaddrs = sockaddrsOf(sources.map((source) => source.target));
    // A target the socket cannot address (node:dgram's) leaves the peer's packets to JavaScript.
    const direct = target && (target.sockaddr ?? null);
    this.handle.route(peer, cipher.handle, direct ?? null, sockaddrs, direct === undefined);
  }

  /** The base's UDP relay while it is alive (BaseConnection.udpRelay), else undefined. */
  relayThrough(relay: UdpRelay | undefined): void {
    if (relay?.target === this.relay?.target && sameTargets(relay?.sources, this.relay?.sources)) return;
    this.relay = relay;
    const target = relay?.target.sockaddr;
    this.handle.relayThrough(target ?? null, target && relay ? sockaddrsOf(relay.sources) : []);
  }

  /** LANE_PEER_COUNTERS then one count per routed source; false when the peer has no route. */
  counters(peer: Uint8Array, out: Float64Array): boolean {
    return this.handle.counters(peer, out);
  }

  /** Round trips of the pings the lane carried to `peer` since the last call, into `out`: how many. */
  echoRoundTrips(peer: Uint8Array, out: Float64Array): number {
    return this.handle.echoRoundTrips(peer, out);
  }

  /** One datagram per message from now on. */
  disableOffloads(): void {
    this.handle.disableOffloads();
  }

  /** True while the lane sends runs of datagrams in one message (UDP GSO). */
  get segmenting(): boolean {
    return this.handle.segmenting;
  }

  /** IPv6 packets the lane carried, both ways. */
  carried(): number {
    const { stats } = this.handle;
    return stats[LANE_STATS.indexOf('tunPacketsRead')]! + stats[LANE_STATS.indexOf('tunPacketsWritten')]!;
  }

  /** Adds what the lane dropped since the last call to the engine's drop counts. */
  countDrops(drops: DropCounter): void {
    const { stats } = this.handle;
    LANE_STATS.forEach((name, i) => {
      const reason = DROP_REASONS[name];
      const fresh = stats[i]! - this.statsSeen[i]!;
      this.statsSeen[i] = stats[i]!;
      if (reason) drops.count(reason, fresh);
    });
  }
}
