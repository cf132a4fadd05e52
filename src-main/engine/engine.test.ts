// The seam between the engine and its data plane: status is read from the data plane each time,
// so whatever the data plane's state is, that is what users see.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseOverlayAddress } from '../../src-protocol/address.js';
import type { Config } from './config.js';
import { Engine, type DataPlane, type EngineComponents } from './engine.js';
import type { StatusUpdate } from './event-stream.js';
import { createLogger } from './log.js';
import type { BaseStatus, PeerReport } from './status.js';

const PEER = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';

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
    path: 'tunnelled',
    endpoint: null,
    rttMs: null,
    bytesSent: 0,
    bytesReceived: 0,
    lastHandshake: null,
    reason: 'probing for a direct path',
  };
  constructor(readonly components: EngineComponents) {}
  start = async () => undefined;
  stop = async () => undefined;
  base = () => this.baseNow;
  peers = () => [this.peerNow];
}

describe('engine and its data plane', () => {
  let dir: string;
  let engine: Engine;
  let plane: HandDrivenDataPlane;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-engine-'));
    const config: Config = {
      stateDir: join(dir, 'state'),
      controlSocket: join(dir, 'control.sock'),
      helperSocket: join(dir, 'helper.sock'),
      baseServers: ['base.example:443'],
      udpPort: 5582,
      hostname: 'enginebox',
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
