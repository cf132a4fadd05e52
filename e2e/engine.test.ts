// Two hnet nodes behind separate cone NATs and a base server on "the Internet": a ping by hostname
// over hnet0 works at once (through the base), then the nodes punch through their NATs and
// `hnet status` shows the peer as direct, with the other NAT's public address as its endpoint.
// The NATs are home routers: masquerade plus a stateful firewall (see e2e/lab/router.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab, type Router } from './lab/index.js';
import {
  introduce,
  makeScratch,
  removeScratch,
  startBase,
  pingsReceived,
  startNode,
  waitForStatus,
  type HnetNode,
} from './engine-node.js';

describe('two nodes behind cone NATs with a base server', () => {
  let lab: Lab;
  let scratch: string;
  let a: HnetNode;
  let b: HnetNode;
  let natB: Router;

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const lan1 = await lab.segment('lan1');
    const lan2 = await lab.segment('lan2');
    await lab.router('nat1', { wan: inet, lan: lan1, mode: 'cone' });
    natB = await lab.router('nat2', { wan: inet, lan: lan2, mode: 'cone' });
    const baseHost = await lab.host('base', { on: inet });
    const hostA = await lab.host('alpha', { on: lan1 });
    const hostB = await lab.host('bravo', { on: lan2 });
    const { server } = await startBase(baseHost);
    [a, b] = await Promise.all([
      startNode(hostA, scratch, { baseServers: [server] }),
      startNode(hostB, scratch, { baseServers: [server] }),
    ]);
    await introduce([a, b]);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('both nodes connect to the base', async () => {
    for (const node of [a, b]) {
      const line = await node.hnet(['wait', 'base', '--timeout', '10']);
      assert.match(line, /connected to .*:443 over (UDP|TCP)/);
    }
  });

  test('ping -6 by hostname reaches the other node over hnet0', async () => {
    const { stdout } = await a.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '10', 'bravo']);
    assert.ok(pingsReceived(stdout) >= 3, stdout);
    assert.match(stdout, /from bravo \(fc94:/);
  });

  test('hnet status shows the peer as direct, via the other NAT', async () => {
    // Keep traffic flowing so the peer is active while the paths settle.
    const pinging = a.host
      .exec(['ping', '-6', '-c', '20', '-i', '0.2', '-w', '10', 'bravo'])
      .catch(() => undefined);
    const peer = await waitForStatus(
      a,
      (status) => status.peers.find((p) => p.address === b.address && p.path === 'direct'),
      8_000,
    );
    await pinging;
    assert.match(peer.endpoint ?? '', new RegExp(`^${natB.publicIp.replaceAll('.', '\\.')}:\\d+$`));
    assert.match(peer.reason, /^direct via .* \(public, rtt [\d.]+ ms\)$/);
    assert.ok(peer.bytesSent > 0 && peer.bytesReceived > 0, 'bytes are counted both ways');
    assert.notEqual(peer.lastHandshake, null);
  });
});
