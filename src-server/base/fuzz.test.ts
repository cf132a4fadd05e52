// Random and mutated frames from many connections and garbage UDP at a running server, while
// well-behaved clients keep registering and relaying: they must stay served during and after.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../src-protocol/identity.js';
import { BaseClient, type Received } from './test-client.js';
import { BaseServer } from './base-server.js';
import { defaultLimits } from './limits.js';
import { until } from './test-loopback.js';

const FUZZ_MS = 3000;
const FUZZ_CONNECTIONS = 40;
const seed = Number(process.env.HNET_FUZZ_SEED ?? Date.now() % 1_000_000);

/** xorshift32: the same seed replays the same attack (printed on failure). */
function rng(start: number): () => number {
  let x = start || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}
const random = rng(seed);
const below = (n: number) => Math.floor(random() * n);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => below(256));

/** Flip, truncate, extend or splice a valid message. */
function mutate(valid: Uint8Array): Uint8Array {
  const out = Uint8Array.from(valid);
  switch (below(4)) {
    case 0:
      for (let i = 0; i < 1 + below(4); i++) out[below(out.length)] = below(256);
      return out;
    case 1:
      return out.subarray(0, below(out.length));
    case 2:
      return Uint8Array.from([...out, ...randomBytes(1 + below(64))]);
    default:
      out[0] = below(8);
      return out;
  }
}

function frame(payload: Uint8Array, length = payload.length): Uint8Array {
  return Uint8Array.from([0x17, 0x03, 0x03, length & 0xff, (length >> 8) & 0xff, ...payload]);
}

let server: BaseServer;
let ids: Identity[] = [];
const clients: BaseClient[] = [];

before(async () => {
  await initCrypto();
  ids = Array.from({ length: 3 }, () => generateIdentity());
  server = await BaseServer.start({
    tcp: [{ ip: '127.0.0.1', port: 0 }],
    udp: [{ ip: '127.0.0.1', port: 0 }],
    advertiseIp: undefined,
    metrics: undefined,
    limits: defaultLimits,
  });
});

after(async () => {
  for (const c of clients) c.close();
  await server.close();
});

