// The base server's duties on loopback, spoken to by protocol-level clients.
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { formatAddress } from '../../src-protocol/address.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import type { BaseClient, Received } from './test-client.js';
import type { BaseServer } from './base-server.js';
import { loopback, loopbackBases, sleep, until } from './test-loopback.js';

const { startServer, client, closeAll } = loopbackBases();
let ids: Identity[] = [];

/** A client that has registered (INFO → STATE) and has a fresh UDP mapping (NAT_INIT → NAT_OK). */
async function onUdp(server: BaseServer, identity: Identity): Promise<BaseClient> {
  const c = await client(server, identity);
  await c.register();
  await c.natInitUntilOk();
  return c;
}

const isData = (r: Received) => r.message.kind === 'data';
const dropped = (server: BaseServer, reason: string) =>
  (server.status().counters.dropped as Record<string, number | undefined>)[reason] ?? 0;
const testNet = (port: number) => ({ ip: '192.0.2.77', port });

/**
 * The server dropped what was sent, counting it under `reason` as the `count`th, and `c` was handed
 * nothing matching: the count is taken as the input is refused, so once it is there nothing more
 * can come of that input, and no wait for silence is needed.
 */
async function droppedAs(
  server: BaseServer,
  reason: string,
  count: number,
  c: BaseClient,
  match: (r: Received) => boolean,
) {
  await until(`${reason} counted ${count}`, () => dropped(server, reason) >= count);
  assert.equal(dropped(server, reason), count);
  assert.equal(c.holds(match), false, `${reason}: dropped, yet something reached the other side`);
}

before(async () => {
  await initCrypto();
  ids = Array.from({ length: 5 }, () => generateIdentity());
});

after(closeAll);

describe('registration', () => {
  test('every connection gets its own random 16-letter cookie in HELLO', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    const b = await client(server, ids[0]!);
    const text = (c: BaseClient) => Buffer.from(c.cookie).toString('latin1');
    assert.match(text(a), /^[a-z]{16}$/);
    assert.match(text(b), /^[a-z]{16}$/);
    assert.notEqual(text(a), text(b));
  });

  test('every INFO is answered with STATE naming the UDP endpoint at the address the client reached', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    for (let i = 0; i < 3; i++) {
      a.info([testNet(5582)]);
      const state = await a.waitFor((r) => r.message.kind === 'state');
      assert.deepEqual(a.state, [{ ip: '127.0.0.1', port: server.udpAddresses[0]!.port }]);
      assert.equal(state.via, 'tcp');
    }
  });

  test('STATE advertises the configured public address instead', async () => {
    const server = await startServer({}, { advertiseIp: '203.0.113.9' });
    const a = await client(server, ids[0]!);
    assert.deepEqual(await a.register(), [{ ip: '203.0.113.9', port: server.udpAddresses[0]!.port }]);
  });

  test('NAT_OK comes from the first STATE address even when NAT_INIT reached the second', async () => {
    const server = await startServer({}, { udp: [loopback, loopback] });
    const a = await client(server, ids[0]!);
    const state = await a.register();
    assert.equal(state.length, 2);
    a.sendUdp(a.encode({ kind: 'natInit', counter: 1n }), state[1]);
    const natOk = await a.waitFor((r) => r.message.kind === 'natOk');
    assert.deepEqual(natOk.from, state[0]);
  });

  test('the user agent shows on the status page', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    a.userAgent('Husarnet,Linux,x86_64,2.0.343');
    await a.register();
    const device = server.status().devices.find((d) => d.address === formatAddress(ids[0]!.address));
    assert.equal(device?.userAgent, 'Husarnet,Linux,x86_64,2.0.343');
  });
});

