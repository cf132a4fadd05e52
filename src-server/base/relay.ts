// Relayed DATA: `0x01 ‖ source ‖ target ‖ packet` in, `0x02 ‖ source ‖ packet` out (PROTOCOL.md §5),
// over UDP while the target's NAT mapping is fresh, else over its TCP connection.
//
// This is the hot path, so the outgoing message is written over the incoming bytes instead of being
// copied: it is 16 bytes shorter and ends at the same place, which leaves room in front of it for
// the 5-byte TCP frame header too. relay.test.ts checks the result against the protocol encoders.
// Over UDP it goes to the target's binding, prepared once per NAT mapping, and leaves with the rest
// of its receive batch in one sendmmsg (udp-listener.ts); the target is looked up once per packet.
import { ADDRESS_LENGTH } from '../../src-protocol/address.js';
import {
  BASE_TO_PEER_DATA_CODE,
  BASE_TO_PEER_DATA_PACKET_AT,
  BASE_TO_PEER_DATA_SOURCE_AT,
  FRAME_HEADER_LENGTH,
  MAX_FRAME_PAYLOAD,
  PEER_TO_BASE_DATA_PACKET_AT,
  PEER_TO_BASE_DATA_SOURCE_AT,
  PEER_TO_BASE_DATA_TARGET_AT,
  writeFrameHeader,
} from '../../src-protocol/base-messages.js';
import type { ClientRegistry } from './client-registry.js';
import { idKey, type Device } from './connection.js';
import type { BaseMetrics } from './metrics.js';
import type { UdpListener } from './udp-listener.js';

/** Where the outgoing DATA starts once rewritten in place: its packet stays where it was. */
const OUT_AT = PEER_TO_BASE_DATA_PACKET_AT - BASE_TO_PEER_DATA_PACKET_AT;
const FRAME_AT = OUT_AT - FRAME_HEADER_LENGTH;

/** Rewrites peer→base DATA in place into base→peer DATA; returns the offset where it now starts. */
export function rewriteInPlace(message: Uint8Array): number {
  message.copyWithin(
    OUT_AT + BASE_TO_PEER_DATA_SOURCE_AT,
    PEER_TO_BASE_DATA_SOURCE_AT,
    PEER_TO_BASE_DATA_SOURCE_AT + ADDRESS_LENGTH,
  );
  message[OUT_AT] = BASE_TO_PEER_DATA_CODE;
  return OUT_AT;
}

/** After rewriteInPlace: puts the TCP frame header in front; returns the offset of the frame. */
export function frameInPlace(message: Uint8Array): number {
  writeFrameHeader(message, FRAME_AT, message.length - OUT_AT);
  return FRAME_AT;
}

/** Where DATA for a device that is not ours goes: the base cluster, when this base is part of one. */
export interface Elsewhere {
  forward(message: Uint8Array, now: number): void;
}

export class Relay {
  elsewhere: Elsewhere | undefined = undefined;

  constructor(
    private readonly registry: ClientRegistry,
    private readonly udp: UdpListener,
    private readonly metrics: BaseMetrics,
    private readonly natMappingFreshMs: number,
  ) {}

  /**
   * Forwards DATA whose sender the caller has already authenticated. `message` (at least
   * MIN_PEER_TO_BASE_DATA_LENGTH bytes) is consumed: its bytes are overwritten.
   */
  forward(message: Uint8Array, now: number): void {
    if (message.length > MAX_FRAME_PAYLOAD) return this.metrics.drop('oversized');
    const target = this.registry.device(idKey(message, PEER_TO_BASE_DATA_TARGET_AT));
    if (target) this.hand(message, target, now);
    else if (this.elsewhere) this.elsewhere.forward(message, now);
    else this.metrics.drop('target_offline');
  }

  /** Hands DATA to the target if it is a client of ours; another base's DATA comes in here. */
  deliver(message: Uint8Array, now: number): void {
    if (message.length > MAX_FRAME_PAYLOAD) return this.metrics.drop('oversized');
    const target = this.registry.device(idKey(message, PEER_TO_BASE_DATA_TARGET_AT));
    if (target) this.hand(message, target, now);
    else this.metrics.drop('target_offline');
  }

  private hand(message: Uint8Array, target: Device, now: number): void {
    const length = message.length - OUT_AT;
    const udp = target.udp;
    if (udp && now - udp.refreshedAt < this.natMappingFreshMs) {
      this.udp.send(message.subarray(rewriteInPlace(message)), udp.target);
      this.metrics.relayed('udp', length);
      return;
    }
    const connection = target.connection;
    if (connection.congested) return this.metrics.drop('backpressure');
    rewriteInPlace(message);
    connection.write(message.subarray(frameInPlace(message)));
    this.metrics.relayed('tcp', length);
  }
}
