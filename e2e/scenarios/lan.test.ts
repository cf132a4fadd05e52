// Two hnet nodes on one LAN and no base server anywhere: LAN beacons tell each the other's
// endpoint, a signed HELLO confirms it, and a ping by hostname works directly. Then what a LAN
// can throw at a node: a machine flooding its UDP port with garbage, hnet0 deleted under it, and
// its owner taking a peer off the whitelist.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Host } from '../lab/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  directTo,
  introduce,
  median,
  ping,
  pingsReceived,
  pingTimes,
  shownRtts,
  startMeasuredNode,
  startNode,
  type HnetNode,
  type StartedNode,
  waitForStatus,
} from './hnet-node.js';
import { dataLaneUnavailable } from '../../src-main/native/lane-availability.js';
import { scenarioLab } from './scenario-lab.js';
import { labTwoNodes } from './lab-two-nodes.js';
import { lanScenario } from '../../src-main/testnet/scenarios.js';

/**
 * Random datagrams, some shaped like DATA and HELLOs, as fast as one Node process sends them. The
 * HELLO-sized ones claim to come from a whitelisted peer (its real id and key, which are public),
 * so they get as far as the expensive signature check.
 */
const garbageSender = `
const dgram = require('node:dgram');
const { randomFillSync } = require('node:crypto');
const [ip, port, seconds, claimedIdAndKey, target] = process.argv.slice(1);
const forged = Buffer.from(claimedIdAndKey + target, 'hex');
const socket = dgram.createSocket('udp4');
const end = Date.now() + Number(seconds) * 1000;
let sent = 0;
function burst() {
  for (let i = 0; i < 200; i++) {
    const size = [1, 17, 145, 300, 1400][sent % 5];
    const bytes = randomFillSync(Buffer.alloc(size));
    bytes[0] = sent % 4;
    if (size === 145) forged.copy(bytes, 1);
    socket.send(bytes, Number(port), ip);
    sent++;
  }
  if (Date.now() < end) setImmediate(burst);
  else socket.close(() => console.log('sent ' + sent));
}
burst();
`;

/** The 32 hex digits of an fc94 address. */
const canonicalHex = (address: string): string =>
  address
    .split(':')
    .map((group) => group.padStart(4, '0'))
    .join('');