test(`well-behaved clients stay served while the server is fuzzed (seed ${seed})`, async (t) => {
  const base = server.tcpAddresses[0]!;
  const udpBase = server.udpAddresses[0]!;
  const join = async (identity: Identity, natInit: boolean) => {
    const c = await BaseClient.connect({ identity, base, localIp: '127.0.0.1' });
    clients.push(c);
    await c.register([{ ip: '192.0.2.9', port: c.udpPort }]);
    if (natInit) await c.natInitUntilOk();
    return c;
  };
  const a = await join(ids[0]!, true);
  const b = await join(ids[1]!, true);
  const c = await join(ids[2]!, false);
  const delivered = { udpToB: 0, tcpToC: 0 };
  // Counted: A's packets (kind 4); the end markers (kind 5) are not.
  const counted = (r: Received) => r.message.kind === 'data' && r.message.packet[0] === 4;
  const isMarker = (r: Received) => r.message.kind === 'data' && r.message.packet[0] === 5;
  b.listen((r) => counted(r) && r.via === 'udp' && delivered.udpToB++);
  c.listen((r) => counted(r) && r.via === 'tcp' && delivered.tcpToC++);

  // Valid messages of every kind to mutate, including ones carrying a real client's id and cookie.
  const samples = [
    a.encode({ kind: 'info', endpoints: [{ ip: '192.0.2.9', port: 5582 }] }),
    a.encode({ kind: 'requestInfo', target: ids[1]!.address }),
    // A replay: A's natInitUntilOk already used counter 0.
    a.encode({ kind: 'natInit', counter: 0n }),
    a.encode({ kind: 'natOkConfirm', counter: 5n }),
    a.encode({ kind: 'userAgent', userAgent: 'Husarnet,Linux,x86_64,2.0.343' }),
    a.encode({ kind: 'data', source: ids[0]!.address, target: ids[1]!.address, packet: randomBytes(100) }),
  ];
  const pick = () => samples[below(samples.length)]!;

  const deadline = Date.now() + FUZZ_MS;
  let fuzzConnections = 0;
  const fuzzTcp = async (): Promise<void> => {
    while (Date.now() < deadline) {
      fuzzConnections++;
      const socket: Socket = connect({ host: base.ip, port: base.port });
      socket.on('error', () => {});
      socket.resume();
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.once('connect', async () => {
          for (let i = 0; i < 50 && !socket.destroyed && Date.now() < deadline; i++) {
            const kind = below(5);
            if (kind === 0) socket.write(randomBytes(1 + below(300)));
            else if (kind === 1) socket.write(frame(randomBytes(below(400))));
            else if (kind === 2) socket.write(frame(mutate(pick())));
            else if (kind === 3) socket.write(frame(pick()));
            else socket.write(frame(randomBytes(10), below(0x10000)).subarray(0, 5 + below(10)));
            await new Promise((r) => setTimeout(r, below(5)));
          }
          socket.destroy();
        });
      });
    }
  };
  const fuzzUdp = async (): Promise<number> => {
    const socket = createSocket('udp4');
    let sent = 0;
    while (Date.now() < deadline) {
      for (let i = 0; i < 50; i++, sent++)
        socket.send(below(2) ? randomBytes(below(1500)) : mutate(pick()), udpBase.port, udpBase.ip);
      await new Promise((r) => setTimeout(r, 2));
    }
    socket.close();
    return sent;
  };

  // The well-behaved side: STATE for every INFO, and DATA A→B over UDP and A→C over TCP.
  let infos = 0;
  let sent = 0;
  const served = (async () => {
    while (Date.now() < deadline) {
      a.info([{ ip: '192.0.2.9', port: a.udpPort }]);
      infos++;
      await a.waitFor((r) => r.message.kind === 'state', 2000);
      for (let i = 0; i < 5; i++, sent++) {
        a.data(ids[1]!.address, Uint8Array.of(4, ...randomBytes(20)), 'udp');
        a.data(ids[2]!.address, Uint8Array.of(4, ...randomBytes(20)), 'tcp');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const [, udpSent] = await Promise.all([
    Promise.all(Array.from({ length: FUZZ_CONNECTIONS }, fuzzTcp)),
    fuzzUdp(),
    served,
  ]);
  // A marker after A's last packet on each way: once it is in, everything before it on that way
  // has arrived or (UDP) been lost. A lost UDP marker is sent again.
  a.data(ids[2]!.address, Uint8Array.of(5), 'tcp');
  await c.waitFor(isMarker, 10_000);
  const resend = setInterval(() => a.data(ids[1]!.address, Uint8Array.of(5), 'udp'), 100);
  a.data(ids[1]!.address, Uint8Array.of(5), 'udp');
  await b.waitFor(isMarker, 10_000).finally(() => clearInterval(resend));

  assert.ok(infos > 10, `only ${infos} INFO rounds ran`);
  // The fuzzer's datagrams share the base's socket queue with A's: on a loaded 2-core machine the
  // kernel drops some of each when the queue is full (seen: 87 % delivered with 95 % required, also
  // before any change to the base). UDP may lose; what must hold is that most get through and TCP
  // loses nothing.
  assert.ok(delivered.udpToB >= sent * 0.8, `B got ${delivered.udpToB} of ${sent} over UDP`);
  assert.equal(delivered.tcpToC, sent, 'C gets every packet over TCP');
  assert.ok(fuzzConnections > FUZZ_CONNECTIONS, `${fuzzConnections} fuzzing connections`);

  // After: everything still works and nothing of the attackers is left.
  await a.register();
  await b.natInitUntilOk();
  b.data(ids[0]!.address, new Uint8Array([4, 2]), 'udp');
  await a.waitFor((r) => r.message.kind === 'data' && r.via === 'udp');
  // The fuzzer's last connections open as it stops and close at once: the server may accept one
  // only now, and hear it close a turn of the loop later.
  await until('only the three clients are connected', () => server.status().tcpConnections === 3);
  const status = server.status();
  assert.equal(status.tcpConnections, 3);
  assert.equal(status.clients, 3);
  const drops = Object.values(status.counters.dropped).reduce((sum, n) => sum + (n ?? 0), 0);
  assert.ok(drops > udpSent / 2, `drops counted: ${JSON.stringify(status.counters.dropped)}`);
  assert.ok((status.counters.closed.malformed_frame ?? 0) > 0);
  t.diagnostic(
    `${fuzzConnections} fuzzing connections, ${udpSent} garbage datagrams; ${infos} INFO rounds and ` +
      `${sent} packets each to B and C; drops ${JSON.stringify(status.counters.dropped)}`,
  );
});
