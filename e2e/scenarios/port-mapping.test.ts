// Port mapping in the engine, against miniupnpd in the lab's routers, every router a symmetric NAT
// (a new public port per destination, so hole punching alone never works between two of them):
// - alpha's router answers only PCP, charlie's only NAT-PMP, delta's only UPnP IGD: each engine
//   maps its UDP port, tells the base, and any two of them go direct;
// - echo's router answers nothing: echo carries on without a mapping and says why; golf, a stock
//   peer behind it, reaches alpha over alpha's mapped endpoint, which it learnt from the base;
// - foxtrot's router would map, but foxtrot has port mapping off: it asks nothing, and with echo
//   (nobody mapped) traffic stays with the base, as it did before there was a port mapper;
// - alpha's router restarts mid-session: alpha maps again and the traffic keeps flowing.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { PortMappingStatus } from '../../src-main/contract/status.js';
import type { Router } from '../lab/index.js';
import {
  directTo,
  GIVE_UP_MS,
  type Home,
  internetWithHomes,
  introduce,
  liveStatus,
  longestGap,
  peerWhere,
  ping,
  pingsReceived,
  startMeasuredNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const escaped = (text: string): string => text.replace(/[.[\]]/g, '\\$&');

/** The node's mapping once it is `state`. */
const mappingIs = (node: StartedNode, state: PortMappingStatus['state'], timeoutMs = 20_000) =>
  waitForStatus(node, (s) => (s.portMapping?.state === state ? s.portMapping : undefined), timeoutMs);

describe('port mapping with real routers (miniupnpd) in front of symmetric NATs', () => {
  const world = scenarioLab();
  let alpha: StartedNode;
  let charlie: StartedNode;
  let delta: StartedNode;
  let echo: StartedNode;
  let foxtrot: StartedNode;
  let golf: StartedNode;
  let routerOf: Map<StartedNode, Router>;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, [
      'symmetric',
      'symmetric',
      'symmetric',
      'symmetric',
      'symmetric',
    ]);
    const [pcp, natPmp, upnp, silent, unused] = homes as [Home, Home, Home, Home, Home];
    await Promise.all([
      // Short leases: renewed every 5 s, so a restart is noticed within seconds.
      pcp.router.startPortMapping({ pcp: true, maxLeaseSeconds: 10 }),
      natPmp.router.startPortMapping({ natPmp: true }),
      upnp.router.startPortMapping({ upnp: true }),
      unused.router.startPortMapping({ pcp: true, natPmp: true, upnp: true }),
    ]);
    const options = { baseServers: [base.server] };
    [alpha, charlie, delta, echo, foxtrot, golf] = await Promise.all([
      startMeasuredNode(await lab.host('alpha', { on: pcp.lan }), scratch, options),
      startMeasuredNode(await lab.host('charlie', { on: natPmp.lan }), scratch, options),
      startMeasuredNode(await lab.host('delta', { on: upnp.lan }), scratch, options),
      startMeasuredNode(await lab.host('echo', { on: silent.lan }), scratch, options),
      startMeasuredNode(await lab.host('foxtrot', { on: unused.lan }), scratch, {
        ...options,
        env: { HNET_PORT_MAPPING: 'off' },
      }),
      startMeasuredNode(await lab.host('golf', { on: silent.lan }), scratch, {
        ...options,
        daemonScript: 'e2e/scenarios/stock-peer-daemon.ts',
      }),
    ]);
    routerOf = new Map([
      [alpha, pcp.router],
      [charlie, natPmp.router],
      [delta, upnp.router],
      [foxtrot, unused.router],
    ]);
    await introduce([alpha, charlie, delta, echo, foxtrot, golf]);
    for (const node of [alpha, charlie, delta, echo, foxtrot, golf])
      await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('each router maps the engine its protocol: status and netcheck show protocol, external endpoint and lease', async () => {
    for (const [node, protocol, name] of [
      [alpha, 'pcp', 'PCP'],
      [charlie, 'nat-pmp', 'NAT-PMP'],
      [delta, 'upnp', 'UPnP'],
    ] as const) {
      const router = routerOf.get(node)!;
      const mapping = await mappingIs(node, 'mapped');
      assert.equal(mapping.protocol, protocol, JSON.stringify(mapping));
      assert.equal(mapping.gateway, router.lanIp);
      assert.ok(Date.parse(mapping.expires ?? '') > Date.now(), `a lease end ahead: ${mapping.expires}`);
      assert.match(mapping.external ?? '', new RegExp(`^${escaped(router.publicIp)}:\\d+$`));
      assert.equal((await router.portForwards()).length, 1, `${router.name} forwards one port`);
      // miniupnpd grants UPnP leases too: every protocol shows the time left.
      const line = `mapped by ${name} on ${escaped(router.lanIp)}: ${escaped(mapping.external!)}, \\d+[hms]\\d*m? left`;
      assert.match(await node.hnet(['status']), new RegExp(`^port map +${line}$`, 'm'));
      assert.match(await node.hnet(['netcheck']), new RegExp(`^port mapping: ${line}$`, 'm'));
    }
  });

  test('both behind symmetric NATs whose routers map ports (PCP and NAT-PMP): direct within 5 s of starting', async (t) => {
    await mappingIs(charlie, 'mapped');
    // From nothing: down deletes alpha's mapping, up maps anew, tells the base, and finds charlie.
    await alpha.hnet(['down']);
    assert.deepEqual(await routerOf.get(alpha)!.portForwards(), [], 'the mapping is deleted on the way down');
    await alpha.hnet(['up']);
    const started = Date.now();
    const pinging = ping(alpha.host, 'charlie', { count: 40 });
    const [fromAlpha, fromCharlie] = await Promise.all([
      waitForStatus(alpha, directTo(charlie), 5_000, liveStatus(alpha)),
      waitForStatus(charlie, directTo(alpha), 5_000, liveStatus(charlie)),
    ]);
    const tookMs = Date.now() - started;
    t.diagnostic(`direct both ways ${tookMs} ms after "hnet up"`);
    assert.ok(tookMs <= 5_000, `direct after ${tookMs} ms`);
    const [routerA, routerC] = [routerOf.get(alpha)!, routerOf.get(charlie)!];
    assert.match(fromAlpha.endpoint ?? '', new RegExp(`^${escaped(routerC.publicIp)}:\\d+$`));
    assert.match(fromCharlie.endpoint ?? '', new RegExp(`^${escaped(routerA.publicIp)}:\\d+$`));
    assert.equal(
      fromAlpha.reason,
      `direct via ${fromAlpha.endpoint} (port mapped by PCP on ${routerA.lanIp})`,
    );
    assert.equal(
      fromCharlie.reason,
      `direct via ${fromCharlie.endpoint} (port mapped by NAT-PMP on ${routerC.lanIp})`,
    );
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 35, output);
  });

  test('a router with only NAT-PMP and one with only UPnP: direct too', async () => {
    const pinging = ping(charlie.host, 'delta', { count: 30 });
    const fromDelta = await waitForStatus(delta, directTo(charlie), 5_000, liveStatus(delta));
    assert.match(
      fromDelta.reason,
      new RegExp(`\\(port mapped by UPnP on ${escaped(routerOf.get(delta)!.lanIp)}\\)$`),
    );
    const fromCharlie = await waitForStatus(charlie, directTo(delta), 5_000, liveStatus(charlie));
    assert.match(fromCharlie.reason, /\(port mapped by NAT-PMP on /);
    assert.ok(pingsReceived(await pinging) >= 29);
  });

  test('a router that answers nothing: the engine carries on without a mapping, saying why', async () => {
    const mapping = await mappingIs(echo, 'unmapped');
    assert.equal(mapping.reason, 'no router answered PCP, NAT-PMP or UPnP');
    assert.match(
      await echo.hnet(['status']),
      /^port map +not mapped: no router answered PCP, NAT-PMP or UPnP$/m,
    );
    // A peer whose router maps is still reached directly: its mapping lets echo's probes in.
    const pinging = ping(echo.host, 'alpha', { count: 30 });
    const fromEcho = await waitForStatus(echo, directTo(alpha), 5_000, liveStatus(echo));
    assert.match(fromEcho.reason, /^direct via .* \(public\)$/);
    assert.ok(pingsReceived(await pinging) >= 29);
  });

  test('a stock peer learns the mapped endpoint from the base and goes direct over it', async () => {
    const mapping = await mappingIs(alpha, 'mapped');
    const pinging = ping(golf.host, 'alpha', { count: 30 });
    const fromGolf = await waitForStatus(golf, directTo(alpha), 5_000, liveStatus(golf));
    assert.equal(fromGolf.endpoint, mapping.external);
    assert.ok(pingsReceived(await pinging) >= 29);
  });

  test('port mapping off in the config: nothing asked of the router, and relayed as before', async () => {
    const mapping = await mappingIs(foxtrot, 'off', 1_000);
    assert.match(mapping.reason, /^switched off \(portMapping, HNET_PORT_MAPPING\)/);
    assert.deepEqual(await routerOf.get(foxtrot)!.portForwards(), []);
    const pinging = ping(foxtrot.host, 'echo', { count: 90 });
    for (const [node, peer] of [
      [foxtrot, echo],
      [echo, foxtrot],
    ] as const) {
      const report = await waitForStatus(
        node,
        peerWhere(peer, (p) => p.path === 'tunnelled'),
        GIVE_UP_MS,
      );
      assert.match(report.reason, /^no answer from any of \d candidates? — a symmetric NAT on either side/);
    }
    assert.ok(pingsReceived(await pinging) >= 85);
  });

  test('a router restarted mid-session: mapped again, and the traffic keeps flowing', async () => {
    const router = routerOf.get(alpha)!;
    const first = await mappingIs(alpha, 'mapped');
    const mappedAgain = () => (alpha.daemon.stderr.match(/event=portmap-mapped-again/g) ?? []).length;
    const before = mappedAgain();
    const count = 60;
    const pinging = ping(alpha.host, 'charlie', { count, intervalS: 0.2 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await router.restartPortMapping();
    // The next renewal (every 5 s here) sees the router's epoch start again.
    await waitForStatus(alpha, () => (mappedAgain() > before ? true : undefined), 10_000);
    const again = await mappingIs(alpha, 'mapped', 1_000);
    assert.equal(again.external, first.external, 'PCP asks for the external port it had');
    assert.equal((await router.portForwards()).length, 1);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= count - 3, output);
    assert.ok(longestGap(output, count, 0.2) <= 1, output);
    await waitForStatus(alpha, directTo(charlie), 5_000, liveStatus(alpha));
  });
});
