import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { encodeBatch, encodeFrame, FrameDecoder, FrameError, FrameWriter } from './packet-framing.js';

const packetArb = fc.uint8Array({ minLength: 1, maxLength: 2000 });

function decodeAll(chunks: Uint8Array[]): { packets: Buffer[]; pending: number } {
  const packets: Buffer[] = [];
  const decoder = new FrameDecoder((packet) => packets.push(Buffer.from(packet)));
  for (const chunk of chunks) decoder.push(chunk);
  return { packets, pending: decoder.pendingBytes };
}

describe('packet framing over the data pipe', () => {
  test('packets arrive whole and in order however the stream is split', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 20 }), fc.array(fc.nat(5000)), (packets, cuts) => {
        const stream = Buffer.concat(packets.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const point of [...points, stream.length]) {
          chunks.push(stream.subarray(from, point));
          from = point;
        }
        const decoded = decodeAll(chunks);
        assert.deepEqual(
          decoded.packets,
          packets.map((p) => Buffer.from(p)),
        );
        assert.equal(decoded.pending, 0);
      }),
    );
  });

  test('a batch from the reader thread frames exactly like its packets one by one', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { maxLength: 20 }), (packets) => {
        const data = Buffer.concat(packets);
        const ends = new Uint32Array(packets.length);
        let end = 0;
        packets.forEach((p, i) => (ends[i] = end += p.length));
        const batch = encodeBatch(data.buffer.slice(data.byteOffset, data.byteOffset + data.length), ends);
        assert.deepEqual(batch, Buffer.concat(packets.map(encodeFrame)));
      }),
    );
  });

  test('the largest IP packet fits, an empty or oversized one is refused', () => {
    const largest = new Uint8Array(0xffff).fill(7);
    assert.deepEqual(decodeAll([encodeFrame(largest)]).packets, [Buffer.from(largest)]);
    assert.throws(() => encodeFrame(new Uint8Array(0)), RangeError);
    assert.throws(() => encodeFrame(new Uint8Array(0x10000)), RangeError);
  });

  test('a stream that is not ours (zero-length frame) is rejected', () => {
    assert.throws(() => decodeAll([Buffer.from([0, 0, 1, 2])]), FrameError);
  });

  test('a truncated last packet is reported as pending bytes, not delivered', () => {
    const frame = encodeFrame(Buffer.from('abcdef'));
    const decoded = decodeAll([frame.subarray(0, 5)]);
    assert.deepEqual(decoded.packets, []);
    assert.equal(decoded.pending, 5);
  });
});

describe('bounded frame writer', () => {
  let dir: string;
  let server: Server;
  let client: Socket;
  let peer: Socket;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hnet-framing-'));
    const path = join(dir, 'pipe.sock');
    server = createServer();
    server.listen(path);
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    client = connect(path);
    await once(client, 'connect');
    [peer] = await accepted;
    peer.pause();
  });

  after(() => {
    client?.destroy();
    peer?.destroy();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('when the peer stops reading, packets are dropped and counted instead of queued without end', async () => {
    const limit = 64 * 1024;
    const writer = new FrameWriter(client, limit);
    const packet = new Uint8Array(1350).fill(1);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) if (writer.writePacket(packet)) accepted++;
    assert.ok(writer.stats.framesDropped > 0, 'some packets must have been dropped');
    assert.equal(writer.stats.framesQueued, accepted);
    assert.equal(writer.stats.framesQueued + writer.stats.framesDropped, 20_000);
    assert.ok(client.writableLength <= limit, `backlog ${client.writableLength} exceeds ${limit}`);

    // Once the peer drains, the writer accepts packets again and what was queued arrives intact.
    const received: Buffer[] = [];
    const decoder = new FrameDecoder((p) => received.push(Buffer.from(p)));
    peer.on('data', (chunk: Buffer) => decoder.push(chunk));
    peer.resume();
    while (client.writableLength > 0) await once(client, 'drain');
    assert.equal(writer.writePacket(packet), true);
    const expected = accepted + 1;
    while (received.length < expected) await once(peer, 'data');
    assert.equal(received.length, expected);
    assert.ok(received.every((p) => p.equals(packet)));
  });
});
