import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { concat } from './bytes.js';
import { encodeFrame, FrameDecoder, FRAME_HEADER_LENGTH, MAX_FRAME_PAYLOAD } from './tcp-frame.js';

function frame(payload: Uint8Array): Uint8Array {
  const framed = encodeFrame(payload);
  assert.ok(framed.ok);
  return framed.value;
}

describe('TCP framing', () => {
  test('a frame is 17 03 03, a little-endian length and the payload', () => {
    assert.deepEqual(frame(Uint8Array.of(9, 8, 7)), Uint8Array.of(0x17, 3, 3, 3, 0, 9, 8, 7));
    assert.equal(frame(new Uint8Array(MAX_FRAME_PAYLOAD)).length, FRAME_HEADER_LENGTH + 1994);
    const tooLong = encodeFrame(new Uint8Array(1995));
    assert.equal(tooLong.ok ? 'accepted' : tooLong.error.kind, 'TooLong');
  });

  test('payloads come out whole however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: MAX_FRAME_PAYLOAD }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (payloads, cutSeeds) => {
          const stream = concat(...payloads.map(frame));
          const cuts = [...new Set(cutSeeds.map((s) => (stream.length ? s % stream.length : 0)))].sort(
            (a, b) => a - b,
          );
          const decoder = new FrameDecoder();
          const out: Uint8Array[] = [];
          let from = 0;
          for (const to of [...cuts, stream.length]) {
            const pushed = decoder.push(stream.slice(from, to));
            assert.equal(pushed.error, undefined);
            out.push(...pushed.frames.map((f) => f.slice()));
            assert.ok(decoder.pending <= FRAME_HEADER_LENGTH + MAX_FRAME_PAYLOAD);
            from = to;
          }
          assert.deepEqual(out, payloads);
          assert.equal(decoder.pending, 0);
        },
      ),
    );
  });

  test('byte-by-byte delivery works', () => {
    const payloads = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(4)];
    const stream = concat(...payloads.map(frame));
    const decoder = new FrameDecoder();
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...decoder.push(Uint8Array.of(byte)).frames);
    assert.deepEqual(out, payloads);
  });

  test('a stream that is not base framing breaks the decoder for good', () => {
    const decoder = new FrameDecoder();
    const good = frame(Uint8Array.of(1));
    const pushed = decoder.push(concat(good, new TextEncoder().encode('GET / HTTP/1.1\r\n')));
    assert.deepEqual(pushed.frames, [Uint8Array.of(1)]);
    assert.equal(pushed.error?.kind, 'BadFormat');
    const later = decoder.push(good);
    assert.deepEqual(later.frames, []);
    assert.equal(later.error?.kind, 'BadFormat');
  });

  test('an announced length over the limit is refused before any payload is buffered', () => {
    const decoder = new FrameDecoder();
    const pushed = decoder.push(Uint8Array.of(0x17, 3, 3, 0xcb, 0x07));
    assert.equal(pushed.error?.kind, 'TooLong');
    assert.equal(decoder.pending, 0);
    const atLimit = new FrameDecoder().push(Uint8Array.of(0x17, 3, 3, 0xca, 0x07));
    assert.equal(atLimit.error, undefined);
  });
});