describe('device addresses', () => {
  test('REQUEST_INFO lists announced endpoints without loopback and unusable ones', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    const b = await client(server, ids[1]!);
    await b.register([
      { ip: '127.0.0.1', port: 5582 },
      { ip: '192.0.2.77', port: 5582 },
      { ip: 'fe80::1', port: 5582 },
      { ip: '2001:db8::7', port: 5582 },
    ]);
    await a.register();
    a.requestInfo(ids[1]!.address);
    const { message } = await a.waitFor((r) => r.message.kind === 'deviceAddresses');
    assert.deepEqual(message, {
      kind: 'deviceAddresses',
      id: ids[1]!.address,
      endpoints: [
        { ip: '192.0.2.77', port: 5582 },
        { ip: '2001:db8::7', port: 5582 },
      ],
    });
  });

  test('who asked about a device before it arrived is told when it does, and again when it moves', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    await a.register();
    // Nothing is pushed before the device arrives, nor for a registration that changes nothing: the
    // pushes a receives, in order on its connection, are exactly the two below (and the counter says
    // no other was sent), so no wait for silence is needed.
    a.requestInfo(ids[1]!.address);

    const b = await client(server, ids[1]!);
    await b.register([testNet(5582)]);
    const first = await a.waitFor((r) => r.message.kind === 'deviceAddresses');
    assert.deepEqual(first.message.kind === 'deviceAddresses' && first.message.endpoints, [testNet(5582)]);

    await b.register([testNet(5582)]);

    await b.register([testNet(6000)]);
    const moved = await a.waitFor((r) => r.message.kind === 'deviceAddresses');
    assert.deepEqual(moved.message.kind === 'deviceAddresses' && moved.message.endpoints, [testNet(6000)]);
    assert.equal(server.status().counters.addressPushes, 2);
  });
});

describe('relay', () => {
  test('DATA goes both ways over UDP between clients with fresh NAT mappings', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    const b = await onUdp(server, ids[1]!);
    a.data(ids[1]!.address, new Uint8Array([4, 1, 2, 3]), 'udp');
    const atB = await b.waitFor(isData);
    assert.equal(atB.via, 'udp');
    assert.deepEqual(atB.message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([4, 1, 2, 3]),
    });
    b.data(ids[0]!.address, new Uint8Array([5, 9]), 'tcp');
    const atA = await a.waitFor(isData);
    assert.equal(atA.via, 'udp');
    assert.deepEqual(atA.message, { kind: 'data', source: ids[1]!.address, packet: new Uint8Array([5, 9]) });
    assert.equal(server.status().counters.relayedPackets.udp, 2);
  });

  test('DATA reaches a client without a UDP mapping over its TCP connection', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    const b = await client(server, ids[1]!);
    await b.register();
    a.data(ids[1]!.address, new Uint8Array([0, 7, 7]), 'udp');
    const atB = await b.waitFor(isData);
    assert.equal(atB.via, 'tcp');
    assert.deepEqual(atB.message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([0, 7, 7]),
    });
    assert.equal(server.status().counters.relayedPackets.tcp, 1);
  });

  test('DATA falls back to TCP once the target has not sent NAT_INIT for the freshness window', async () => {
    const server = await startServer({ natMappingFreshMs: 10_000 });
    const a = await onUdp(server, ids[0]!);
    const b = await onUdp(server, ids[1]!);
    a.data(ids[1]!.address, new Uint8Array([1]), 'tcp');
    assert.equal((await b.waitFor(isData)).via, 'udp');
    // The window passes on the server's clock, not in real time.
    const realNow = Date.now.bind(Date);
    const later = mock.method(Date, 'now', () => realNow() + 10_000);
    try {
      a.data(ids[1]!.address, new Uint8Array([2]), 'tcp');
      assert.equal((await b.waitFor(isData)).via, 'tcp');
    } finally {
      later.mock.restore();
    }
    await b.natInitUntilOk();
    a.data(ids[1]!.address, new Uint8Array([3]), 'tcp');
    assert.equal((await b.waitFor(isData)).via, 'udp');
  });

  test('DATA for a device that is not connected is dropped and counted', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    a.data(ids[4]!.address, new Uint8Array([1]), 'tcp');
    a.data(ids[4]!.address, new Uint8Array([1]), 'udp');
    const guard = Date.now() + 5_000;
    while (dropped(server, 'target_offline') < 2 && Date.now() < guard) await sleep(10);
    assert.equal(dropped(server, 'target_offline'), 2);
  });
});

