// The base's UDP on the addon's batched socket, and on node:dgram where the addon cannot be loaded:
// a burst of DATA relayed whole and in order (and, batched, in a handful of sendmmsg calls), the
// sender check made per datagram inside a batch, and only the configured address bound.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { loadDataPlane, type DataPlaneAddon } from '../../src-main/native/dataplane-addon.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import { decodeNetcheckAnswer, encodeNetcheckProbe } from '../../src-protocol/netcheck-probe.js';
import type { BaseServer } from './base-server.js';
import type { Received } from './test-client.js';
import { loopbackBases, until } from './test-loopback.js';
import { udpSocketsForThisHost, type UdpSockets } from './udp-listener.js';

const { startServer, client, closeAll } = loopbackBases();
let ids: Identity[] = [];
const sockets: Socket[] = [];

/** Datagrams per system call the addon's sockets sent, in order, since the test last emptied it. */
const sendCalls: number[] = [];
let addon: DataPlaneAddon;
let addonSocket: DataPlaneAddon['UdpSocket'];

const withoutAddon = (): UdpSockets =>
  udpSocketsForThisHost(() => {
    throw new Error('the data-plane addon is not built here');
  });
const socketsOf = (kind: 'batched' | 'dgram'): UdpSockets =>
  kind === 'batched' ? udpSocketsForThisHost() : withoutAddon();

before(async () => {
  await initCrypto();
  ids = Array.from({ length: 4 }, () => generateIdentity());
  // Counts what the base's sockets hand the kernel per call: nativeSocketOpener reads the class here.
  addon = loadDataPlane();
  addonSocket = addon.UdpSocket;
  addon.UdpSocket = class CountingUdpSocket extends addonSocket {
    override send(packet: Uint8Array, sockaddr: Uint8Array): number {
      sendCalls.push(1);
      return super.send(packet, sockaddr);
    }

    override sendMany(packets: Uint8Array[], sockaddrs: Uint8Array[], count: number): number {
      sendCalls.push(count);
      return super.sendMany(packets, sockaddrs, count);
    }
  };
});

after(async () => {
  addon.UdpSocket = addonSocket;
  for (const socket of sockets) socket.close();
  await closeAll();
});

async function boundSocket(type: 'udp4' | 'udp6', port: number, ip: string): Promise<Socket> {
  const socket = createSocket(type);
  sockets.push(socket);
  socket.bind(port, ip);
  await once(socket, 'listening');
  return socket;
}

async function onUdp(server: BaseServer, identity: Identity) {
  const c = await client(server, identity);
  await c.register();
  const natOk = await c.natInitUntilOk();
  return { c, natOk };
}

/** The first byte after the 0 each test payload starts with, of each DATA `r` gets from now on. */
function dataFrom(c: Awaited<ReturnType<typeof onUdp>>['c']): number[] {
  const seen: number[] = [];
  c.listen((r: Received) => {
    if (r.message.kind === 'data') seen.push(r.message.packet[1]!);
  });
  return seen;
}

const dropped = (server: BaseServer, reason: string) =>
  (server.status().counters.dropped as Record<string, number | undefined>)[reason] ?? 0;
const upTo = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('the base relays on the batched socket', () => {
  test('a burst of 64 DATA reaches the target whole and in order, in a handful of sendmmsg calls', async () => {
    const server = await startServer();
    assert.equal(server.udpSockets.kind, 'batched');
    const [{ c: a }, { c: b }] = await Promise.all([onUdp(server, ids[0]!), onUdp(server, ids[1]!)]);
    const seen = dataFrom(b);
    sendCalls.length = 0;
    // Sent in one go, so they wait in the base's receive queue and are read as one batch.
    for (const i of upTo(64)) a.data(ids[1]!.address, Uint8Array.of(0, i, 0xaa, 0xbb), 'udp');
    await until('64 relayed DATA arrived', () => seen.length === 64);
    assert.deepEqual(seen, upTo(64));
    assert.equal(server.status().counters.relayedPackets.udp, 64);
    assert.equal(
      sendCalls.reduce((sum, n) => sum + n, 0),
      64,
      'every relayed datagram left through the socket',
    );
    assert.ok(sendCalls.length <= 4, `64 datagrams took ${sendCalls.length} system calls: ${sendCalls}`);
  });
});

