// Relayed DATA: `0x01 ‖ source ‖ target ‖ packet` in, `0x02 ‖ source ‖ packet` out (PROTOCOL.md §5),
// over UDP while the target's NAT mapping is fresh, else over its TCP connection.
//
// This is the hot path, so the outgoing message is written over the incoming bytes instead of being
// copied: it is 16 bytes shorter and ends at the same place, which leaves room in front of it for
// the 5-byte TCP frame header too. relay.test.ts checks the result against the protocol encoders.
import { FRAME_HEADER_LENGTH, MAX_FRAME_PAYLOAD } from '../../src-protocol/base-messages.js';
import type { ClientRegistry } from './client-registry.js';
import { idKey } from './connection.js';
import type { BaseMetrics } from './metrics.js';
import type { UdpListener } from './udp-listener.js';

export const PEER_DATA_CODE = 0x01;
const BASE_DATA_CODE = 0x02;
const ID_LENGTH = 16;
const SOURCE_AT = 1;
const TARGET_AT = SOURCE_AT + ID_LENGTH;
/** Smallest DATA: kind, both ids and at least one byte of security packet. */
export const MIN_PEER_DATA_LENGTH = TARGET_AT + ID_LENGTH + 1;
/** Where `0x02 ‖ source ‖ packet` starts once rewritten in place. */
const OUT_AT = ID_LENGTH;
const FRAME_AT = OUT_AT - FRAME_HEADER_LENGTH;
const FRAME_MAGIC = [0x17, 0x03, 0x03] as const;

/** Rewrites peer→base DATA in place into base→peer DATA; returns the offset where it now starts. */
export function rewriteInPlace(message: Uint8Array): number {
  message.copyWithin(OUT_AT + 1, SOURCE_AT, SOURCE_AT + ID_LENGTH);
  message[OUT_AT] = BASE_DATA_CODE;
  return OUT_AT;
}

/** After rewriteInPlace: puts the TCP frame header in front; returns the offset of the frame. */
export function frameInPlace(message: Uint8Array): number {
  const length = message.length - OUT_AT;
  message[FRAME_AT] = FRAME_MAGIC[0];
  message[FRAME_AT + 1] = FRAME_MAGIC[1];
  message[FRAME_AT + 2] = FRAME_MAGIC[2];
  message[FRAME_AT + 3] = length & 0xff;
  message[FRAME_AT + 4] = length >> 8;
  return FRAME_AT;
}

export class Relay {
  constructor(
    private readonly registry: ClientRegistry,
    private readonly udp: UdpListener,
    private readonly metrics: BaseMetrics,
    private readonly natMappingFreshMs: number,
  ) {}

  /**
   * Forwards DATA whose sender the caller has already authenticated. `message` (at least
   * MIN_PEER_DATA_LENGTH bytes) is consumed: its bytes are overwritten.
   */
  forward(message: Uint8Array, now: number): void {
    if (message.length > MAX_FRAME_PAYLOAD) return this.metrics.drop('oversized');
    const target = this.registry.device(idKey(message, TARGET_AT));
    if (!target) return this.metrics.drop('target_offline');
    const length = message.length - OUT_AT;
    const udp = target.udp;
    if (udp && now - udp.refreshedAt < this.natMappingFreshMs) {
      this.udp.send(message, rewriteInPlace(message), length, udp.port, udp.address);
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
