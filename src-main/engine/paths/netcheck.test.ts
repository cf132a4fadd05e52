// `hnet netcheck` against a real base server on loopback, and how what the base ports saw is judged.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '../../../src-protocol/crypto.js';
import { formatEndpoint } from '../../../src-protocol/endpoint.js';
import { loopbackBases } from '../../../src-server/base/test-loopback.js';
import { judgeMapping, runNetcheck, type NetcheckInputs, type Observation } from './netcheck.js';

const { startServer, closeAll } = loopbackBases();
const noLan: NetcheckInputs['lan'] = { connected: true, beaconing: false, interfaces: [], heard: [] };

before(initCrypto);
after(closeAll);

const seen = (destination: string, ip: string, port: number, localPort = 40000): Observation => ({
  destination,
  observed: { ip, port },
  localPort,
  family: 'udp4',
});

describe('judging NAT mapping from what base ports saw', () => {
  const elsewhere = new Set<string>();
  test('the same public port at two destinations: endpoint-independent', () => {
    const mapping = judgeMapping(
      [seen('192.0.2.1:5582', '203.0.113.5', 61000), seen('192.0.2.1:40001', '203.0.113.5', 61000)],
      true,
      elsewhere,
    );
    assert.equal(mapping.behaviour, 'endpoint-independent');
    assert.match(mapping.reason, /203\.0\.113\.5:61000/);
    assert.equal(mapping.observed.length, 2);
  });

  test('another port per destination: endpoint-dependent, and the reason says what that means', () => {
    const mapping = judgeMapping(
      [seen('192.0.2.1:5582', '203.0.113.5', 61000), seen('192.0.2.1:40001', '203.0.113.5', 61017)],
      true,
      elsewhere,
    );
    assert.equal(mapping.behaviour, 'endpoint-dependent');
    assert.match(mapping.reason, /symmetric NAT/);
  });

  test('our own address and port: no NAT; one answer only: unknown, with the reason', () => {
    assert.equal(
      judgeMapping([seen('192.0.2.1:5582', '198.51.100.7', 40000)], true, new Set(['198.51.100.7']))
        .behaviour,
      'none',
    );
    const one = judgeMapping([seen('192.0.2.1:5582', '203.0.113.5', 61000)], true, elsewhere);
    assert.equal(one.behaviour, 'unknown');
    assert.match(one.reason, /only one base port answered/);
    assert.match(judgeMapping([], false, elsewhere).reason, /no base server is configured/);
  });
});

describe('netcheck against a base server on loopback', () => {
  test('TCP and UDP answer with their latency, and two base ports see one socket the same', async () => {
    const server = await startServer();
    const tcp = formatEndpoint(server.tcpAddresses[0]!);
    const result = await runNetcheck({
      servers: [tcp],
      known: { server: tcp, udp: [server.udpAddresses[0]!] },
      lan: noLan,
    });
    const [base] = result.bases;
    assert.equal(base?.server, tcp);
    assert.equal(base?.tcp.error, null);
    assert.ok(typeof base?.tcp.latencyMs === 'number' && base.tcp.latencyMs >= 0);
    assert.equal(base?.udp.error, null);
    assert.ok(typeof base?.udp.latencyMs === 'number' && base.udp.latencyMs >= 0);
    assert.equal(base?.udp.endpoint, formatEndpoint(server.udpAddresses[0]!));
    assert.match(base?.udp.observed ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      result.mapping.observed.map((o) => o.destination),
      [formatEndpoint(server.udpAddresses[0]!), formatEndpoint(server.netcheckAddress!)],
    );
    // On loopback the base sees this machine's own address and port.
    assert.equal(result.mapping.behaviour, 'none');
    assert.equal(result.portMapping.state, 'off');
  });

  test('a base without the second port: UDP works, one port saw the socket', async () => {
    const server = await startServer({}, { netcheckUdp: null });
    const tcp = formatEndpoint(server.tcpAddresses[0]!);
    const result = await runNetcheck({
      servers: [tcp],
      known: { server: tcp, udp: server.udpAddresses },
      lan: noLan,
    });
    assert.notEqual(result.bases[0]?.udp.latencyMs, null);
    assert.deepEqual(
      result.mapping.observed.map((o) => o.destination),
      [formatEndpoint(server.udpAddresses[0]!)],
    );
  });

  test('nothing answering: each transport says why, nothing hangs', async () => {
    // A port that was free a moment ago: TCP is refused, UDP probes go unanswered.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const server = `127.0.0.1:${port}`;
    const result = await runNetcheck({
      servers: [server],
      known: { server, udp: [{ ip: '127.0.0.1', port }] },
      lan: { connected: false, beaconing: false, interfaces: [], heard: [] },
    });
    assert.match(result.bases[0]?.tcp.error ?? '', /ECONNREFUSED/);
    assert.equal(result.bases[0]?.udp.latencyMs, null);
    assert.match(result.bases[0]?.udp.error ?? '', /no answer|ECONNREFUSED/);
    assert.equal(result.mapping.behaviour, 'unknown');
    assert.match(result.lan.reason, /hnet is down/);
  });
});
