// An hnet node and a peer that behaves like a stock Husarnet 2.x daemon (flags 3: none of hnet's
// extensions, see stock-peer-daemon.ts), each behind a cone NAT with a base server between
// them. The handshake settles on what both support, and they ping each other by name both ways,
// through the base at first and then directly. TCP streams cross both ways while only the hnet node
// moves 64 KB segments, the stock peer single packets.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  directTo,
  type HnetNode,
  internetWithHomes,
  introduce,
  ping,
  pingsReceived,
  startNode,
  waitForStatus,
} from './hnet-node.js';
import { scenarioLab } from './scenario-lab.js';

const PROBE = 'e2e/lab/fixtures/net-probe.ts';

describe('an hnet node and a stock Husarnet peer', () => {
  const world = scenarioLab();
  let hnet: HnetNode;
  let stock: HnetNode;

  before(async () => {
    const { lab, scratch } = world;
    const { base, homes } = await internetWithHomes(lab, ['cone', 'cone']);
    [hnet, stock] = await Promise.all([
      startNode(await lab.host('modern', { on: homes[0]!.lan }), scratch, { baseServers: [base.server] }),
      startNode(await lab.host('stock', { on: homes[1]!.lan }), scratch, {
        baseServers: [base.server],
        daemonScript: 'e2e/scenarios/stock-peer-daemon.ts',
      }),
    ]);
    await introduce([hnet, stock]);
    for (const node of [hnet, stock]) await node.hnet(['wait', 'base', '--timeout', '10']);
  });

  test('the hnet node pings the stock peer by name', async () => {
    const output = await ping(hnet.host, 'stock', { count: 10 });
    assert.ok(pingsReceived(output) >= 10, output);
    assert.match(output, /from stock \(fc94:/);
  });

  test('the stock peer pings the hnet node by name, and both see a direct path', async () => {
    const pinging = ping(stock.host, 'modern', { count: 25 });
    const [there, back] = await Promise.all([
      waitForStatus(hnet, directTo(stock), 5_000),
      waitForStatus(stock, directTo(hnet), 5_000),
    ]);
    for (const peer of [there, back]) assert.notEqual(peer.lastHandshake, null);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= 25, output);
    assert.match(output, /from modern \(fc94:/);
  });

  test('TCP streams cross whole both ways: the hnet node cuts and joins segments, the stock peer moves single packets', async () => {
    for (const [from, to] of [
      [hnet, stock],
      [stock, hnet],
    ] as const) {
      const sink = to.host.spawnScript(PROBE, ['tcp-sink', to.address, '5201']);
      await sink.waitForOutput(/ready/);
      const sent = await from.host.runScript(PROBE, ['tcp-stream', to.address, '5201', '8']);
      const [received] = await sink.waitForOutput(/\{"bytes".*\}/);
      assert.deepEqual(JSON.parse(received), JSON.parse(sent.stdout), `${from.hostname} to ${to.hostname}`);
    }
    const offloads = (await hnet.status()).dataLane?.offloads;
    assert.equal(offloads?.tcpSegments, true, 'the hnet node takes TSO segments');
    assert.equal(offloads?.udpSend, true, 'and sends with UDP GSO');
    assert.equal((await stock.status()).dataLane?.offloads?.tcpSegments, false, 'the stock peer does not');
  });
});