/** Waits until hnetd has logged a line matching `pattern` at least `times` times. */
async function waitForLog(node: HnetNode, pattern: RegExp, times: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const count = () => node.daemon.stderr.split('\n').filter((line) => pattern.test(line)).length;
  while (count() < times) {
    if (Date.now() > deadline)
      throw new Error(`hnetd did not log ${pattern} ${times} times:\n${node.daemon.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two nodes on one LAN without a base server', () => {
  const world = scenarioLab();
  let a: StartedNode;
  let b: HnetNode;
  let mallory: Host;

  before(async () => {
    const { lab, scratch } = world;
    const lan = await lab.segment('lan');
    const [hostA, hostB] = [await lab.host('alpha', { on: lan }), await lab.host('bravo', { on: lan })];
    mallory = await lab.host('mallory', { on: lan });
    [a, b] = await Promise.all([
      startMeasuredNode(hostA, scratch, { baseServers: [] }),
      startNode(hostB, scratch, { baseServers: [] }),
    ]);
    await introduce([a, b]);
  });

  test('they find each other by LAN beacons and ping by hostname', async () => {
    const output = await ping(a.host, 'bravo', { count: 3 });
    assert.ok(pingsReceived(output) >= 3, output);
    assert.match(output, /from bravo \(fc94:/);
    // The scenario the in-memory network runs too (src-main/testnet/lan-discovery.test.ts).
    await lanScenario(labTwoNodes(a, b));
    const peer = await waitForStatus(a, directTo(b), 5_000);
    // Beacons go out over IPv4 and IPv6 link-local; whichever answered first carries the traffic.
    const ipv4 = b.host.ip.replaceAll('.', '\\.');
    assert.match(peer.endpoint ?? '', new RegExp(`^(${ipv4}|\\[fe80::[0-9a-f:]+%eth0\\]):5582$`));
    assert.match(peer.reason, /\(LAN\)$/);
    const status = await a.status();
    assert.equal(status.base.state, 'offline');
  });

  test('the RTT shown is measured on the path in use: within 20 % or 0.2 ms of what ping measures', async (t) => {
    await waitForStatus(a, directTo(b), 5_000);
    const count = 60;
    const pinging = ping(a.host, 'bravo', { count, intervalS: 0.2 });
    // Five heartbeats on this path first (one a second), then one look a second while ping runs.
    await sleep(5_000);
    const shown = await shownRtts(a, b, 5);
    const output = await pinging;
    assert.ok(pingsReceived(output) >= count - 1, output);
    const pinged = median(pingTimes(output));
    const measured = shown.filter((rtt) => rtt !== null);
    assert.equal(measured.length, 5, `an RTT in every look: ${JSON.stringify(shown)}`);
    const hnet = median(measured);
    const tolerance = Math.max(0.2, 0.2 * pinged);
    t.diagnostic(`ping ${pinged.toFixed(3)} ms, hnet status ${hnet} ms (looks: ${shown.join(', ')})`);
    assert.ok(
      Math.abs(hnet - pinged) <= tolerance,
      `hnet status says ${hnet} ms, ping ${pinged} ms: more than ${tolerance.toFixed(2)} ms apart`,
    );
    const json = (await a.status()).peers.find((p) => p.address === b.address);
    assert.equal(json?.reach, 'online');
    assert.ok(json?.rttMs !== null && json?.rttMs !== undefined, '`hnet status --json` shows it too');
  });

  test('once the session is direct, its packets take the native data lane, full-sized ones too', async (t) => {
    // Without libsodium, or switched off, the JS path carries everything (the other tests here).
    const off =
      process.env['HNET_DATA_LANE'] === 'off' ? 'switched off by HNET_DATA_LANE=off' : dataLaneUnavailable();
    if (off) return t.skip(`the data lane is off here: ${off}`);
    const before = (await a.status()).dataLane;
    assert.equal(before?.state, 'on', before?.reason);
    // 1302 bytes of ICMPv6 payload fill hnet0's MTU of 1350 exactly.
    const output = await ping(a.host, 'bravo', { count: 5, size: 1302 });
    assert.ok(pingsReceived(output) >= 5, output);
    const after = (await a.status()).dataLane;
    // Each ping is a request out of hnet0 and a reply into it.
    assert.ok((after?.packets ?? 0) - before.packets >= 10, JSON.stringify({ before, after }));
    assert.match(await a.hnet(['status']), /^data lane on: \d+ packets carried natively$/m);
  });

  test('a flood of garbage UDP at a node leaves its peer unaffected, and the drops are counted', async (t) => {
    const [, publicKey] = (await readFile(join(world.scratch, 'bravo', 'state', 'id'), 'utf8')).split(' ');
    const hex = (address: string) => canonicalHex(address);
    const claimed = hex(b.address) + publicKey!;
    const flood = mallory.exec([
      'node',
      '-e',
      garbageSender,
      a.host.ip,
      '5582',
      '4',
      claimed,
      hex(a.address),
    ]);
    const output = await ping(b.host, 'alpha', { count: 15 });
    const { stdout: sent } = await flood;
    assert.match(sent, /sent \d+/);
    assert.ok(pingsReceived(output) >= 15, output);
    const { drops = {} } = await a.status();
    const total = Object.values(drops).reduce((sum, n) => sum + n, 0);
    t.diagnostic(`${sent.trim()}; counted as dropped: ${JSON.stringify(drops)}`);
    assert.ok(total > 1000, `drops counted: ${JSON.stringify(drops)}`);
    assert.ok((drops['p2p-data-without-hello'] ?? 0) > 0, 'DATA from a source without a HELLO is refused');
    assert.ok(
      (drops['p2p-hello-over-budget'] ?? 0) > 0,
      'forged HELLOs beyond the budget are not even verified',
    );
    assert.equal(a.daemon.running, true);
  });

  test('when hnet0 disappears, the engine opens it again at once through the helper and traffic resumes', async () => {
    await a.host.exec(['ip', 'link', 'del', 'hnet0']);
    // The helper's socket does not change, so nothing but the loss itself can prompt the reopening.
    await waitForLog(a, /event=tun-opened/, 2, 2_000);
    const output = await ping(b.host, 'alpha', { count: 3 });
    assert.ok(pingsReceived(output) >= 3, output);
  });

  test('a peer removed from the whitelist loses its session: it leaves the status and pings stop', async () => {
    const refusedBefore = (await a.status()).drops?.['p2p-data-without-hello'] ?? 0;
    await a.hnet(['whitelist', 'rm', b.address]);
    const status = await a.status();
    assert.equal(
      status.peers.find((p) => p.address === b.address),
      undefined,
    );
    await assert.rejects(b.host.exec(['ping', '-6', '-c', '2', '-i', '0.2', '-w', '3', 'alpha']));
    const refusedAfter = (await a.status()).drops?.['p2p-data-without-hello'] ?? 0;
    assert.ok(refusedAfter > refusedBefore, 'its DATA is refused: its sources were forgotten with it');
  });
});
