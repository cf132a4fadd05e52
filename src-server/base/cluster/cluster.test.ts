// Two base servers on loopback sharing a throwaway PostgreSQL: devices on different bases find
// and reach each other, and nobody outside the cluster can speak for it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { encodeFrame } from '../../../src-protocol/base-messages.js';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { generateIdentity, type Identity } from '../../../src-protocol/identity.js';
import {
  postgresUnavailable,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../store/throwaway-postgres.js';
import type { BaseServer } from '../base-server.js';
import type { BaseClient, Received } from '../test-client.js';
import { loopbackBases, until } from '../test-loopback.js';
import { sealCluster } from './cluster-wire.js';

const skip = postgresUnavailable();
const { startServer, client, closeAll } = loopbackBases();
let postgres: ThrowawayPostgres | undefined;
let ids: Identity[] = [];

/** The registry of the last two bases twoBases started. */
let database = '';

/** Two bases of one cluster that each see the other alive, optionally reachable only over TCP. */
async function twoBases(options: { secondClusterIp?: string } = {}): Promise<[BaseServer, BaseServer]> {
  database = await postgres!.freshDatabase();
  const first = await startServer({}, { cluster: { database, ip: undefined } });
  const second = await startServer(
    {},
    {
      tcp: [{ ip: '0.0.0.0', port: 0 }],
      cluster: { database, ip: options.secondClusterIp },
    },
  );
  await until('each base sees the other', () =>
    [first, second].every((base) => base.status().cluster?.bases.length === 1),
  );
  if (!options.secondClusterIp)
    await until('each base hears the other over UDP', () =>
      [first, second].every((base) => base.status().cluster?.bases[0]?.udpAnswering === true),
    );
  return [first, second];
}

async function registered(server: BaseServer, identity: Identity, localIp?: string): Promise<BaseClient> {
  const c = await client(server, identity, localIp);
  await c.register([{ ip: '192.0.2.10', port: 5582 }]);
  await c.natInitUntilOk();
  return c;
}

const isData = (r: Received) => r.message.kind === 'data';
const dropped = (server: BaseServer, reason: string) =>
  (server.status().counters.dropped as Record<string, number | undefined>)[reason] ?? 0;

before(async () => {
  if (skip) return;
  await initCrypto();
  ids = Array.from({ length: 4 }, () => generateIdentity());
  postgres = await startThrowawayPostgres();
});

after(async () => {
  await closeAll();
  await postgres?.stop();
});

describe('a base cluster on PostgreSQL', { skip }, () => {
  test('a device on the other base: REQUEST_INFO is answered and DATA is relayed base to base', async () => {
    const [first, second] = await twoBases();
    const a = await registered(first, ids[0]!);
    const b = await registered(second, ids[1]!);
    await until('the first base knows where b is', () => (first.status().cluster?.remoteDevices ?? 0) >= 1);
    a.requestInfo(ids[1]!.address);
    const addresses = await a.waitFor((r) => r.message.kind === 'deviceAddresses');
    assert.ok(addresses.message.kind === 'deviceAddresses');
    assert.deepEqual(addresses.message.id, ids[1]!.address);
    assert.ok(
      addresses.message.endpoints.some((e) => e.ip === '192.0.2.10'),
      'the endpoints b announced on its own base',
    );

    a.data(ids[1]!.address, new Uint8Array([0, 1, 2, 3]), 'udp');
    const atB = await b.waitFor(isData);
    assert.deepEqual(atB.message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([0, 1, 2, 3]),
    });
    b.data(ids[0]!.address, new Uint8Array([0, 4]), 'tcp');
    const atA = await a.waitFor(isData);
    assert.deepEqual(atA.message, { kind: 'data', source: ids[1]!.address, packet: new Uint8Array([0, 4]) });
    assert.equal(first.status().counters.relayedPackets.cluster_udp, 1);
    assert.equal(second.status().counters.relayedPackets.cluster_udp, 1);
  });

  test('late endpoints: who asked on one base hears when the device appears on the other', async () => {
    const [first, second] = await twoBases();
    const a = await registered(first, ids[0]!);
    a.requestInfo(ids[2]!.address);
    const c = await client(second, ids[2]!);
    await c.register([{ ip: '192.0.2.33', port: 5582 }]);
    const pushed = await a.waitFor((r) => r.message.kind === 'deviceAddresses');
    assert.ok(pushed.message.kind === 'deviceAddresses');
    assert.deepEqual(pushed.message.id, ids[2]!.address);
    assert.deepEqual(pushed.message.endpoints, [{ ip: '192.0.2.33', port: 5582 }]);
  });

  test('when UDP between the bases does not get through, DATA goes over their TCP link', async () => {
    // The second base says the others reach it at 127.0.0.2, where only its TCP listener answers.
    const [first, second] = await twoBases({ secondClusterIp: '127.0.0.2' });
    await until('the TCP links are up', () =>
      [first, second].every((base) => base.status().cluster?.bases[0]?.tcpLinked === true),
    );
    const a = await registered(first, ids[0]!);
    const b = await registered(second, ids[1]!);
    await until('the first base knows where b is', () => (first.status().cluster?.remoteDevices ?? 0) >= 1);
    a.data(ids[1]!.address, new Uint8Array([0, 5]), 'udp');
    assert.deepEqual((await b.waitFor(isData)).message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([0, 5]),
    });
    assert.equal(first.status().counters.relayedPackets.cluster_tcp, 1);
    assert.equal(first.status().cluster?.bases[0]?.udpAnswering, false);
  });

  test('a device that moves to the other base is reached there, and its old connection is closed', async () => {
    const [first, second] = await twoBases();
    const a = await registered(first, ids[0]!);
    const stale = await registered(second, ids[1]!);
    const moved = await registered(first, ids[1]!, '127.0.0.3');
    await stale.tcpClosed();
    assert.equal(second.status().counters.closed.moved, 1);
    a.data(ids[1]!.address, new Uint8Array([0, 6]), 'udp');
    assert.deepEqual((await moved.waitFor(isData)).message.kind, 'data');
    assert.equal(first.status().counters.relayedPackets.udp, 1, 'b is on the first base now: no detour');
  });

  test('a stranger cannot inject: not from a base address, not with another key, not over TCP', async () => {
    const [first, second] = await twoBases();
    const b = await registered(second, ids[1]!);
    await registered(first, ids[0]!);
    const secondId = Buffer.from(second.status().cluster!.id, 'hex');
    const data = new Uint8Array([1, ...ids[0]!.address, ...ids[1]!.address, 0, 9]);

    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const forged = sealCluster(randomBytes(32), 'data', secondId, 1n, data);
    socket.send(forged, second.udpAddresses[0]!.port, '127.0.0.1');
    await until('the UDP forgery is counted', () => dropped(second, 'cluster_stranger') >= 1);
    socket.close();

    const tcp = connect(second.tcpAddresses[0]!.port, '127.0.0.1');
    const hello = await new Promise<Buffer>((resolve) => tcp.once('data', resolve));
    const cookie = hello.subarray(6, 22);
    const firstId = Buffer.from(first.status().cluster!.id, 'hex');
    const frame = (packet: Uint8Array) => {
      const framed = encodeFrame(packet);
      assert.ok(framed.ok);
      return framed.value;
    };
    tcp.write(frame(sealCluster(randomBytes(32), 'hello', firstId, 1n << 40n, cookie)));
    tcp.write(frame(sealCluster(randomBytes(32), 'data', firstId, (1n << 40n) + 1n, data)));
    await until('the TCP forgeries are counted', () => dropped(second, 'cluster_bad_tag') >= 2);
    tcp.destroy();
    assert.equal(b.holds(isData), false, 'nothing forged reached the device');
  });

  test('the database away: relaying goes on with what the bases know, and what changed meanwhile arrives once it is back', async () => {
    const [first, second] = await twoBases();
    const a = await registered(first, ids[0]!);
    const b = await registered(second, ids[1]!);
    await until('the first base knows where b is', () => (first.status().cluster?.remoteDevices ?? 0) >= 1);
    let late: BaseClient | undefined;
    await postgres!.pause();
    try {
      await until('the outage is seen', () => first.status().cluster?.database === 'unreachable', 10_000);
      a.data(ids[1]!.address, new Uint8Array([0, 8]), 'udp');
      assert.deepEqual((await b.waitFor(isData)).message, {
        kind: 'data',
        source: ids[0]!.address,
        packet: new Uint8Array([0, 8]),
      });
      // A device that connects meanwhile is written down once the database is back.
      late = await registered(second, ids[2]!);
    } finally {
      await postgres!.resume();
    }
    await until(
      'the first base learns of the late device',
      () => (first.status().cluster?.remoteDevices ?? 0) >= 2,
      20_000,
    );
    await until(
      'the next heartbeat reaches the database',
      () => first.status().cluster?.database === 'reachable',
    );
    a.data(ids[2]!.address, new Uint8Array([0, 9]), 'udp');
    assert.deepEqual((await late.waitFor(isData)).message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([0, 9]),
    });
  });

  test('a base the registry took for gone comes back with every device it holds', async () => {
    const [first, second] = await twoBases();
    const a = await registered(first, ids[0]!);
    const b = await registered(second, ids[1]!);
    await until('the first base knows where b is', () => (first.status().cluster?.remoteDevices ?? 0) >= 1);
    // What another base's cleanup does to a base silent for an hour: its row and its devices go.
    // Told at once (NOTIFY), the first base forgets it before the second's next heartbeat finds it
    // gone; should that heartbeat come first, the removal is simply made again.
    const admin = new pg.Client({ connectionString: database });
    await admin.connect();
    try {
      const gone = second.status().cluster!.id;
      for (let tries = 1; ; tries++) {
        await admin.query('DELETE FROM hnet_cluster_devices WHERE base_id = $1', [gone]);
        await admin.query('DELETE FROM hnet_cluster_bases WHERE base_id = $1', [gone]);
        await admin.query("SELECT pg_notify('hnet_cluster_bases', 'cleanup')");
        const forgotten = await until(
          'the first base forgets the second',
          () => first.status().cluster?.bases.length === 0,
          1_000,
        ).then(
          () => true,
          () => false,
        );
        if (forgotten) break;
        assert.ok(tries < 5, 'the first base never took the second for gone');
      }
      assert.equal(first.status().cluster?.remoteDevices, 0);
    } finally {
      await admin.end();
    }
    await until('the second base is back in the registry', () => first.status().cluster?.bases.length === 1);
    await until(
      'the first base knows where b is again',
      () => (first.status().cluster?.remoteDevices ?? 0) >= 1,
    );
    // The link to a base taken back in starts afresh: until it answers, relayed data has no way
    // there (dropped as cluster_unreachable, as before any link is up), and this test sends one packet.
    await until(
      'the first base hears the second over UDP again',
      () => first.status().cluster?.bases[0]?.udpAnswering === true,
    );
    a.data(ids[1]!.address, new Uint8Array([0, 10]), 'udp');
    assert.deepEqual((await b.waitFor(isData)).message, {
      kind: 'data',
      source: ids[0]!.address,
      packet: new Uint8Array([0, 10]),
    });
  });
});
