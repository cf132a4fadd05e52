// What base servers of one cluster say to each other, over the same UDP socket and TCP listener
// that clients use (an hnet extension; clients never see it):
//
//   0xC1 ‖ type(1) ‖ sender base id(8) ‖ counter(8, big-endian) ‖ body ‖ tag(16)
//
// tag = the first 16 bytes of HMAC-SHA256(cluster key, everything before it). The key is the
// cluster's shared secret (cluster-directory.ts), so a base proves it belongs with every packet; the
// counter, never repeated by a sender, lets the receiver refuse replays. Types:
//   DATA  body = a client's peer→base DATA (`0x01 ‖ source ‖ target ‖ packet`) that the sending base
//         accepted from the authenticated source, for the target's base to deliver;
//   PING  body empty, over UDP (and over TCP to keep the link open); answered over UDP by a PONG,
//         body empty too: its tag and counter already prove it fresh;
//   HELLO body = the 16-byte cookie the TCP listener sent: turns that connection into a cluster link.
// Over TCP each packet travels in the clients' frame (`17 03 03 ‖ u16 length`).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CLUSTER_CODE = 0xc1;
export const BASE_ID_LENGTH = 8;
const TAG_LENGTH = 16;
const TYPE_AT = 1;
const SENDER_AT = 2;
const COUNTER_AT = SENDER_AT + BASE_ID_LENGTH;
export const CLUSTER_HEADER_LENGTH = COUNTER_AT + 8;
export const CLUSTER_OVERHEAD = CLUSTER_HEADER_LENGTH + TAG_LENGTH;
export const CLUSTER_KEY_LENGTH = 32;

export const clusterTypes = { data: 1, ping: 2, pong: 3, hello: 4 } as const;
export type ClusterType = keyof typeof clusterTypes;
const typeNames = new Map<number, ClusterType>(
  Object.entries(clusterTypes).map(([name, code]) => [code, name as ClusterType]),
);

export interface ClusterPacket {
  type: ClusterType;
  /** The sender's base id as lowercase hex. */
  sender: string;
  counter: bigint;
  /** A view into the packet: valid while the packet's bytes are. */
  body: Uint8Array;
}

function tag(key: Uint8Array, bytes: Uint8Array, end: number): Buffer {
  return createHmac('sha256', key).update(bytes.subarray(0, end)).digest().subarray(0, TAG_LENGTH);
}

/** The base id a packet claims to come from, read before any work is spent on its tag. */
export function peekSender(packet: Uint8Array): string | undefined {
  if (packet.length < CLUSTER_OVERHEAD || packet[0] !== CLUSTER_CODE) return undefined;
  return Buffer.from(packet.buffer, packet.byteOffset + SENDER_AT, BASE_ID_LENGTH).toString('hex');
}

/** Seals `body` into a new packet with `headroom` spare bytes in front (for a TCP frame header). */
export function sealCluster(
  key: Uint8Array,
  type: ClusterType,
  sender: Uint8Array,
  counter: bigint,
  body: Uint8Array,
  headroom = 0,
): Uint8Array {
  const length = CLUSTER_OVERHEAD + body.length;
  const out = Buffer.allocUnsafe(headroom + length);
  const packet = out.subarray(headroom);
  packet[0] = CLUSTER_CODE;
  packet[TYPE_AT] = clusterTypes[type];
  packet.set(sender, SENDER_AT);
  packet.writeBigUInt64BE(counter, COUNTER_AT);
  packet.set(body, CLUSTER_HEADER_LENGTH);
  tag(key, packet, length - TAG_LENGTH).copy(packet, length - TAG_LENGTH);
  return out;
}

export type OpenFailure = 'malformed' | 'bad_tag';

/** Checks the tag and reads the packet; never trusts a byte before the tag is verified. */
export function openCluster(key: Uint8Array, packet: Uint8Array): ClusterPacket | OpenFailure {
  const sender = peekSender(packet);
  if (sender === undefined) return 'malformed';
  const type = typeNames.get(packet[TYPE_AT]!);
  if (!type) return 'malformed';
  const end = packet.length - TAG_LENGTH;
  if (!timingSafeEqual(tag(key, packet, end), packet.subarray(end))) return 'bad_tag';
  const view = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    type,
    sender,
    counter: view.readBigUInt64BE(COUNTER_AT),
    body: packet.subarray(CLUSTER_HEADER_LENGTH, end),
  };
}
