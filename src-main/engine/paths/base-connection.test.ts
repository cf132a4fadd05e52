// The base connection against a real base server on loopback: what a stock client does (HELLO,
// INFO, NAT_INIT until NAT_OK, DATA over UDP) and walking the server list when one is down.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import { BaseServer } from '../../../src-server/base/base-server.js';
import { defaultLimits } from '../../../src-server/base/limits.js';
import { BaseConnection, type BaseHandlers } from './base-connection.js';
import { parseServerAddress } from './base-server-address.js';
import { DropCounter } from '../drops.js';
import { createLogger } from '../log.js';
import type { RelayKind } from './paths.js';
import type { UdpTransport } from '../io/udp-socket.js';
import { openUdpTransport } from '../io/udp-transport.js';

await initCrypto();

test('a base server is host, host:port, [IPv6]:port or bare IPv6; the port defaults to 443', () => {
  assert.deepEqual(parseServerAddress('base.example.com'), {
    host: 'base.example.com',
    port: 443,
    text: 'base.example.com',
  });
  assert.deepEqual(parseServerAddress('198.18.0.4:8443'), {
    host: '198.18.0.4',
    port: 8443,
    text: '198.18.0.4:8443',
  });
  assert.deepEqual(parseServerAddress('[2001:db8::1]:444'), {
    host: '2001:db8::1',
    port: 444,
    text: '[2001:db8::1]:444',
  });
  assert.deepEqual(parseServerAddress('2001:db8::1'), {
    host: '2001:db8::1',
    port: 443,
    text: '2001:db8::1',
  });
  assert.equal(parseServerAddress('host:99999'), undefined);
  assert.equal(parseServerAddress(':443'), undefined);
});

/** A port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Client {
  identity: Identity;
  connection: BaseConnection;
  udp: UdpTransport;
  received: { source: Uint8Array; packet: Uint8Array }[];
  relay: RelayKind[];
  /** A firewall on the way out: while true, no datagram leaves (TCP still does). */
  udpBlocked: boolean;
  /** Datagrams the firewall swallowed: the connection's tries at UDP while it was blocked. */
  udpSwallowed: number;
}

