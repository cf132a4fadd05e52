// The engine's UDP socket on loopback. Both implementations run the same contract tests: the addon's
// socket (Linux, macOS) and node:dgram (Windows, exercised here on any OS); what only the batched
// socket does (dropping oversized datagrams, batches) is tested on it alone.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, test } from 'node:test';
import { loadDataPlane } from '../../native/dataplane-addon.js';
import { DropCounter } from '../drops.js';
import { openDgramSocket } from './udp-dgram-socket.js';
import { nativeSocketOpener } from './udp-native-socket.js';
import type { OpenUdpSocket } from './udp-socket.js';
import { openUdpTransport } from './udp-transport.js';

interface Received {
  text: string;
  ip: string;
  port: number;
  key: string;
}

/** Waits (up to 5 s) for socket I/O to make `done` true. */
async function eventually(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = (ms = 100): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A plain IPv4 socket on 127.0.0.1, the way another host's peer would reach us. */
async function ipv4Sender(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const implementations: [string, () => OpenUdpSocket][] = [['node:dgram', () => openDgramSocket]];
if (process.platform !== 'win32') implementations.unshift(['addon socket', nativeSocketOpener]);

for (const [name, opener] of implementations) {
  describe(`engine UDP socket (${name})`, () => {
    const cleanups: (() => void)[] = [];
    afterEach(() => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    });

    async function transport(firstPort = 0, drops = new DropCounter()) {
      const received: Received[] = [];
      const udp = await openUdpTransport(
        firstPort,
        (message, ip, port, key) => received.push({ text: message.toString(), ip, port, key }),
        { drops, openSocket: opener() },
      );
      cleanups.push(() => udp.close());
      return { udp, received, drops };
    }

    async function sender(): Promise<Socket> {
      const socket = await ipv4Sender();
      cleanups.push(() => socket.close());
      return socket;
    }

    test('datagrams travel both ways; an IPv4 source reads as a dotted quad', async () => {
      const a = await transport();
      const b = await transport();
      assert.ok(a.udp.port > 0 && b.udp.port !== a.udp.port);
      a.udp.send(Buffer.from('over IPv4'), a.udp.target({ ip: '127.0.0.1', port: b.udp.port }));
      await eventually('the datagram at b', () => b.received.length === 1);
      assert.deepEqual(b.received[0], {
        text: 'over IPv4',
        ip: '127.0.0.1',
        port: a.udp.port,
        key: `127.0.0.1|${a.udp.port}`,
      });
      b.udp.send(Buffer.from('reply'), b.udp.target({ ip: '127.0.0.1', port: a.udp.port }));
      await eventually('the reply at a', () => a.received.length === 1);
      assert.equal(a.received[0]!.text, 'reply');
      assert.equal(a.received[0]!.port, b.udp.port);

      a.udp.send(Buffer.from('over IPv6'), a.udp.target({ ip: '::1', port: b.udp.port }));
      await eventually('the IPv6 datagram at b', () => b.received.length === 2);
      assert.deepEqual(b.received[1], {
        text: 'over IPv6',
        ip: '::1',
        port: a.udp.port,
        key: `::1|${a.udp.port}`,
      });
    });

    test('a burst of 1000 datagrams from two senders arrives whole, each with its own source', async () => {
      const b = await transport();
      const senders = [await sender(), await sender()];
      // In rounds, as a peer's traffic comes: a real sender cannot outrun the receiver's loop either.
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 50; i++)
          for (const [s, socket] of senders.entries())
            socket.send(`${s}:${round * 50 + i}:${'x'.repeat(i * 20)}`, b.udp.port, '127.0.0.1');
        await new Promise((resolve) => setImmediate(resolve));
      }
      await eventually('1000 datagrams', () => b.received.length >= 1000);
      await settle();
      assert.equal(b.received.length, 1000);
      for (const [s, socket] of senders.entries()) {
        const port = socket.address().port;
        const mine = b.received.filter((r) => r.port === port);
        assert.equal(mine.length, 500);
        assert.ok(mine.every((r) => r.ip === '127.0.0.1' && r.key === `127.0.0.1|${port}`));
        assert.deepEqual(
          mine.map((r) => r.text),
          Array.from({ length: 500 }, (_, n) => `${s}:${n}:${'x'.repeat((n % 50) * 20)}`),
        );
      }
    });

    test('a burst sent in one go arrives whole and in order', async () => {
      const a = await transport();
      const b = await transport();
      const target = a.udp.target({ ip: '127.0.0.1', port: b.udp.port });
      for (let i = 0; i < 150; i++) a.udp.send(Buffer.from(`m${i}`), target);
      await eventually('150 datagrams', () => b.received.length === 150);
      assert.deepEqual(
        b.received.map((r) => r.text),
        Array.from({ length: 150 }, (_, i) => `m${i}`),
      );
    });

    test('a busy port makes the socket take the next free one', async () => {
      const busy = createSocket({ type: 'udp6', ipv6Only: false });
      cleanups.push(() => busy.close());
      // Below 6999: the search walks up to there and no further.
      const first = 6000 + Math.floor(Math.random() * 900);
      await new Promise<void>((resolve) => busy.bind(first, '::', resolve));
      const { udp } = await transport(first);
      assert.ok(udp.port > first && udp.port <= 6999, `got port ${udp.port} after busy ${first}`);
    });

    test('sending where nothing listens or nothing routes does not throw, and the socket carries on', async () => {
      const a = await transport();
      const b = await transport();
      const errors: Error[] = [];
      a.udp.onError((error) => errors.push(error));
      const closed = await sender();
      const closedPort = closed.address().port;
      closed.close();
      cleanups.pop();
      for (const ip of ['127.0.0.1', '2001:db8::1', '192.0.2.1', 'not-an-ip'])
        a.udp.send(Buffer.from('lost'), a.udp.target({ ip, port: ip === '127.0.0.1' ? closedPort : 9 }));
      a.udp.send(Buffer.from('still here'), a.udp.target({ ip: '127.0.0.1', port: b.udp.port }));
      await eventually('the datagram after the failed ones', () => b.received.length === 1);
      assert.equal(b.received[0]!.text, 'still here');
      assert.ok(errors.every((error) => typeof (error as NodeJS.ErrnoException).code === 'string'));
    });

    test('after close() no datagram reaches the handler, even one already queued', async () => {
      const b = await transport();
      const socket = await sender();
      socket.send('before close', b.udp.port, '127.0.0.1');
      await eventually('the first datagram', () => b.received.length === 1);
      for (let i = 0; i < 5; i++) socket.send('after close', b.udp.port, '127.0.0.1');
      b.udp.close();
      await settle();
      assert.deepEqual(
        b.received.map((r) => r.text),
        ['before close'],
      );
    });
  });
}

