// Encrypted data: `0x00 ‖ nonce(24) ‖ crypto_secretbox_easy(key, nonce, seq(u64 LE) ‖ payload)`,
// XSalsa20-Poly1305 with the MAC first (PROTOCOL.md §3). This is the hot path: it runs through the
// wasm scratch region and can write into caller buffers so the engine need not allocate per packet.
import { fail, ok, type Result } from '../result.js';
import { NONCE_LENGTH, type NoncePool } from './nonce-pool.js';
import { SCRATCH_BYTES, sodiumScratch } from './sodium-heap.js';

const MAC_LENGTH = 16;
const SEQ_LENGTH = 8;
const HEADER_LENGTH = 1 + NONCE_LENGTH;
/** kind + nonce + MAC + seq: a data packet is this much longer than its payload. */
export const DATA_OVERHEAD = HEADER_LENGTH + MAC_LENGTH + SEQ_LENGTH;
/** The largest payload whose packet stays under the 2000-byte limit. */
export const MAX_DATA_PAYLOAD = 1999 - DATA_OVERHEAD;

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Seals `payload` into `out` at `offset` and returns the packet length. `seq` is 0 for stock peers,
 * the packet counter when the replay window is negotiated. The caller checks the payload size.
 */
export function sealDataInto(
  out: Uint8Array,
  offset: number,
  key: Uint8Array,
  seq: number,
  payload: Uint8Array,
  nonces: NoncePool,
): number {
  const s = sodiumScratch();
  const heap = s.heap();
  const nonce = nonces.next();
  heap.set(key, s.key);
  heap.set(nonce, s.nonce);
  writeU64(heap, s.input, seq);
  heap.set(payload, s.input + SEQ_LENGTH);
  const plainLength = SEQ_LENGTH + payload.length;
  s.secretboxEasy(s.output, s.input, plainLength);
  out[offset] = 0;
  out.set(nonce, offset + 1);
  const sealed = s.heap(); // afresh: a view taken before a wasm call is stale if memory grew in it
  out.set(sealed.subarray(s.output, s.output + MAC_LENGTH + plainLength), offset + HEADER_LENGTH);
  return DATA_OVERHEAD + payload.length;
}

export function sealData(key: Uint8Array, seq: number, payload: Uint8Array, nonces: NoncePool): Uint8Array {
  const out = new Uint8Array(DATA_OVERHEAD + payload.length);
  sealDataInto(out, 0, key, seq, payload, nonces);
  return out;
}

export interface OpenedData {
  /** Exact up to 2^53; larger counters come out rounded and are refused by the replay window. */
  seq: number;
  payload: Uint8Array;
}

/**
 * Opens a data packet with `key`. The payload is written to `out` at `offset` when given (it must
 * have room for `packet.length - DATA_OVERHEAD` bytes), else to a new array.
 */
export function openData(
  packet: Uint8Array,
  key: Uint8Array,
  out?: Uint8Array,
  offset = 0,
): Result<OpenedData> {
  const boxedLength = packet.length - HEADER_LENGTH;
  if (packet[0] !== 0 || packet.length <= DATA_OVERHEAD || boxedLength > SCRATCH_BYTES)
    return fail('BadLength', 'This is not a data packet of a possible length.');
  const payloadLength = boxedLength - MAC_LENGTH - SEQ_LENGTH;
  if (out && out.length - offset < payloadLength)
    return fail('TooLong', 'The output buffer is too small for this payload.');
  const s = sodiumScratch();
  const heap = s.heap();
  heap.set(key, s.key);
  heap.set(packet.subarray(1, HEADER_LENGTH), s.nonce);
  heap.set(packet.subarray(HEADER_LENGTH), s.input);
  if (s.secretboxOpenEasy(s.output, s.input, boxedLength) !== 0)
    return fail(
      'DecryptFailed',
      'A data packet failed authentication: forged, corrupted, or under another key.',
    );
  const opened = s.heap();
  const seq = readU64(opened, s.output);
  const start = s.output + SEQ_LENGTH;
  const target = out ?? new Uint8Array(payloadLength);
  const at = out ? offset : 0;
  target.set(opened.subarray(start, start + payloadLength), at);
  return ok({ seq, payload: target.subarray(at, at + payloadLength) });
}

function writeU64(heap: Uint8Array, at: number, value: number): void {
  const low = value >>> 0;
  const high = Math.floor(value / TWO_POW_32) >>> 0;
  for (let i = 0; i < 4; i++) {
    heap[at + i] = (low >>> (8 * i)) & 0xff;
    heap[at + 4 + i] = (high >>> (8 * i)) & 0xff;
  }
}

function readU64(heap: Uint8Array, at: number): number {
  const low = (heap[at]! | (heap[at + 1]! << 8) | (heap[at + 2]! << 16) | (heap[at + 3]! << 24)) >>> 0;
  const high = (heap[at + 4]! | (heap[at + 5]! << 8) | (heap[at + 6]! << 16) | (heap[at + 7]! << 24)) >>> 0;
  return high * TWO_POW_32 + low;
}
