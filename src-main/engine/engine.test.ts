// The seam between the engine and its data plane: status is read from the data plane each time,
// so whatever the data plane's state is, that is what users see.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseOverlayAddress } from '../../src-protocol/address.js';
import type { EngineConfig } from './state/config.js';
import { Engine, type DataPlane, type EngineComponents } from './engine.js';
import { createEnrolment } from './membership/enrolment.js';
import { ENROLMENT_FILE, type EnrolmentComponents } from './membership/enrolment-state.js';
import type { StatusUpdate } from '../contract/events.js';
import { createLogger } from './log.js';
import type { BaseStatus, PeerReport } from '../contract/status.js';

const PEER = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
const WEBSETUP = 'fc94:2d6e:9c3a:0b51:77e0:41aa:9f03:6c12';

/** A data plane reduced to its visible state, which the test moves by hand. */
class HandDrivenDataPlane implements DataPlane {
  baseNow: BaseStatus = {
    state: 'connecting',
    transport: null,
    server: 'base.example:443',
    reason: 'dialling',
  };
  peerNow: PeerReport = {
    address: PEER,
    reach: 'online',
    lastHeard: null,
    path: 'tunnelled',
    endpoint: null,
    rttMs: null,
    bytesSent: 0,
    bytesReceived: 0,
    lastHandshake: null,
    reason: 'probing for a direct path',
  };
  /** Every list the engine told it to use, in order. */
  serverLists: string[][] = [];
  started = false;
  constructor(readonly components: EngineComponents) {}
  start = async () => {
    this.started = true;
  };
  stop = async () => undefined;
  base = () => this.baseNow;
  peers = () => [this.peerNow, ...this.others];
  /** More peers, beside peerNow. */
  others: PeerReport[] = [];
  useBaseServers = (servers: readonly string[]) => {
    this.serverLists.push([...servers]);
  };
}

describe('engine and its data plane', () => {
  let dir: string;
  let engine: Engine;
  let plane: HandDrivenDataPlane;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-engine-'));
    const config: EngineConfig = {
      stateDir: join(dir, 'state'),
      controlSocket: join(dir, 'control.sock'),
      helperSocket: join(dir, 'helper.sock'),
      baseServers: ['base.example:443'],
      udpPort: 5582,
      hostname: 'enginebox',
      dataLane: 'on',
      logLevel: 'error',
    };
    const started = await Engine.start({
      config,
      log: createLogger('error', () => undefined),
      writeHosts: async () => undefined,
      dataPlane: (components) => (plane = new HandDrivenDataPlane(components)),
    });
    assert.ok(started.ok, JSON.stringify(started));
    engine = started.value;
  });

  after(async () => {
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('status shows the data plane as it is at that moment, and peers get names from the host table', async () => {
    assert.equal(engine.status().peers[0]?.path, 'tunnelled');
    plane.peerNow = { ...plane.peerNow, path: 'direct', endpoint: '[2001:db8::5]:5582', rttMs: 3 };
    await engine.hosts.add({ hostname: 'laptop', address: PEER });
    const peer = engine.status().peers[0];
    assert.equal(peer?.path, 'direct');
    assert.equal(peer?.endpoint, '[2001:db8::5]:5582');
    assert.equal(peer?.hostname, 'laptop');
  });

  test('the data plane is told about whitelist changes and can check a peer before a handshake', async () => {
    const peerBytes = parseOverlayAddress(PEER)!;
    assert.equal(plane.components.whitelist.allows(peerBytes), false);
    const seen = new Promise<boolean>((resolve) =>
      plane.components.whitelist.onChange((state) => resolve(state.addresses.includes(PEER))),
    );
    await engine.whitelist.add(PEER);
    assert.equal(await seen, true);
    assert.equal(plane.components.whitelist.allows(peerBytes), true);
  });

  test('a change the data plane reports reaches subscribers, naming the section that changed', async () => {
    const updates: StatusUpdate[] = [];
    const connected = new Promise<StatusUpdate>((resolve) => {
      const stop = engine.subscribe((update) => {
        updates.push(update);
        if (update.status.base.state === 'connected') {
          stop();
          resolve(update);
        }
      });
    });
    plane.baseNow = { state: 'connected', transport: 'udp', server: 'base.example:443', reason: '' };
    plane.components.changed();
    const update = await connected;
    assert.deepEqual(update.changed, ['base']);
    assert.equal(updates.length, 2);
  });
});

