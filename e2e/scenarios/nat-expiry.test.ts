// A NAT forgets a mapping while the peers are idle: two home routers (cone NATs that only let in
// replies) whose UDP mappings last 25 s without traffic, as a stingy router's do (the base's, which
// NAT_INIT refreshes every 20 s, stay). The peers go direct, fall idle (45 s without traffic, when
// probing stops), both routers forget them, and the next ping has to find its way again: through
// the base at once, and direct again within the 25 s keepalive period.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Router } from '../lab/index.js';
import {
  directTo,
  type Home,
  internetWithHomes,
  introduce,
  liveStatus,
  peerWhere,
  ping,
  pingsReceived,
  startMeasuredNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const UDP_TIMEOUT_S = 25;
const KEEPALIVE_MS = 25_000;

/** The UDP mappings (conntrack entries) `router` holds for traffic with `other`'s public address. */
async function mappingsWith(router: Router, other: Router): Promise<string[]> {
  const { stdout } = await router.exec(['cat', '/proc/net/nf_conntrack']);
  return stdout.split('\n').filter((line) => /\budp\b/.test(line) && line.includes(`=${other.publicIp} `));
}

describe('a NAT mapping that expires while the peers are idle', () => {
  const world = scenarioLab();
  let alpha: StartedNode;
  let bravo: StartedNode;
  let routers: Router[];

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['cone', 'cone']);
    const [home1, home2] = homes as [Home, Home];
    routers = [home1.router, home2.router];
    for (const router of routers)
      await router.exec([
        'sysctl',
        '-q',
        '-w',
        `net.netfilter.nf_conntrack_udp_timeout=${UDP_TIMEOUT_S}`,
        `net.netfilter.nf_conntrack_udp_timeout_stream=${UDP_TIMEOUT_S}`,
      ]);
    const hosts = [await lab.host('alpha', { on: home1.lan }), await lab.host('bravo', { on: home2.lan })];
    // Linux sends router solicitations on a new interface forever, backing off from 4 s to an hour
    // (RFC 7559), to ff02::2, i.e. to every peer: for minutes they would keep the peers from idling.
    for (const host of hosts)
      await host.exec(['sysctl', '-q', '-w', 'net.ipv6.conf.default.router_solicitations=0']);
    const options = { baseServers: [base.server], env: { HNET_PORT_MAPPING: 'off' } };
    [alpha, bravo] = (await Promise.all(hosts.map((host) => startMeasuredNode(host, scratch, options)))) as [
      StartedNode,
      StartedNode,
    ];
    await introduce([alpha, bravo]);
    for (const node of [alpha, bravo]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('idle peers whose NATs forgot them: through the base at once, direct again within the keepalive period', async (t) => {
    assert.ok(pingsReceived(await ping(alpha.host, 'bravo', { count: 10 })) >= 9);
    await waitForStatus(alpha, directTo(bravo), 5_000);
    const [first, second] = routers as [Router, Router];
    const pairs = [
      [first, second],
      [second, first],
    ] as const;
    for (const [router, other] of pairs)
      assert.ok((await mappingsWith(router, other)).length > 0, router.name);

    for (const [node, peer] of [
      [alpha, bravo],
      [bravo, alpha],
    ] as const)
      await waitForStatus(
        node,
        peerWhere(peer, (p) => p.path === 'idle'),
        60_000,
      );
    await new Promise((resolve) => setTimeout(resolve, (UDP_TIMEOUT_S + 2) * 1000));
    for (const [router, other] of pairs)
      assert.deepEqual(await mappingsWith(router, other), [], `${router.name} forgot the peer`);

    const count = 30;
    const pinging = ping(alpha.host, 'bravo', { count, intervalS: 0.2 });
    const started = Date.now();
    await Promise.all([
      waitForStatus(alpha, directTo(bravo), KEEPALIVE_MS, liveStatus(alpha)),
      waitForStatus(bravo, directTo(alpha), KEEPALIVE_MS, liveStatus(bravo)),
    ]);
    const tookMs = Date.now() - started;
    const output = await pinging;
    // The first ping wakes the peer and goes through the base: none is lost while the path is found.
    assert.ok(pingsReceived(output) >= count - 1, output);
    t.diagnostic(`direct again after ${tookMs} ms; ${pingsReceived(output)} of ${count} pings answered`);
    assert.ok(tookMs <= KEEPALIVE_MS, `direct again after ${tookMs} ms`);
  });
});