for (const kind of ['batched', 'dgram'] as const) {
  describe(`UDP on ${kind === 'batched' ? 'the batched socket' : 'node:dgram'}`, () => {
    test('two senders interleaved in one batch each reach the other in order; a forged sender among them is dropped and counted', async () => {
      const server = await startServer({}, {}, socketsOf(kind));
      assert.equal(server.udpSockets.kind, kind);
      const [{ c: a }, { c: b }] = await Promise.all([onUdp(server, ids[0]!), onUdp(server, ids[1]!)]);
      const toA = dataFrom(a);
      const toB = dataFrom(b);
      const forger = await boundSocket('udp4', 0, '127.0.0.1');
      const forged = a.encode({
        kind: 'data',
        source: ids[0]!.address,
        target: ids[1]!.address,
        packet: Uint8Array.of(0, 0xee),
      });
      const base = server.udpAddresses[0]!;
      for (const i of upTo(32)) {
        a.data(ids[1]!.address, Uint8Array.of(0, i), 'udp');
        if (i === 16) forger.send(forged, base.port, base.ip);
        b.data(ids[0]!.address, Uint8Array.of(0, 100 + i), 'udp');
      }
      await until(
        'both bursts relayed and the forgery counted',
        () => toA.length === 32 && toB.length === 32 && dropped(server, 'unbound_udp_source') === 1,
      );
      assert.deepEqual(toB, upTo(32));
      assert.deepEqual(toA, upTo(32, 100));
      assert.equal(server.status().counters.relayedPackets.udp, 64);
    });

    test('DATA too large to relay is dropped and counted as oversized, and the next one goes through', async () => {
      const server = await startServer({}, {}, socketsOf(kind));
      const [{ c: a }, { c: b }] = await Promise.all([onUdp(server, ids[0]!), onUdp(server, ids[1]!)]);
      const seen = dataFrom(b);
      const small = a.encode({
        kind: 'data',
        source: ids[0]!.address,
        target: ids[1]!.address,
        packet: Uint8Array.of(0, 1),
      });
      a.sendUdp(Buffer.concat([small, new Uint8Array(3000)]));
      a.data(ids[1]!.address, Uint8Array.of(0, 2), 'udp');
      await until('the oversized one counted and the next relayed', () => {
        return dropped(server, 'oversized') === 1 && seen.length === 1;
      });
      assert.deepEqual(seen, [2]);
    });

    test('only the configured address is bound, and NAT_OK comes from it', async () => {
      const server = await startServer({}, { udp: [{ ip: '127.0.0.2', port: 0 }] }, socketsOf(kind));
      const bound = server.udpAddresses[0]!;
      assert.equal(bound.ip, '127.0.0.2');
      // The same port on another address is still free: the base did not take the wildcard.
      await boundSocket('udp4', bound.port, '127.0.0.1');
      const { natOk } = await onUdp(server, ids[2]!);
      assert.deepEqual(natOk.from, bound);
    });

    const hasIpv6Loopback = Object.values(networkInterfaces())
      .flat()
      .some((info) => info?.address === '::1');
    test(
      'an IPv6 address is bound alone too, and answers from it',
      { skip: !hasIpv6Loopback && 'no ::1 here' },
      async () => {
        const server = await startServer({}, { udp: [{ ip: '::1', port: 0 }] }, socketsOf(kind));
        const bound = server.udpAddresses[0]!;
        assert.equal(bound.ip, '::1');
        // A dual-stack wildcard would hold IPv4's port too.
        await boundSocket('udp4', bound.port, '127.0.0.1');
        const prober = await boundSocket('udp6', 0, '::1');
        const txid = crypto.getRandomValues(new Uint8Array(12));
        const probe = encodeNetcheckProbe(txid);
        assert.ok(probe.ok);
        const reply = once(prober, 'message', { signal: AbortSignal.timeout(2_000) });
        prober.send(probe.value, bound.port, bound.ip);
        const [message, from] = (await reply) as [Buffer, { address: string; port: number }];
        assert.deepEqual({ ip: from.address, port: from.port }, bound);
        const answer = decodeNetcheckAnswer(message);
        assert.ok(answer.ok);
        assert.deepEqual(answer.value.observed, { ip: '::1', port: prober.address().port });
      },
    );
  });
}

test('where the addon cannot be loaded, the base runs on node:dgram and says why', async () => {
  const lines: string[] = [];
  const server = await startServer({}, {}, withoutAddon(), (line) => lines.push(line));
  assert.equal(server.udpSockets.kind, 'dgram');
  assert.ok(
    lines.some(
      (line) => line.includes('node:dgram') && line.includes('the data-plane addon is not built here'),
    ),
    lines.join('\n'),
  );
  sendCalls.length = 0;
  const { natOk } = await onUdp(server, ids[3]!);
  assert.deepEqual(natOk.from, server.udpAddresses[0]);
  assert.deepEqual(sendCalls, [], 'nothing went through the addon');
});
