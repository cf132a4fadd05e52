// The control socket and the browser UI under abuse by a local user (issue 15): any local user may
// connect to both, so neither a held flood nor churned connections may crash hnetd, leak its fds,
// lock root out or keep it from stopping, and running out of fds must not stop the overlay.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { LOCAL_USER, type LabProcess } from '../lab/index.js';
import {
  introduce,
  ping,
  pingsReceived,
  shortForm,
  startBase,
  startNode,
  type HnetNode,
} from '../scenarios/hnet-node.js';
import { scenarioLab } from '../scenarios/scenario-lab.js';
import { engineSetting, fixtures, hnetdPid, isRunning, limitOpenFiles, openFdCount } from './attack-kit.js';

const flood = `${fixtures}/flood.ts`;
/** More than hnetd's old cap of 128 control connections. */
const HELD = 140;
const CHURNED = 50;
const UI_PORT = 8765;
const UI_CONNECTIONS = 1100;

/** A flood run by LOCAL_USER on `node`'s host; resolves once it holds its connections. */
async function holdConnections(node: HnetNode, target: string, count: number): Promise<LabProcess> {
  const held = node.host.spawnScript(flood, ['hold', target, String(count)], { user: LOCAL_USER });
  const [, connected] = await held.waitForOutput(/holding (\d+)/, 20_000);
  assert.ok(Number(connected) > 0, `the attacker could not connect to ${target} at all: ${held.stderr}`);
  return held;
}

const controlSocket = (node: HnetNode): Promise<string> => engineSetting(node.daemon, 'HNET_CONTROL_SOCKET');

async function assertAlive(node: HnetNode, pid: number): Promise<void> {
  const log = () => node.daemon.stderr.trim().split('\n').slice(-15).join('\n');
  assert.ok(await isRunning(pid), `hnetd on ${node.hostname} died:\n${log()}`);
}

/** The node's overlay address sits on an interface and pings to `peer` are answered. */
async function assertOverlayWorks(node: HnetNode, peer: HnetNode): Promise<void> {
  const { stdout: addresses } = await node.host.exec(['ip', '-6', '-o', 'addr', 'show']);
  assert.ok(addresses.includes(shortForm(node.address)), `no interface holds ${node.address}:\n${addresses}`);
  const output = await ping(node.host, peer.address, { count: 5 });
  assert.ok(pingsReceived(output) >= 3, output);
}

describe('a local user flooding hnetd’s control socket and UI port', () => {
  const world = scenarioLab();
  let target: HnetNode;
  let withUi: HnetNode;
  let peer: HnetNode;
  const floods: LabProcess[] = [];

  before(async () => {
    const { lab, scratch } = world;
    const inet = await lab.segment('inet');
    const base = await startBase(await lab.host('base', { on: inet }));
    const options = { baseServers: [base.server] };
    [target, withUi, peer] = await Promise.all([
      startNode(await lab.host('target', { on: inet }), scratch, options),
      startNode(await lab.host('withui', { on: inet }), scratch, {
        ...options,
        daemonArgs: ['--ui'],
        env: { HNET_UI_PORT: String(UI_PORT) },
      }),
      startNode(await lab.host('peer', { on: inet }), scratch, options),
    ]);
    await introduce([target, withUi, peer]);
    await withUi.daemon.waitForOutput(/the UI is at/);
    await assertOverlayWorks(target, peer);
  });

  after(async () => {
    await Promise.all(floods.map((process) => process.stop()));
  });

  test(`with ${HELD} connections held by a local user, root's hnet status is still answered`, async () => {
    floods.push(await holdConnections(target, await controlSocket(target), HELD));
    await assert.doesNotReject(target.hnet(['status']));
  });

  test(`${CHURNED} more connections opened and closed at once neither crash hnetd nor leak its fds`, async () => {
    const pid = await hnetdPid(target.daemon);
    const fdsBefore = await openFdCount(pid);
    const socket = await controlSocket(target);
    await target.host.runScript(flood, ['churn', socket, String(CHURNED)], { user: LOCAL_USER });
    await sleep(1_000);
    await assertAlive(target, pid);
    const fdsAfter = await openFdCount(pid);
    assert.ok(fdsAfter <= fdsBefore + 5, `hnetd's open fds grew from ${fdsBefore} to ${fdsAfter}`);
    await assertOverlayWorks(target, peer);
  });

  test(`${UI_CONNECTIONS} idle connections to the browser UI, under a limit of 1024 fds, leave the overlay running`, async () => {
    const pid = await hnetdPid(withUi.daemon);
    await limitOpenFiles(withUi.host, pid, 1024);
    floods.push(await holdConnections(withUi, `127.0.0.1:${UI_PORT}`, UI_CONNECTIONS));
    const output = await ping(withUi.host, peer.address, { count: 10, intervalS: 0.5 });
    await assertAlive(withUi, pid);
    assert.ok(pingsReceived(output) >= 7, output);
  });

  test('SIGTERM stops hnetd within 5 s while a local user holds control connections', async () => {
    floods.push(await holdConnections(peer, await controlSocket(peer), HELD));
    const pid = await hnetdPid(peer.daemon);
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    while ((await isRunning(pid)) && Date.now() - sent < 5_000) await sleep(50);
    assert.equal(await isRunning(pid), false, `hnetd still runs ${Date.now() - sent} ms after SIGTERM`);
  });
});
