// Packets across a byte stream (the per-session data pipe between the Windows helper, which holds
// the Wintun session, and the engine). A pipe in byte mode keeps no message boundaries, so each
// packet travels as a 2-byte little-endian length and its bytes. 65535 is the largest IP packet
// the reader ever delivers (kMaxPacket in the addon), so the length always fits; a zero length
// never occurs and marks a corrupt or foreign stream.
//
// Both directions are bounded: the writer drops (and counts) a packet rather than let the stream's
// send buffer grow past a limit, as a full NIC queue would, so a stalled peer costs packets, never
// memory and never a blocked reader thread.

export const FRAME_HEADER_BYTES = 2;
export const MAX_FRAME_PACKET = 0xffff;
/** Enough for a few hundred full-MTU packets in flight; beyond that the peer is not keeping up. */
export const DEFAULT_QUEUE_LIMIT_BYTES = 1024 * 1024;

/** One packet with its length prefix. */
export function encodeFrame(packet: Uint8Array): Buffer {
  if (packet.length === 0 || packet.length > MAX_FRAME_PACKET) {
    throw new RangeError(`a framed packet must be 1 to ${MAX_FRAME_PACKET} bytes, not ${packet.length}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + packet.length);
  frame.writeUInt16LE(packet.length, 0);
  frame.set(packet, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * A batch from the addon's reader (packets back to back in `data`, `ends` their end offsets) as
 * one buffer of frames: one stream write per batch instead of one per packet.
 */
export function encodeBatch(data: ArrayBuffer, ends: Uint32Array): Buffer {
  const bytes = new Uint8Array(data);
  const total = (ends.length === 0 ? 0 : ends[ends.length - 1]!) + FRAME_HEADER_BYTES * ends.length;
  const out = Buffer.allocUnsafe(total);
  let start = 0;
  let at = 0;
  for (const end of ends) {
    out.writeUInt16LE(end - start, at);
    out.set(bytes.subarray(start, end), at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + end - start;
    start = end;
  }
  return out;
}

export class FrameError extends Error {
  readonly kind = 'CorruptFrame';
}

/**
 * Splits a byte stream back into packets. Each packet reaches `onPacket` as a view valid only
 * during the call (like TunIo's), so the common case — whole frames inside one chunk — copies
 * nothing; only a frame split across chunks is assembled.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onPacket: (packet: Uint8Array) => void) {}

  /** Throws FrameError on a zero-length frame: the stream is not ours and must be closed. */
  push(chunk: Uint8Array): void {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    while (data.length - at >= FRAME_HEADER_BYTES) {
      const length = data[at]! | (data[at + 1]! << 8);
      if (length === 0) throw new FrameError('the packet stream carried a zero-length frame');
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > data.length) break;
      this.onPacket(data.subarray(at + FRAME_HEADER_BYTES, end));
      at = end;
    }
    // Copied: the caller may reuse its chunk, and a partial frame is rare enough to afford it.
    this.pending = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
  }

  /** Bytes of an incomplete frame held back; non-zero at end of stream means a truncated packet. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

/** What a FrameWriter writes into: a net.Socket, or any Writable. */
export interface ByteSink {
  readonly writableLength: number;
  write(chunk: Uint8Array): boolean;
}

export interface FrameWriterStats {
  framesQueued: number;
  bytesQueued: number;
  /** Packets dropped because the sink already held `limitBytes` unsent. */
  framesDropped: number;
}

/** Writes frames into a stream whose unsent backlog it keeps under `limitBytes`. */
export class FrameWriter {
  readonly stats: FrameWriterStats = { framesQueued: 0, bytesQueued: 0, framesDropped: 0 };

  constructor(
    private readonly sink: ByteSink,
    readonly limitBytes: number = DEFAULT_QUEUE_LIMIT_BYTES,
  ) {}

  /** Queues encoded frames (one or many packets); false, counting `packets` as dropped, when full. */
  writeFrames(frames: Buffer, packets: number): boolean {
    if (this.sink.writableLength + frames.length > this.limitBytes) {
      this.stats.framesDropped += packets;
      return false;
    }
    this.sink.write(frames);
    this.stats.framesQueued += packets;
    this.stats.bytesQueued += frames.length;
    return true;
  }

  writePacket(packet: Uint8Array): boolean {
    return this.writeFrames(encodeFrame(packet), 1);
  }
}
