// The base connection against real base servers on loopback: what a stock client does (HELLO,
// INFO, NAT_INIT until NAT_OK, DATA over UDP), and choosing among several and moving between them.
// Distance and failure are played by a proxy in front of a base: it delays what the base says, or
// swallows everything both ways without closing anything (a blackhole: no RST, no FIN).
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import { BaseServer } from '../../../src-server/base/base-server.js';
import { defaultLimits } from '../../../src-server/base/limits.js';
import { BaseConnection, type BaseHandlers, type BaseTiming } from './base-connection.js';
import { parseServerAddress } from './base-server-address.js';
import { DropCounter } from '../drops.js';
import { createLogger } from '../log.js';
import type { RelayKind } from './paths.js';
import type { BaseStatus } from '../../contract/status.js';
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
  /** A firewall on the way out: while true, no datagram leaves (TCP still does)… */
  udpBlocked: boolean;
  /** …and datagrams to these ports never leave. */
  udpBlockedPorts: Set<number>;
  /** Every status the connection reported as changed, in order. */
  seen: string[];
  /** Datagrams the firewall swallowed: the connection's tries at UDP while it was blocked. */
  udpSwallowed: number;
}

async function client(baseServers: string[], timing: Partial<BaseTiming> = {}): Promise<Client> {
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
  const gate = { udpBlocked: false, udpSwallowed: 0, udpBlockedPorts: new Set<number>() };
  const ports = new Map<unknown, number>();
  const gated: UdpTransport = {
    port: udp.port,
    onError: (listener) => udp.onError(listener),
    target: (endpoint) => {
      const target = udp.target(endpoint);
      ports.set(target, endpoint.port);
      return target;
    },
    send: (bytes, target) => {
      if (gate.udpBlocked || gate.udpBlockedPorts.has(ports.get(target) ?? 0)) gate.udpSwallowed += 1;
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
  const seen: string[] = [];
  const connection: BaseConnection = new BaseConnection(
    {
      identity,
      log: createLogger('error'),
      changed: () => {
        const { state, server, reason } = connection.status();
        const line = `${state} ${server} ${reason}`;
        if (seen.at(-1) !== line) seen.push(line);
      },
    },
    baseServers,
    gated,
    new DropCounter(),
    handlers,
    () => [{ ip: '127.0.0.1', port: udp.port }],
    timing,
  );
  late.connection = connection;
  connection.start();
  return Object.assign(gate, { identity, connection, udp, received, relay, seen });
}

/** The status's one line about the base, without the readings of every server. */
const line = ({ state, transport, server, reason }: BaseStatus) => ({ state, transport, server, reason });

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
    assert.deepEqual(line(a.connection.status()), {
      state: 'connected',
      transport: 'udp',
      server,
      reason: '',
    });
    const [reading] = a.connection.status().servers ?? [];
    assert.equal(reading?.state, 'in use');
    assert.equal(typeof reading?.rttMs, 'number');
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
      assert.deepEqual(line(c.connection.status()), {
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
    assert.deepEqual(status.servers?.[0]?.state, 'unreachable');
    assert.deepEqual(line(status), {
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

/** A TCP proxy in front of a base: `delayMs` on everything the base says; `blackholed` swallows all. */
class BaseProxy {
  blackholed = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
    private readonly delayMs: number,
  ) {
    server.on('connection', (socket) => this.relay(socket));
  }

  static async start(targetPort: number, delayMs = 0): Promise<BaseProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new BaseProxy(server, targetPort, delayMs);
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(downstream: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    for (const socket of [downstream, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.on('data', (chunk) => {
      if (!this.blackholed) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.blackholed) return;
      if (this.delayMs === 0) downstream.write(chunk);
      else setTimeout(() => this.blackholed || downstream.write(chunk), this.delayMs);
    });
  }
}

const startBase = () =>
  BaseServer.start({
    tcp: [{ ip: '127.0.0.1', port: 0 }],
    udp: [{ ip: '127.0.0.1', port: 0 }],
    advertiseIp: undefined,
    metrics: undefined,
    limits: defaultLimits,
  });

/** Short enough for a test to wait out, in the proportions of the real ones. */
const quick: Partial<BaseTiming> = {
  // A proxy's own kernel acknowledges whatever the base behind it does, so watching it would show
  // nothing: the connection asks after quietMs of silence, as it does where the kernel cannot be told
  // (the lab's base-failover test blackholes a base for real and the kernel ends the connection).
  kernelWatch: () => false,
  quietMs: 300,
  answerMs: 300,
  probeTimeoutMs: 400,
  recheckMs: 300,
  retryMs: 300,
};

describe('choosing among several base servers and moving between them', async () => {
  const bases = await Promise.all([startBase(), startBase(), startBase()]);
  const [near, far, farther] = await Promise.all([
    BaseProxy.start(bases[0]!.tcpAddresses[0]!.port),
    BaseProxy.start(bases[1]!.tcpAddresses[0]!.port, 40),
    BaseProxy.start(bases[2]!.tcpAddresses[0]!.port, 80),
  ]);
  const udpPortOf = (i: number) => bases[i]!.udpAddresses[0]!.port;
  const clients: Client[] = [];
  const connectedTo = (c: Client, server: string) => () => {
    const status = c.connection.status();
    return status.state === 'connected' && status.server === server ? true : undefined;
  };
  after(async () => {
    for (const c of clients) {
      c.connection.stop();
      c.udp.close();
    }
    for (const proxy of [near, far, farther]) await proxy.close();
    for (const base of bases) await base.close();
  });

  test('the base with the lowest round trip is used, whatever its place in the list', async () => {
    const c = await client([farther.address, far.address, near.address], quick);
    clients.push(c);
    await until('a connection', connectedTo(c, near.address));
    assert.equal(
      c.seen.some((line) => line.includes(`connecting to ${farther.address}`)),
      false,
      `it never dialled the farthest, first in the list: ${c.seen.join(' | ')}`,
    );
    const readings = c.connection.status().servers ?? [];
    assert.deepEqual(
      readings.map((r) => [r.server, r.state]),
      [
        [near.address, 'in use'],
        [far.address, 'answering'],
        [farther.address, 'answering'],
      ],
      'nearest first',
    );
    assert.ok(readings[1]!.rttMs! >= 40 && readings[2]!.rttMs! >= 80, JSON.stringify(readings));
  });

  test('a base that accepts but never answers, first in the list, is skipped', async () => {
    const silent = await BaseProxy.start(bases[0]!.tcpAddresses[0]!.port);
    silent.blackholed = true;
    try {
      const c = await client([silent.address, far.address], quick);
      clients.push(c);
      await until('a connection', connectedTo(c, far.address));
      assert.equal(
        c.seen.some((line) => line.includes(`connecting to ${silent.address}`)),
        false,
        `it never dialled the silent one: ${c.seen.join(' | ')}`,
      );
      const silentReading = c.connection.status().servers?.find((r) => r.server === silent.address);
      assert.equal(silentReading?.state, 'unreachable');
      assert.equal(silentReading?.rttMs, null);
      assert.match(silentReading?.reason ?? '', /did not say HELLO/);
    } finally {
      await silent.close();
    }
  });

  test('a base killed in use is left for the next at once', async () => {
    const dying = await startBase();
    const c = await client([`127.0.0.1:${dying.tcpAddresses[0]!.port}`, far.address], quick);
    clients.push(c);
    await until('the base that is about to die', () =>
      c.connection.status().state === 'connected' && c.connection.status().server !== far.address
        ? true
        : undefined,
    );
    await dying.close();
    await until('the far base', connectedTo(c, far.address));
  });

  test('a blackholed base in use is left for the next, which relays; the nearer one is used again once it answers', async () => {
    const gate = await BaseProxy.start(bases[0]!.tcpAddresses[0]!.port);
    try {
      const c = await client([gate.address, far.address], quick);
      // A peer that only knows the far base: only there can c's relayed packets reach it.
      const peer = await client([far.address], quick);
      clients.push(c, peer);
      await until('the near base', connectedTo(c, gate.address));
      await until('the peer on the far base', connectedTo(peer, far.address));
      // Everything to and from the near base is dropped from now on: TCP by the proxy, UDP here.
      gate.blackholed = true;
      c.udpBlockedPorts.add(udpPortOf(0));
      await until('the far base', connectedTo(c, far.address));
      assert.match(c.seen.join(' | '), new RegExp(`${gate.address} stopped answering`));
      assert.equal(c.connection.sendData(peer.identity.address, new Uint8Array([4, 7, 7, 7])), true);
      const got = await until('the packet relayed by the far base', () => peer.received[0]);
      assert.deepEqual([...got.packet], [4, 7, 7, 7]);
      const away = c.connection.status().servers?.find((r) => r.server === gate.address);
      assert.equal(away?.state, 'unreachable');
      gate.blackholed = false;
      c.udpBlockedPorts.clear();
      await until('the near base again', connectedTo(c, gate.address));
    } finally {
      await gate.close();
    }
  });
});