describe('what enrolment changes in the engine, and what a restart keeps', () => {
  let dir: string;
  const running: Engine[] = [];

  const configIn = (stateDir: string, baseServers: string[] = []): EngineConfig => ({
    stateDir,
    controlSocket: join(dir, 'control.sock'),
    helperSocket: join(dir, 'helper.sock'),
    baseServers,
    udpPort: 5582,
    hostname: 'configured-name',
    dataLane: 'on',
    logLevel: 'error',
  });

  /** An engine with the real enrolment; `seen` gets what enrolment was handed. */
  async function start(config: EngineConfig) {
    const seen: { plane?: HandDrivenDataPlane; enrolment?: EnrolmentComponents } = {};
    const real = createEnrolment();
    const started = await Engine.start({
      config,
      log: createLogger('error', () => undefined),
      writeHosts: async () => undefined,
      dataPlane: (components) => (seen.plane = new HandDrivenDataPlane(components)),
      enrolment: (components) => real((seen.enrolment = components)),
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    running.push(started.value);
    return { engine: started.value, plane: seen.plane!, enrolment: seen.enrolment! };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-engine-enrol-'));
  });
  after(async () => {
    for (const engine of running) await engine.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a name websetup gives the device is shown at once and outlives a restart', async () => {
    const config = configIn(join(dir, 'named'));
    const first = await start(config);
    assert.equal(first.engine.status().hostname, 'configured-name');
    assert.ok((await first.enrolment.setHostname('desk-7')).ok);
    assert.equal(first.engine.status().hostname, 'desk-7');
    assert.equal(first.engine.resolve('desk-7').ok, true);
    assert.equal((await stat(join(config.stateDir, 'name.json'))).mode & 0o777, 0o600);
    await first.engine.stop();

    const second = await start(config);
    assert.equal(second.engine.status().hostname, 'desk-7');
    assert.equal(config.hostname, 'configured-name', 'the caller’s config is left alone');
  });

  test('a server switch reaches the running data plane', async () => {
    const { plane, enrolment } = await start(configIn(join(dir, 'switch'), ['old.example:443']));
    assert.ok((await enrolment.useBaseServers(['198.18.0.9'])).ok);
    assert.deepEqual(plane.serverLists, [['198.18.0.9']]);
  });

  test('the servers saved by setup-server are used at start when the config names none', async () => {
    const stateDir = join(dir, 'saved');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const server = {
      url: 'http://198.18.0.9',
      fingerprint: '0000 '.repeat(15) + '0000',
      baseServers: ['198.18.0.9'],
      websetupHost: PEER,
      dashboardUrl: 'http://198.18.0.9',
    };
    await writeFile(join(stateDir, ENROLMENT_FILE), JSON.stringify({ server }), { mode: 0o600 });
    const fromSetup = await start(configIn(stateDir));
    assert.deepEqual(fromSetup.plane.serverLists, [['198.18.0.9']]);
    assert.equal(fromSetup.plane.started, true);
    await fromSetup.engine.stop();

    const fromConfig = await start(configIn(stateDir, ['base.example:443']));
    assert.deepEqual(fromConfig.plane.serverLists, [], 'a config that names servers wins');
  });

  test('the websetup node of the joined network is shown as its server, with its reach, not as a peer', async () => {
    const stateDir = join(dir, 'joined');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const websetup = { address: WEBSETUP, secret: 's'.repeat(32), hostname: 'desk' };
    await writeFile(join(stateDir, ENROLMENT_FILE), JSON.stringify({ websetup }), { mode: 0o600 });
    const { engine, plane } = await start(configIn(stateDir));
    assert.deepEqual(
      engine.status().networks.map((n) => [n.websetup, n.reach]),
      [[WEBSETUP, 'offline']],
      'no session with websetup yet',
    );
    plane.others = [{ ...plane.peerNow, address: WEBSETUP, reach: 'unreachable' }];
    const status = engine.status();
    assert.deepEqual(
      status.peers.map((p) => p.address),
      [PEER],
    );
    assert.deepEqual(
      status.networks.map((n) => [n.websetup, n.reach]),
      [[WEBSETUP, 'unreachable']],
    );
  });

  test('with nothing joined, status lists no network and leaving says there is nothing to leave', async () => {
    const { engine } = await start(configIn(join(dir, 'alone')));
    assert.deepEqual(engine.status().networks, []);
    const left = await engine.leave(undefined);
    assert.equal(left.ok ? 'left' : left.error.kind, 'NotFound');
    assert.match(left.ok ? '' : left.error.message, /not joined a network/);
  });
});
