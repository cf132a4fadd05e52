// Two peers behind the same home router that cannot reach each other on the LAN (a guest network
// or client isolation drops what goes from one to the other), so only their public endpoints are
// left: the port the router shows the base for each. Whether that works is the router's hairpin
// NAT: off, what one sends to the other's public endpoint ends at the router and traffic stays
// with the base, saying why; on, the router turns it round to the other host and they go direct.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Host, Router } from '../lab/index.js';
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

/** A port each, so the router's cone NAT keeps each host's as its public port. */
const PORTS = [5582, 5583] as const;

/** Drops what comes straight from `other` (IPv4 from its address, and any IPv6 but the overlay's). */
async function isolate(host: Host, other: Host): Promise<void> {
  await host.exec(['nft', '-f', '-'], {
    input: [
      'table inet isolation {',
      '  chain input {',
      '    type filter hook input priority filter; policy accept;',
      `    ip saddr ${other.ip} drop`,
      '    iifname != { "hnet0", "lo" } meta nfproto ipv6 drop',
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}

/**
 * Hairpin NAT as home routers do it: what the LAN sends to the router's public address is forwarded
 * as if it came from the Internet, from the router's public address.
 */
async function hairpin(router: Router, to: readonly [Host, number][]): Promise<void> {
  await router.exec(['nft', '-f', '-'], {
    input: [
      'table ip hairpin {',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      ...to.map(
        ([host, port]) =>
          `    iifname "lan" ip daddr ${router.publicIp} udp dport ${port} dnat to ${host.ip}:${port}`,
      ),
      '  }',
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    oifname "lan" ct status dnat ip saddr ${router.lanSubnet} snat to ${router.publicIp}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}

describe('two peers behind one router, through their public endpoints', () => {
  const world = scenarioLab();
  // alpha and bravo behind a router without hairpin NAT, charlie and delta behind one with it (from
  // the start: a flow the router once took for itself stays its own while packets keep coming).
  let alpha: StartedNode;
  let bravo: StartedNode;
  let charlie: StartedNode;
  let delta: StartedNode;
  let withHairpin: Router;

  /** Two hosts on `home`'s LAN that cannot reach each other there, and their nodes. */
  async function isolatedPair(
    home: Home,
    names: readonly [string, string],
    baseServer: string,
    hairpinOn: boolean,
  ): Promise<[StartedNode, StartedNode]> {
    const { lab, scratch } = world;
    const hosts = [
      await lab.host(names[0], { on: home.lan }),
      await lab.host(names[1], { on: home.lan }),
    ] as const;
    await isolate(hosts[0], hosts[1]);
    await isolate(hosts[1], hosts[0]);
    if (hairpinOn)
      await hairpin(home.router, [
        [hosts[0], PORTS[0]],
        [hosts[1], PORTS[1]],
      ]);
    const options = (port: number) => ({
      baseServers: [baseServer],
      env: { HNET_UDP_PORT: String(port), HNET_PORT_MAPPING: 'off' },
    });
    return Promise.all([
      startMeasuredNode(hosts[0], scratch, options(PORTS[0])),
      startMeasuredNode(hosts[1], scratch, options(PORTS[1])),
    ]);
  }

  before(async () => {
    const { base, homes } = await internetWithHomes(world.lab, ['cone', 'cone']);
    const [plain, hairpinning] = homes as [Home, Home];
    withHairpin = hairpinning.router;
    [[alpha, bravo], [charlie, delta]] = await Promise.all([
      isolatedPair(plain, ['alpha', 'bravo'], base.server, false),
      isolatedPair(hairpinning, ['charlie', 'delta'], base.server, true),
    ]);
    await Promise.all([introduce([alpha, bravo]), introduce([charlie, delta])]);
    for (const node of [alpha, bravo, charlie, delta]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('hairpin off: the public endpoint ends at the router, traffic stays with the base, saying why', async () => {
    const pinging = ping(alpha.host, 'bravo', { count: 90 });
    for (const [node, peer] of [
      [alpha, bravo],
      [bravo, alpha],
    ] as const) {
      const report = await waitForStatus(
        node,
        peerWhere(peer, (p) => p.path === 'tunnelled'),
        16_000,
      );
      assert.match(report.reason, /^no answer from any of \d candidates? — /);
    }
    assert.ok(pingsReceived(await pinging) >= 85);
  });

  test('hairpin on: direct through the public endpoints', async () => {
    const pinging = ping(charlie.host, 'delta', { count: 30 });
    const publicEndpoint = new RegExp(`^${withHairpin.publicIp.replaceAll('.', '\\.')}:\\d+$`);
    for (const [node, peer] of [
      [charlie, delta],
      [delta, charlie],
    ] as const) {
      const report = await waitForStatus(node, directTo(peer), 5_000, liveStatus(node));
      assert.match(report.endpoint ?? '', publicEndpoint);
      assert.match(report.reason, /^direct via .* \(public\)$/);
    }
    assert.ok(pingsReceived(await pinging) >= 29);
  });
});
