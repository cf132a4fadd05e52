// Two base servers as one cluster on a shared PostgreSQL (started here, stopped after), and
// devices held by different bases: alpha and charlie reach only the first base, bravo and delta
// only the second (their routers drop the other, as an unreachable region would). They ping each
// other through the relay at once — base to base — go direct where their NATs allow, and when the
// first base dies its devices move to the second while their direct paths carry on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  postgresUnavailable,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../src-server/store/throwaway-postgres.js';
import type { Host, Router, Segment } from '../lab/index.js';
import {
  type BaseServer,
  directTo,
  GIVE_UP_MS,
  introduce,
  liveStatus,
  longestGap,
  peerWhere,
  ping,
  pingsReceived,
  startBase,
  startMeasuredNode,
  startNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

/** What a router does to a base the device behind it must not reach: drop, no answer at all. */
async function cutOff(router: Router, base: Host): Promise<void> {
  await router.exec(['nft', '-f', '-'], {
    input: [
      'table ip hncut {',
      '  chain forward {',
      '    type filter hook forward priority -10; policy accept;',
      `    ip daddr ${base.ip} drop`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}

const restore = (router: Router): Promise<unknown> => router.exec(['nft', 'delete', 'table', 'ip', 'hncut']);

const onBase = (base: BaseServer) => (status: { base: { state: string; server: string | null } }) =>
  status.base.state === 'connected' && status.base.server === base.server ? true : undefined;

describe('a base cluster: devices on different bases', { skip: postgresUnavailable() }, () => {
  const world = scenarioLab();
  let postgres: ThrowawayPostgres;
  let first: BaseServer;
  let second: BaseServer;
  let alpha: StartedNode;
  let bravo: StartedNode;
  let charlie: StartedNode;
  let delta: StartedNode;
  let routers: Router[];
  let inet: Segment;
  let secondHost: Host;

  before(async () => {
    const { lab, scratch } = world;
    postgres = await startThrowawayPostgres();
    inet = await lab.segment('inet');
    const firstHost = await lab.host('base1', { on: inet });
    secondHost = await lab.host('base2', { on: inet });
    const cluster = (host: Host) => ['--cluster', postgres.url, '--cluster-ip', host.ip];
    [first, second] = await Promise.all([
      startBase(firstHost, cluster(firstHost)),
      startBase(secondHost, cluster(secondHost)),
    ]);
    routers = [];
    const lans: Segment[] = [];
    for (const [i, mode] of (['cone', 'cone', 'symmetric', 'symmetric'] as const).entries()) {
      const lan = await lab.segment(`lan${i + 1}`);
      lans.push(lan);
      routers.push(await lab.router(`nat${i + 1}`, { wan: inet, lan, mode }));
    }
    // alpha and charlie reach only the first base, bravo and delta only the second.
    await Promise.all(routers.map((router, i) => cutOff(router, i % 2 === 0 ? secondHost : firstHost)));
    const options = { baseServers: [first.server, second.server] };
    const nodes = await Promise.all(
      ['alpha', 'bravo', 'charlie', 'delta'].map(async (name, i) =>
        startMeasuredNode(await lab.host(name, { on: lans[i]! }), scratch, options),
      ),
    );
    [alpha, bravo, charlie, delta] = nodes as [StartedNode, StartedNode, StartedNode, StartedNode];
    await introduce([alpha, bravo, charlie, delta]);
    await Promise.all(
      [alpha, bravo, charlie, delta].map((node, i) =>
        waitForStatus(node, onBase(i % 2 === 0 ? first : second), 15_000),
      ),
    );
  });

  after(async () => {
    await postgres?.stop();
  });

  test('cone NATs: the first pings cross the two bases, then the path goes direct', async () => {
    const pinging = ping(alpha.host, 'bravo', { count: 40 });
    await waitForStatus(alpha, directTo(bravo), 10_000);
    await waitForStatus(bravo, directTo(alpha), 5_000);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 39, output);
  });

  test('symmetric NATs on both sides: relayed base to base, and the status says so', async () => {
    const output = await ping(charlie.host, 'delta', { count: 30 });
    assert.ok(pingsReceived(output) >= 29, output);
    const report = await waitForStatus(
      charlie,
      peerWhere(delta, (p) => p.path === 'tunnelled'),
      GIVE_UP_MS,
    );
    assert.equal(report.endpoint, null);
  });

  test('a device that appears on one base later is learnt by peers on the other, and they go direct', async () => {
    // bravo asks about a device no base holds yet: a fresh alpha-like node behind the first base.
    const { lab, scratch } = world;
    const lan = await lab.segment('lan5');
    const router = await lab.router('nat5', { wan: inet, lan, mode: 'cone' });
    await cutOff(router, secondHost);
    const echo = await startNode(await lab.host('echo', { on: lan }), scratch, {
      baseServers: [first.server, second.server],
    });
    await introduce([echo, bravo]);
    await waitForStatus(echo, onBase(first), 15_000);
    const output = await ping(bravo.host, 'echo', { count: 30 });
    assert.ok(pingsReceived(output) >= 29, output);
    await waitForStatus(bravo, directTo(echo), 10_000);
  });

  test('the first base dies: its devices move to the second, and direct paths do not notice', async () => {
    await Promise.all([restore(routers[0]!), restore(routers[2]!)]);
    const count = 75;
    const intervalS = 0.2;
    const pinging = ping(alpha.host, 'bravo', { count, intervalS });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const killedAt = Date.now();
    first.process.killNow();
    await waitForStatus(alpha, onBase(second), 8_000, liveStatus(alpha));
    const movedMs = Date.now() - killedAt;
    await waitForStatus(charlie, onBase(second), 8_000);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= count - 1, output);
    assert.equal(longestGap(output, count, intervalS), 0, output);
    assert.ok(movedMs < 5_000, `alpha connected to the second base ${movedMs} ms after the first died`);
    // charlie and delta, both behind symmetric NATs, are relayed by the second base alone now.
    const relayed = await ping(charlie.host, 'delta', { count: 20 });
    assert.ok(pingsReceived(relayed) >= 19, relayed);
  });
});