describe('authentication', () => {
  test('DATA with a forged sender id is dropped on TCP and UDP', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    const b = await onUdp(server, ids[1]!);
    const forged = a.encode({
      kind: 'data',
      source: ids[2]!.address,
      target: ids[1]!.address,
      packet: new Uint8Array([1]),
    });
    a.sendFrame(forged);
    a.sendUdp(forged);
    await droppedAs(server, 'forged_sender', 1, b, isData);
    // Over UDP the claimed sender has no binding at all, so the source check catches it.
    await droppedAs(server, 'unbound_udp_source', 1, b, isData);
  });

  test('a cookie replayed from another connection is refused, on TCP and in NAT_INIT', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    const thief = await client(server, ids[2]!);
    thief.sendFrame(thief.encode({ kind: 'info', endpoints: [testNet(1)] }, a.cookie));
    await droppedAs(server, 'bad_cookie', 1, thief, (r) => r.message.kind === 'state');

    // NAT_INIT under A's cookie but signed by the thief: the cookie's connection belongs to A.
    thief.sendUdp(thief.encode({ kind: 'natInit', counter: 1n }, a.cookie), a.state[0]);
    await droppedAs(server, 'forged_sender', 1, thief, (r) => r.message.kind === 'natOk');
    assert.equal(server.status().devices.length, 1);
  });

  test('DATA from a UDP source that no NAT_INIT bound is dropped', async () => {
    const server = await startServer();
    const a = await onUdp(server, ids[0]!);
    const b = await onUdp(server, ids[1]!);
    const c = await client(server, ids[2]!);
    await c.register();
    // C is authenticated on TCP but never sent NAT_INIT; and A's own DATA sent from C's socket.
    c.data(ids[1]!.address, new Uint8Array([1]), 'udp');
    c.sendUdp(
      a.encode({
        kind: 'data',
        source: ids[0]!.address,
        target: ids[1]!.address,
        packet: new Uint8Array([2]),
      }),
    );
    await droppedAs(server, 'unbound_udp_source', 2, b, isData);
  });

  test('a NAT_INIT replayed from another source does not take over the device’s UDP binding', async () => {
    const server = await startServer();
    const a = await client(server, ids[0]!);
    await a.register();
    const captured = a.encode({ kind: 'natInit', counter: 7n });
    a.sendUdp(captured);
    await a.waitFor((r) => r.message.kind === 'natOk');
    const b = await onUdp(server, ids[1]!);
    const eve = await client(server, ids[2]!);
    eve.state = a.state;
    eve.sendUdp(captured);
    await droppedAs(server, 'replayed', 1, eve, (r) => r.message.kind === 'natOk');
    b.data(ids[0]!.address, new Uint8Array([1]), 'udp');
    const atA = await a.waitFor(isData);
    assert.equal(atA.via, 'udp');
  });

  test('unsigned DATA on a connection that never authenticated is dropped', async () => {
    const server = await startServer();
    const b = await onUdp(server, ids[1]!);
    const stranger = await client(server, ids[2]!);
    stranger.data(ids[1]!.address, new Uint8Array([1]), 'tcp');
    await droppedAs(server, 'unauthenticated', 1, b, isData);
  });

  test('a newer connection of the same device replaces the older one', async () => {
    const server = await startServer();
    const old = await client(server, ids[0]!);
    await old.register();
    const fresh = await client(server, ids[0]!);
    await fresh.register();
    await old.tcpClosed();
    assert.equal(server.status().clients, 1);
    assert.equal(server.status().counters.closed.replaced, 1);
  });
});