if (process.platform !== 'win32') {
  describe('engine UDP socket, batched receive (addon socket)', () => {
    const cleanups: (() => void)[] = [];
    afterEach(() => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    });

    test('a datagram over 2048 bytes is dropped and counted, the next one arrives', async () => {
      const drops = new DropCounter();
      const received: string[] = [];
      const udp = await openUdpTransport(0, (message) => received.push(message.toString()), {
        drops,
        openSocket: nativeSocketOpener(),
      });
      cleanups.push(() => udp.close());
      const socket = await ipv4Sender();
      cleanups.push(() => socket.close());
      socket.send(Buffer.alloc(3000, 'o'), udp.port, '127.0.0.1');
      socket.send(Buffer.alloc(2048, 'f'), udp.port, '127.0.0.1');
      socket.send('small', udp.port, '127.0.0.1');
      await eventually('the small datagram', () => received.includes('small'));
      assert.deepEqual(
        received.map((text) => text.slice(0, 5)),
        ['fffff', 'small'],
      );
      assert.equal(drops.snapshot()['udp-receive-oversized'], 1);
    });

    test('queued datagrams come in batches of up to 64, in order', async () => {
      const batches: number[] = [];
      const texts: string[] = [];
      const socket = new (loadDataPlane().UdpSocket)(
        0,
        true,
        (data, count) => {
          batches.push(count);
          let start = 0;
          for (let i = 0; i < count; i++) {
            texts.push(data.subarray(start, socket.ends[i]).toString());
            start = socket.ends[i]!;
          }
        },
        (error) => assert.fail(error),
      );
      cleanups.push(() => socket.close());
      const target = socket.sockaddr('127.0.0.1', socket.port)!;
      // Sent before the loop turns, so they all wait in the kernel queue together.
      for (let i = 0; i < 200; i++) assert.equal(socket.send(Buffer.from(`n${i}`), target), 0);
      await eventually('200 datagrams', () => texts.length === 200);
      assert.deepEqual(
        texts,
        Array.from({ length: 200 }, (_, i) => `n${i}`),
      );
      assert.deepEqual(batches, [64, 64, 64, 8]);
    });

    test('a datagram that waits while JavaScript is busy carries when it arrived, not when it was read', async () => {
      const arrivals: number[] = [];
      const udp = await openUdpTransport(
        0,
        (_message, _ip, _port, _key, receivedAt) => arrivals.push(receivedAt),
        {
          drops: new DropCounter(),
          openSocket: nativeSocketOpener(),
        },
      );
      cleanups.push(() => udp.close());
      const socket = new (loadDataPlane().UdpSocket)(
        0,
        false,
        () => {},
        (error) => assert.fail(error),
      );
      cleanups.push(() => socket.close());
      const sentAt = performance.now();
      assert.equal(socket.send(Buffer.from('stamped'), socket.sockaddr('127.0.0.1', udp.port)!), 0);
      // The event loop is held: the datagram sits in the kernel's queue all this time. A round trip
      // measured to the read would count this wait as the path's.
      while (performance.now() - sentAt < 50);
      const readable = performance.now();
      await eventually('the datagram', () => arrivals.length === 1);
      assert.ok(arrivals[0]! >= sentAt - 1, `arrived ${sentAt - arrivals[0]!} ms before it was sent`);
      assert.ok(arrivals[0]! < readable, `stamped ${arrivals[0]! - readable} ms after the loop was free`);
    });

    test('a handler that throws does not cost the rest of its batch; the error surfaces afterwards', async () => {
      const received: string[] = [];
      const udp = await openUdpTransport(
        0,
        (message) => {
          received.push(message.toString());
          if (received.length === 1) throw new Error('bug met by one datagram');
        },
        { openSocket: nativeSocketOpener() },
      );
      cleanups.push(() => udp.close());
      const surfaced: unknown[] = [];
      process.setUncaughtExceptionCaptureCallback((error) => surfaced.push(error));
      cleanups.push(() => process.setUncaughtExceptionCaptureCallback(null));
      const target = udp.target({ ip: '127.0.0.1', port: udp.port });
      for (let i = 0; i < 5; i++) udp.send(Buffer.from(`d${i}`), target);
      await eventually('all five datagrams', () => received.length === 5);
      assert.deepEqual(received, ['d0', 'd1', 'd2', 'd3', 'd4']);
      assert.equal(surfaced.length, 1);
      assert.equal((surfaced[0] as Error).message, 'bug met by one datagram');
    });
  });
}
