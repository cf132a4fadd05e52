// Asking hnet why, and switching it off, as a user would at the command line: two homes behind cone
// NATs and one behind a symmetric NAT, with a base server on "the Internet".
// - `hnet netcheck` measures the base over UDP and TCP and tells the two NATs apart;
// - `hnet ping` says which path each reply took: direct, then through the base once the direct
//   path is cut, with a note where it changed;
// - `hnet down` removes hnet0 and stops all traffic until `hnet up`, across a restart too.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetcheckReport, PingResult } from '../../src-main/contract/diagnostics.js';
import type { Host, Router, Segment } from '../lab/index.js';
import {
  type BaseServer,
  directTo,
  type HnetNode,
  type Home,
  internetWithHomes,
  introduce,
  ping,
  pingsReceived,
  startNode,
  stopNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const escaped = (ip: string): string => ip.replaceAll('.', '\\.');

async function hasHnet0(host: Host): Promise<boolean> {
  return (await host.exec(['ip', 'link', 'show', 'hnet0'], { allowFailure: true })).code === 0;
}

describe('hnet ping, netcheck, down and up in the lab', () => {
  const world = scenarioLab();
  let inet: Segment;
  let natA: Router;
  let natB: Router;
  let base: BaseServer;
  let a: HnetNode;
  let b: HnetNode;
  let c: HnetNode;
  let hostA: Host;

  before(async () => {
    const { lab, scratch } = world;
    const internet = await internetWithHomes(lab, ['cone', 'cone', 'symmetric']);
    ({ inet, base } = internet);
    const [homeA, homeB, homeC] = internet.homes as [Home, Home, Home];
    [natA, natB] = [homeA.router, homeB.router];
    hostA = await lab.host('alpha', { on: homeA.lan });
    const options = { baseServers: [base.server] };
    [a, b, c] = await Promise.all([
      startNode(hostA, scratch, options),
      startNode(await lab.host('bravo', { on: homeB.lan }), scratch, options),
      startNode(await lab.host('charlie', { on: homeC.lan }), scratch, options),
    ]);
    await introduce([a, b, c]);
    for (const node of [a, b, c]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('netcheck behind a cone NAT: the base answers over UDP and TCP, the mapping is endpoint-independent', async () => {
    const report = JSON.parse(await a.hnet(['netcheck', '--json'])) as NetcheckReport;
    const [check] = report.bases;
    assert.equal(check?.server, base.server);
    assert.ok(typeof check?.tcp.latencyMs === 'number', JSON.stringify(check));
    assert.ok(typeof check?.udp.latencyMs === 'number', JSON.stringify(check));
    assert.match(check?.udp.observed ?? '', new RegExp(`^${escaped(natA.publicIp)}:\\d+$`));
    assert.equal(report.mapping.behaviour, 'endpoint-independent', JSON.stringify(report.mapping));
    assert.equal(report.mapping.observed.length, 2, 'seen through two base ports');
    // Routers without a port-mapping daemon: nothing maps, and netcheck says why.
    assert.notEqual(report.portMapping.state, 'mapped', JSON.stringify(report.portMapping));
    assert.match(report.lan.reason, /beacons go out on/);
    const shown = await a.hnet(['netcheck']);
    assert.match(shown, /^ {2}UDP {2}reachable at .*, [\d.]+ ms; sees this machine as /m);
    assert.match(shown, /^NAT mapping: endpoint-independent — /m);
    assert.match(
      shown,
      /^port mapping: (not mapped: no router answered PCP, NAT-PMP or UPnP|asking the router for a port mapping)$/m,
    );
  });

  test('netcheck behind a symmetric NAT: each base port saw another public port', async () => {
    const report = JSON.parse(await c.hnet(['netcheck', '--json'])) as NetcheckReport;
    assert.equal(report.mapping.behaviour, 'endpoint-dependent', JSON.stringify(report.mapping));
    const [first, second] = report.mapping.observed;
    assert.notEqual(first?.endpoint, second?.endpoint);
  });

  test('hnet ping says direct via the other NAT, then via the base when the direct path is cut', async () => {
    // Pinging is traffic: the peer wakes up and goes direct.
    await a.hnet(['ping', 'bravo', '--count', '2']);
    await waitForStatus(a, directTo(b), 8_000);
    const direct = await a.hnet(['ping', 'bravo', '--count', '2', '--interval', '0.5']);
    assert.match(
      direct,
      new RegExp(`^reply from bravo: seq=1 time=[\\d.]+ ms, direct via ${escaped(natB.publicIp)}:\\d+`, 'm'),
    );

    const pinging = a.hnet([
      'ping',
      'bravo',
      '--count',
      '16',
      '--interval',
      '0.5',
      '--timeout',
      '1',
      '--json',
    ]);
    await sleep(1_500);
    const cut = await inet.cut(natA.publicIp, natB.publicIp);
    try {
      const results = (await pinging)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as PingResult & { seq: number });
      const firstBase = results.findIndex((r) => r.sent?.kind === 'base' && r.rttMs !== null);
      assert.ok(firstBase > 0, `a reply via the base after the cut:\n${JSON.stringify(results, null, 1)}`);
      assert.equal(results[0]?.sent?.kind, 'direct');
      assert.notEqual(results[0]?.rttMs, null);
      const viaBase = results[firstBase]!.sent;
      assert.deepEqual(viaBase, { kind: 'base', server: base.server, transport: 'udp' });
    } finally {
      await cut.heal();
    }
  });

  test('the human output of a path change carries a note', async () => {
    await waitForStatus(a, directTo(b), 8_000);
    // The path the status names must also answer (the test before cut and healed it): one reply
    // direct before the run that is cut.
    const deadline = Date.now() + 8_000;
    const answer = () => a.hnet(['ping', 'bravo', '--count', '1', '--timeout', '1']).catch(() => 'no reply');
    while (!/, direct via /.test(await answer()))
      assert.ok(Date.now() < deadline, 'bravo answers directly again');
    const pinging = a.hnet(['ping', 'bravo', '--count', '12', '--interval', '0.5', '--timeout', '1']);
    await sleep(1_200);
    const cut = await inet.cut(natA.publicIp, natB.publicIp);
    let output: string;
    try {
      output = await pinging;
    } finally {
      await cut.heal();
    }
    const change = output.search(/^ {2}path changed: now via the base .* over UDP \(was direct via /m);
    assert.ok(change > 0, output);
    assert.ok(output.slice(0, change).includes(', direct via '), output);
    assert.match(output.slice(change), /^reply from bravo: .*, via the base /m);
    assert.match(
      output,
      /^--- bravo \(fc94:.*\): 12 pings sent, \d+ replies, \d+% lost; rtt min\/median\/max /m,
    );
  });

  test('down removes hnet0 and stops traffic both ways; it outlives a restart; up brings pings back', async () => {
    await waitForStatus(a, directTo(b), 8_000);
    assert.match(await a.hnet(['down']), /^hnet is down/);
    assert.equal(await hasHnet0(hostA), false, 'hnet0 is gone');
    const status = await a.status();
    assert.equal(status.connection, 'down');
    assert.equal(status.base.state, 'offline');
    assert.deepEqual(status.peers, []);
    assert.equal(pingsReceived(await ping(b.host, a.address, { count: 3 })), 0, 'nothing answers from alpha');

    await stopNode(a);
    a = await startNode(hostA, world.scratch, { baseServers: [base.server] });
    assert.equal((await a.status()).connection, 'down', 'down is kept');
    await sleep(1_000);
    assert.equal(await hasHnet0(hostA), false, 'no hnet0 after the restart either');

    assert.match(await a.hnet(['up']), /^hnet is up/);
    await waitForStatus(a, (s) => (s.base.state === 'connected' ? true : undefined), 10_000);
    assert.equal(await hasHnet0(hostA), true);
    assert.ok(pingsReceived(await ping(a.host, b.address, { count: 5 })) >= 4, 'pings flow again');
  });
});