async function client(baseServers: string[]): Promise<Client> {
  const identity = generateIdentity();
  const received: Client['received'] = [];
  const relay: RelayKind[] = [];
  // The transport needs its handler before the connection that handles datagrams exists.
  const late: { connection?: BaseConnection } = {};
  // Port 0 is not allowed by config; the transport walks up from here to a free one.
  const udp = await openUdpTransport(
    40_000 + Math.floor(Math.random() * 20_000),
    (message, ip, port, _key, receivedAt) => late.connection?.handleDatagram(message, ip, port, receivedAt),
  );
  const gate = { udpBlocked: false, udpSwallowed: 0 };
  const gated: UdpTransport = {
    port: udp.port,
    onError: (listener) => udp.onError(listener),
    target: (endpoint) => udp.target(endpoint),
    send: (bytes, target) => {
      if (gate.udpBlocked) gate.udpSwallowed += 1;
      else udp.send(bytes, target);
    },
    close: () => udp.close(),
  };
  const handlers: BaseHandlers = {
    deviceAddresses: () => undefined,
    data: (source, packet) => received.push({ source: source.slice(), packet: packet.slice() }),
    connected: () => undefined,
    relayChanged: (kind) => relay.push(kind),
  };
  const connection = new BaseConnection(
    { identity, log: createLogger('error'), changed: () => undefined },
    baseServers,
    gated,
    new DropCounter(),
    handlers,
    () => [{ ip: '127.0.0.1', port: udp.port }],
  );
  late.connection = connection;
  connection.start();
  return Object.assign(gate, { identity, connection, udp, received, relay });
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('base connection with a real base server', async () => {
  const base = await BaseServer.start({
    tcp: [{ ip: '127.0.0.1', port: 0 }],
    udp: [{ ip: '127.0.0.1', port: 0 }],
    advertiseIp: undefined,
    metrics: undefined,
    limits: defaultLimits,
  });
  const server = `127.0.0.1:${base.tcpAddresses[0]!.port}`;
  const clients: Client[] = [];
  after(async () => {
    for (const c of clients) {
      c.connection.stop();
      c.udp.close();
    }
    await base.close();
  });

  test('a client connects, gets NAT_OK over UDP, and relays DATA to another client over UDP', async () => {
    const [a, b] = [await client([server]), await client([server])];
    clients.push(a, b);
    for (const c of [a, b])
      await until('UDP to the base', () => (c.connection.relayKind === 'udp' ? true : undefined));
    assert.deepEqual(a.connection.status(), { state: 'connected', transport: 'udp', server, reason: '' });
    const packet = new Uint8Array([4, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(a.connection.sendData(b.identity.address, packet), true);
    const got = await until('the relayed packet', () => b.received[0]);
    assert.deepEqual([...got.source], [...a.identity.address]);
    assert.deepEqual([...got.packet], [...packet]);
  });

  test('while peers’ traffic goes through the base, UDP that stops answering moves it to TCP, and back', async () => {
    const c = await client([server]);
    clients.push(c);
    await until('UDP to the base', () => (c.connection.relayKind === 'udp' ? true : undefined));
    // The data plane says so at every tick while a peer's traffic goes through the base.
    const inUse = setInterval(() => c.connection.relayInUse(performance.now()), 200);
    try {
      c.udpBlocked = true;
      await until('TCP', () => (c.connection.relayKind === 'tcp' ? true : undefined));
      assert.deepEqual(c.connection.status(), {
        state: 'connected',
        transport: 'tcp',
        server,
        reason: 'UDP to the base stopped answering, using TCP',
      });
      // It keeps trying UDP while on TCP (NAT_INIT every few seconds); two more unanswered tries and
      // it has not gone back.
      const tries = c.udpSwallowed;
      await until('more tries at UDP', () => (c.udpSwallowed >= tries + 2 ? true : undefined), 20_000);
      assert.deepEqual(c.relay.slice(-2), ['udp', 'tcp'], 'it stays there while UDP is silent');
      c.udpBlocked = false;
      await until('UDP again', () => (c.connection.relayKind === 'udp' ? true : undefined));
    } finally {
      clearInterval(inUse);
    }
  });

  test('a base server that cannot be reached is unreachable, said in words, not a red error code', async () => {
    const down = `127.0.0.1:${await closedPort()}`;
    const c = await client([down]);
    clients.push(c);
    const status = await until('a failed attempt', () => {
      const now = c.connection.status();
      return now.state === 'connecting' ? undefined : now;
    });
    assert.deepEqual(status, {
      state: 'unreachable',
      transport: null,
      server: down,
      reason: `${down} refused the connection (is its base server running?); trying again every 3 s — direct peers keep working`,
    });
  });

  test('with the first server of the list down, the next one is used', async () => {
    const down = `127.0.0.1:${await closedPort()}`;
    const c = await client([down, server]);
    clients.push(c);
    assert.equal(c.connection.status().state !== 'connected', true);
    await until('a connection to the second server', () =>
      c.connection.status().state === 'connected' ? true : undefined,
    );
    assert.equal(c.connection.status().server, server);
  });

  test('a client given servers while running connects to them, and a new list moves it there', async () => {
    const second = await BaseServer.start({
      tcp: [{ ip: '127.0.0.1', port: 0 }],
      udp: [{ ip: '127.0.0.1', port: 0 }],
      advertiseIp: undefined,
      metrics: undefined,
      limits: defaultLimits,
    });
    const otherServer = `127.0.0.1:${second.tcpAddresses[0]!.port}`;
    const [c, peer] = [await client([]), await client([otherServer])];
    clients.push(c, peer);
    try {
      assert.match(c.connection.status().reason, /no base server configured.*hnet setup-server/);
      c.connection.useServers([server]);
      await until('a connection to the server it was given', () =>
        c.connection.relayKind === 'udp' ? true : undefined,
      );
      assert.equal(c.connection.status().server, server);
      c.connection.useServers([otherServer]);
      assert.notEqual(c.connection.status().state, 'connected', 'the old connection ends at once');
      await until('UDP to the new server', () => (c.connection.relayKind === 'udp' ? true : undefined));
      assert.equal(c.connection.status().server, otherServer);
      // The new base relays: the old one could not reach a peer that only knows the new one.
      await until('the peer on the new server', () =>
        peer.connection.relayKind === 'udp' ? true : undefined,
      );
      assert.equal(c.connection.sendData(peer.identity.address, new Uint8Array([4, 9, 9, 9])), true);
      const got = await until('the packet relayed by the new server', () => peer.received[0]);
      assert.deepEqual([...got.packet], [4, 9, 9, 9]);
    } finally {
      await second.close();
    }
  });
});
