// Symmetric NATs, which give every destination a new public port, so the port the base saw is
// useless to peers. alpha is behind one; what happens depends on the other side:
// - charlie's router forwards hnet's UDP port to it (a port forward or UPnP: a full cone). alpha's
//   HELLO arrives from a port nobody announced; charlie answers it there, learns that mapping as a
//   candidate, and both go direct.
// - delta is behind an ordinary home router (cone mapping, but it only lets in replies from the
//   exact address and port delta sent to), which drops alpha's HELLO from the unannounced port:
//   no direct path is possible, traffic stays with the base, and the status says why.
// - bravo is behind a symmetric NAT too: the same, seen from both ends.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Router } from '../lab/index.js';
import {
  directTo,
  GIVE_UP_MS,
  type HnetNode,
  type Home,
  internetWithHomes,
  introduce,
  median,
  peerWhere,
  ping,
  pingsReceived,
  pingTimes,
  shownRtts,
  startMeasuredNode,
  startNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const HNET_PORT = 5582;

/** What "forward UDP 5582 to this machine" on a home router's settings page does. */
async function forwardHnetPort(router: Router, to: string): Promise<void> {
  await router.exec(['nft', '-f', '-'], {
    input: [
      'table ip hnfwd {',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    iifname "wan" udp dport ${HNET_PORT} dnat to ${to}`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
}

const noDirectPath =
  /^no answer from any of \d candidates? — a symmetric NAT on either side, or a strict firewall, blocks a direct path; data via the base$/;

describe('nodes behind symmetric NATs', () => {
  const world = scenarioLab();
  let alpha: StartedNode;
  let bravo: HnetNode;
  let charlie: HnetNode;
  let delta: HnetNode;
  let symA: Router;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['symmetric', 'symmetric', 'cone', 'cone']);
    const [lan1, lan2, forwarded, lan4] = homes as [Home, Home, Home, Home];
    symA = lan1.router;
    const options = { baseServers: [base.server] };
    const charlieHost = await lab.host('charlie', { on: forwarded.lan });
    await forwardHnetPort(forwarded.router, charlieHost.ip);
    [alpha, bravo, charlie, delta] = await Promise.all([
      startMeasuredNode(await lab.host('alpha', { on: lan1.lan }), scratch, options),
      startNode(await lab.host('bravo', { on: lan2.lan }), scratch, options),
      startNode(charlieHost, scratch, options),
      startNode(await lab.host('delta', { on: lan4.lan }), scratch, options),
    ]);
    await introduce([alpha, bravo, charlie, delta]);
    for (const node of [alpha, bravo, charlie, delta]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('behind a symmetric NAT, a peer with a forwarded port is reached directly', async () => {
    const pinging = ping(alpha.host, 'charlie', { count: 30 });
    const fromCharlie = await waitForStatus(charlie, directTo(alpha), 8_000);
    // The mapping charlie learned from alpha's probe: alpha's NAT, not the port the base saw.
    assert.match(fromCharlie.endpoint ?? '', new RegExp(`^${symA.publicIp.replaceAll('.', '\\.')}:\\d+$`));
    const fromAlpha = await waitForStatus(alpha, directTo(charlie), 5_000);
    assert.match(fromAlpha.reason, /^direct via .* \(public\)$/);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 29, output);
  });

  test('symmetric to an ordinary home router, and symmetric to symmetric: tunnelled, and the status says why', async () => {
    const laneBefore = (await alpha.status()).dataLane?.packets ?? 0;
    const pinging = [ping(alpha.host, 'delta', { count: 90 }), ping(alpha.host, 'bravo', { count: 90 })];
    for (const [node, peer] of [
      [alpha, delta],
      [delta, alpha],
      [alpha, bravo],
      [bravo, alpha],
    ] as const) {
      const report = await waitForStatus(
        node,
        peerWhere(peer, (p) => p.path === 'tunnelled'),
        GIVE_UP_MS,
      );
      assert.match(report.reason, noDirectPath, `${node.hostname} about ${peer.hostname}`);
      assert.equal(report.endpoint, null);
    }
    for (const output of await Promise.all(pinging)) assert.ok(pingsReceived(output) >= 85, output);
    // Relayed sessions are the data lane's too (where it runs: lan.test.ts says when it may not).
    const lane = (await alpha.status()).dataLane;
    if (lane?.state === 'on')
      assert.ok(
        lane.packets - laneBefore >= 180,
        `180 of 360 relayed packets at least: ${JSON.stringify(lane)}`,
      );
  });

  test('through the base too, the RTT shown is within 20 % or 0.2 ms of what ping measures', async (t) => {
    await waitForStatus(
      alpha,
      peerWhere(bravo, (p) => p.path === 'tunnelled'),
      1_000,
    );
    const count = 60;
    const pinging = ping(alpha.host, 'bravo', { count, intervalS: 0.2 });
    // Heartbeats through the base for a few seconds first, then one look a second while ping runs.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const shown = await shownRtts(alpha, bravo, 6);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= count - 1, output);
    const measured = shown.filter((rtt) => rtt !== null);
    assert.equal(measured.length, shown.length, `an RTT in every look: ${JSON.stringify(shown)}`);
    const [pinged, hnet] = [median(pingTimes(output)), median(measured)];
    const tolerance = Math.max(0.2, 0.2 * pinged);
    t.diagnostic(
      `via the base: ping ${pinged.toFixed(3)} ms, hnet status ${hnet} ms (looks: ${shown.join(', ')})`,
    );
    assert.ok(Math.abs(hnet - pinged) <= tolerance, `hnet status says ${hnet} ms, ping ${pinged} ms`);
  });
});
