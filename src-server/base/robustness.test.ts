// One misbehaving client costs the base server bounded memory and never disturbs the others.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import type { BaseServer } from './base-server.js';
import { loopbackBases, sleep } from './test-loopback.js';

const { startServer, client, closeAll } = loopbackBases();
let ids: Identity[] = [];

const closedFor = (server: BaseServer, reason: string) =>
  (server.status().counters.closed as Record<string, number | undefined>)[reason] ?? 0;

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

before(async () => {
  await initCrypto();
  ids = Array.from({ length: 3 }, () => generateIdentity());
});

after(closeAll);

test('a malformed frame closes only the connection that sent it', async () => {
  const server = await startServer();
  const good = await client(server, ids[0]!);
  await good.register();
  const bad = await client(server, ids[1]!);
  await bad.register();
  bad.sendRawTcp(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
  await bad.tcpClosed();
  await until('the close is counted', () => closedFor(server, 'malformed_frame') === 1);
  await good.register();
  assert.equal(server.status().clients, 1);
});

test('a client that disconnects in the middle of a frame leaves no state behind', async () => {
  const server = await startServer();
  const a = await client(server, ids[0]!);
  await a.register();
  const frame = a.encode({ kind: 'info', endpoints: [{ ip: '192.0.2.1', port: 1 }] });
  a.sendRawTcp(
    new Uint8Array([0x17, 0x03, 0x03, frame.length & 0xff, frame.length >> 8, ...frame.subarray(0, 20)]),
  );
  await sleep(50);
  a.close();
  await until('the server forgets the client', () => server.status().tcpConnections === 0);
  assert.equal(server.status().clients, 0);
  assert.equal(closedFor(server, 'peer_closed'), 1);
});

test('connections beyond the cap are closed at once', async () => {
  const server = await startServer({ maxConnections: 2 });
  await client(server, ids[0]!);
  await client(server, ids[1]!);
  await assert.rejects(client(server, ids[2]!), /closed the connection before HELLO/);
  await until('the refusal is counted', () => closedFor(server, 'connection_limit') === 1);
});

test('a connection that never authenticates is closed after the timeout; an authenticated one stays', async () => {
  const server = await startServer({ authTimeoutMs: 300 });
  const silent = await client(server, ids[0]!);
  const talker = await client(server, ids[1]!);
  await talker.register();
  await silent.tcpClosed();
  await until('the close is counted', () => closedFor(server, 'auth_timeout') === 1);
  assert.ok(talker.tcpOpen);
});

test('a client over its message rate has the excess dropped', async () => {
  const server = await startServer({ messagesPerSecond: 100 });
  const a = await client(server, ids[0]!);
  await a.register();
  const b = await client(server, ids[1]!);
  await b.register();
  for (let i = 0; i < 400; i++) a.data(ids[1]!.address, new Uint8Array([i & 0xff]), 'tcp');
  await until(
    'the burst is processed',
    () =>
      server.status().counters.relayedPackets.tcp + (server.status().counters.dropped.rate_limited ?? 0) >=
      400 - 2,
  );
  const relayed = server.status().counters.relayedPackets.tcp;
  // One second of burst (100), plus what refilled while the burst was being read.
  assert.ok(relayed >= 95 && relayed <= 150, `relayed ${relayed}`);
  assert.ok((server.status().counters.dropped.rate_limited ?? 0) >= 250);
});

test('relayed data to a client that stops reading is dropped, not buffered without bound', async () => {
  const server = await startServer({ relayBufferBytes: 64 * 1024, maxBufferedBytes: 64 * 1024 * 1024 });
  const sender = await client(server, ids[0]!);
  await sender.register();
  const hung = await client(server, ids[1]!);
  await hung.register();
  hung.stopReading();
  const packet = new Uint8Array(1300);
  // Far more than loopback socket buffers hold, so the server's own queue must fill.
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 500; i++) sender.data(ids[1]!.address, packet, 'tcp');
    await sleep(10);
  }
  await until(
    'the server drops for backpressure',
    () => (server.status().counters.dropped.backpressure ?? 0) > 0,
  );
  const queued = server.status().devices.map((d) => d.queuedBytes);
  // At most the relay threshold plus the one packet that crossed it.
  assert.ok(Math.max(...queued) <= 64 * 1024 + 1400, `queued to clients: ${queued.join(', ')}`);
  // The sender is unaffected.
  await sender.register();
});

test('/metrics and /status describe clients, relayed packets and drops', async () => {
  const server = await startServer();
  const a = await client(server, ids[0]!);
  await a.register();
  a.data(ids[2]!.address, new Uint8Array([1]), 'tcp');
  await sleep(100);
  const base = `http://127.0.0.1:${server.metricsAddress!.port}`;
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^hnet_base_clients 1$/m);
  assert.match(metrics, /^hnet_base_relayed_packets_total\{path="udp"\} 0$/m);
  assert.match(metrics, /^hnet_base_relayed_bytes_total\{path="tcp"\} 0$/m);
  assert.match(metrics, /^hnet_base_dropped_total\{reason="target_offline"\} 1$/m);
  const status = (await (await fetch(`${base}/status`)).json()) as { clients: number; devices: unknown[] };
  assert.equal(status.clients, 1);
  assert.equal(status.devices.length, 1);
  assert.equal((await fetch(`${base}/nothing`)).status, 404);
});

test('raw garbage on a TCP connection before any frame only closes that connection', async () => {
  const server = await startServer();
  const good = await client(server, ids[0]!);
  await good.register();
  const raw = connect({ host: '127.0.0.1', port: server.tcpAddresses[0]!.port });
  raw.on('error', () => {});
  raw.resume();
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.write('GET / HTTP/1.1\r\nHost: base\r\n\r\n');
  await new Promise((resolve) => raw.once('close', resolve));
  await good.register();
});
