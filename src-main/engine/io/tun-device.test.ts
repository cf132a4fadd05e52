// The Windows data-pipe path, exercised on any OS: a Unix socket stands in for the helper's named
// pipe (both are byte streams to net.connect), and this test plays the helper's relay.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { NativeError } from '../../../src-helper/api/native.js';
import { encodeFrame, FrameDecoder } from '../../../src-helper/api/packet-framing.js';
import type { PacketDevice } from './packet-device.js';
import { openPacketDevice } from './tun-device.js';
import { TunPipe } from './tun-pipe.js';

/** Waits (up to 5 s) for socket I/O to make `done` true. */
async function eventually(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the pipe');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('overlay device over the helper data pipe', () => {
  let dir: string;
  let path: string;
  let server: Server;
  const open: { device?: PacketDevice; helperSide?: Socket } = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hnet-tun-pipe-'));
    path = join(dir, 'data.sock');
    server = createServer();
    server.listen(path);
    await once(server, 'listening');
  });

  afterEach(async () => {
    open.helperSide?.destroy();
    await open.device?.close();
    delete open.helperSide;
    delete open.device;
  });

  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openThroughPipe(
    received: Buffer[] = [],
    ends: (NativeError | null)[] = [],
  ): Promise<{ device: PacketDevice; helperSide: Socket }> {
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const device = await openPacketDevice(
      { name: 'hnet0', dataPipe: path },
      { onPacket: (p) => received.push(Buffer.from(p)), onEnd: (e) => ends.push(e) },
    );
    const [helperSide] = await accepted;
    Object.assign(open, { device, helperSide });
    return { device, helperSide };
  }

  test('a reply naming a data pipe opens the pipe device, not a TUN fd', async () => {
    const { device } = await openThroughPipe();
    assert.ok(device instanceof TunPipe);
  });

  test('packets from the Wintun session reach the engine whole, and engine packets reach the helper', async () => {
    const received: Buffer[] = [];
    const { device, helperSide } = await openThroughPipe(received);
    const fromOs = [Buffer.alloc(1350, 1), Buffer.alloc(60, 2), Buffer.alloc(1, 3)];
    const stream = Buffer.concat(fromOs.map(encodeFrame));
    // Split mid-header and mid-packet, as a pipe may deliver it.
    helperSide.write(stream.subarray(0, 1));
    helperSide.write(stream.subarray(1, 700));
    helperSide.write(stream.subarray(700));
    await eventually(() => received.length >= fromOs.length);
    assert.deepEqual(received, fromOs);
    assert.equal(device.stats.packetsRead, 3);
    assert.equal(device.stats.bytesRead, 1411);

    const toOs: Buffer[] = [];
    const decoder = new FrameDecoder((p) => toOs.push(Buffer.from(p)));
    helperSide.on('data', (chunk: Buffer) => decoder.push(chunk));
    assert.equal(device.write(Buffer.from('engine packet')), true);
    await eventually(() => toOs.length >= 1);
    assert.deepEqual(toOs, [Buffer.from('engine packet')]);
    assert.equal(device.stats.packetsWritten, 1);
  });

  test('when the helper drops the pipe, the engine hears the device is lost', async () => {
    const ends: (NativeError | null)[] = [];
    const { device, helperSide } = await openThroughPipe([], ends);
    helperSide.end();
    const reason = await device.ended;
    assert.equal(reason?.code, 'EPIPE');
    assert.deepEqual(ends, [reason]);
    assert.equal(device.write(Buffer.from('late')), false);
    assert.equal(device.stats.writesDropped, 1);
  });

  test('a stream that is not framed packets closes the device with EPROTO', async () => {
    const { device, helperSide } = await openThroughPipe();
    helperSide.write(Buffer.from([0, 0, 9, 9]));
    const reason = await device.ended;
    assert.equal(reason?.code, 'EPROTO');
  });

  test('closing the device ends it without an error', async () => {
    const ends: (NativeError | null)[] = [];
    const { device } = await openThroughPipe([], ends);
    assert.equal(await device.close(), null);
    assert.deepEqual(ends, [null]);
  });

  test('no helper listening on the pipe is an error the caller sees at open', async () => {
    await assert.rejects(
      openPacketDevice({ name: 'hnet0', dataPipe: join(dir, 'nobody.sock') }, { onPacket: () => undefined }),
      { code: 'ENOENT' },
    );
  });
});
