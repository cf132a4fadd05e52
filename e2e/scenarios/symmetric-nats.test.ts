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
import { after, before, describe, test } from 'node:test';
import { Lab, type Router } from '../lab/index.js';
import {
  directTo,
  introduce,
  makeScratch,
  peerWhere,
  ping,
  pingsReceived,
  removeScratch,
  startBase,
  startNode,
  waitForStatus,
  type HnetNode,
} from './hnet-node.js';

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

/** Probing lasts 10 rounds of 1 s before a path counts as impossible. */
const GIVE_UP_MS = 16_000;
const noDirectPath =
  /^no answer from any of \d candidates? — a symmetric NAT on either side, or a strict firewall, blocks a direct path; data via the base$/;

describe('nodes behind symmetric NATs', () => {
  let lab: Lab;
  let scratch: string;
  let alpha: HnetNode;
  let bravo: HnetNode;
  let charlie: HnetNode;
  let delta: HnetNode;
  let symA: Router;

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const [lan1, lan2, lan3, lan4] = [
      await lab.segment('lan1'),
      await lab.segment('lan2'),
      await lab.segment('lan3'),
      await lab.segment('lan4'),
    ];
    symA = await lab.router('nat1', { wan: inet, lan: lan1, mode: 'symmetric' });
    await lab.router('nat2', { wan: inet, lan: lan2, mode: 'symmetric' });
    const fullCone = await lab.router('nat3', { wan: inet, lan: lan3, mode: 'cone' });
    await lab.router('nat4', { wan: inet, lan: lan4, mode: 'cone' });
    const { server } = await startBase(await lab.host('base', { on: inet }));
    const options = { baseServers: [server] };
    const charlieHost = await lab.host('charlie', { on: lan3 });
    await forwardHnetPort(fullCone, charlieHost.ip);
    [alpha, bravo, charlie, delta] = await Promise.all([
      startNode(await lab.host('alpha', { on: lan1 }), scratch, options),
      startNode(await lab.host('bravo', { on: lan2 }), scratch, options),
      startNode(charlieHost, scratch, options),
      startNode(await lab.host('delta', { on: lan4 }), scratch, options),
    ]);
    await introduce([alpha, bravo, charlie, delta]);
    for (const node of [alpha, bravo, charlie, delta]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('behind a symmetric NAT, a peer with a forwarded port is reached directly', async () => {
    const pinging = ping(alpha.host, 'charlie', { count: 30 });
    const fromCharlie = await waitForStatus(charlie, directTo(alpha), 8_000);
    // The mapping charlie learned from alpha's probe: alpha's NAT, not the port the base saw.
    assert.match(fromCharlie.endpoint ?? '', new RegExp(`^${symA.publicIp.replaceAll('.', '\\.')}:\\d+$`));
    const fromAlpha = await waitForStatus(alpha, directTo(charlie), 5_000);
    assert.match(fromAlpha.reason, /^direct via .* \(public, rtt/);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 29, output);
  });

  test('symmetric to an ordinary home router, and symmetric to symmetric: tunnelled, and the status says why', async () => {
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
  });
});
