// The base server's TCP stream: each message framed as `17 03 03 ‖ u16 LE length ‖ payload`
// (PROTOCOL.md §5). The header imitates a TLS record so middleboxes let port 443 through.
import { fail, ok, type ProtocolError, type Result } from './result.js';

export const FRAME_HEADER_LENGTH = 5;
/** Stock peers refuse frames whose payload is 1995 bytes or more. */
export const MAX_FRAME_PAYLOAD = 1994;
const MAGIC = [0x17, 0x03, 0x03] as const;

export function encodeFrame(payload: Uint8Array): Result<Uint8Array> {
  if (payload.length > MAX_FRAME_PAYLOAD)
    return fail(
      'TooLong',
      `A framed message carries at most ${MAX_FRAME_PAYLOAD} bytes, not ${payload.length}.`,
    );
  const out = new Uint8Array(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(out, 0, payload.length);
  out.set(payload, FRAME_HEADER_LENGTH);
  return ok(out);
}

/**
 * Writes the header of a frame carrying `length` bytes at `out[at]`, allocating nothing, so a relay
 * can frame a message in the room in front of it. Checking `length` against MAX_FRAME_PAYLOAD is
 * the caller's job.
 */
export function writeFrameHeader(out: Uint8Array, at: number, length: number): void {
  out[at] = MAGIC[0];
  out[at + 1] = MAGIC[1];
  out[at + 2] = MAGIC[2];
  out[at + 3] = length & 0xff;
  out[at + 4] = length >> 8;
}

/** The payload length a header announces, or why the header is unacceptable. */
function readHeader(bytes: Uint8Array, at: number): Result<number> {
  if (bytes[at] !== MAGIC[0] || bytes[at + 1] !== MAGIC[1] || bytes[at + 2] !== MAGIC[2])
    return fail('BadFormat', 'The stream is not framed like a base server connection.');
  const length = bytes[at + 3]! | (bytes[at + 4]! << 8);
  if (length > MAX_FRAME_PAYLOAD)
    return fail('TooLong', `A frame announces ${length} bytes, more than the ${MAX_FRAME_PAYLOAD} allowed.`);
  return ok(length);
}

export interface FramePush {
  /** Complete payloads in arrival order; they may be views into the chunk passed to `push`. */
  frames: Uint8Array[];
  /** Set once the stream is broken; every later push reports it again and yields no frames. */
  error: ProtocolError | undefined;
}

/**
 * Splits a TCP byte stream into frame payloads across arbitrary chunk boundaries. Whole frames inside
 * a chunk are returned as views without copying; only a frame split across chunks is assembled, so
 * the decoder never holds more than one header and one maximum payload.
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(FRAME_HEADER_LENGTH);
  private headerFilled = 0;
  private partial: Uint8Array | undefined;
  private partialFilled = 0;
  private broken: ProtocolError | undefined;

  push(chunk: Uint8Array): FramePush {
    const frames: Uint8Array[] = [];
    if (this.broken) return { frames, error: this.broken };
    let at = 0;
    while (at < chunk.length) {
      if (this.partial) {
        const n = Math.min(this.partial.length - this.partialFilled, chunk.length - at);
        this.partial.set(chunk.subarray(at, at + n), this.partialFilled);
        this.partialFilled += n;
        at += n;
        if (this.partialFilled === this.partial.length) {
          frames.push(this.partial);
          this.partial = undefined;
        }
        continue;
      }
      let length: Result<number>;
      if (this.headerFilled === 0 && chunk.length - at >= FRAME_HEADER_LENGTH) {
        length = readHeader(chunk, at);
        at += FRAME_HEADER_LENGTH;
      } else {
        const n = Math.min(FRAME_HEADER_LENGTH - this.headerFilled, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFilled);
        this.headerFilled += n;
        at += n;
        if (this.headerFilled < FRAME_HEADER_LENGTH) break;
        this.headerFilled = 0;
        length = readHeader(this.header, 0);
      }
      if (!length.ok) {
        this.broken = length.error;
        return { frames, error: length.error };
      }
      if (chunk.length - at >= length.value) {
        frames.push(chunk.subarray(at, at + length.value));
        at += length.value;
      } else {
        this.partial = new Uint8Array(length.value);
        this.partialFilled = 0;
      }
    }
    return { frames, error: undefined };
  }

  /** Bytes held back waiting for the rest of a frame (a caller can log a stream cut mid-frame). */
  get pending(): number {
    return this.headerFilled + (this.partial ? this.partialFilled : 0);
  }
}
