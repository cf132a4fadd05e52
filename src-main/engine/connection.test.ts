// Connect/Disconnect and ping in the engine, with everything real but the kernel: a base server on
// loopback and two engines whose real data planes run on fake TUN devices. `down` closes and
// releases the device, leaves the base and answers no one, and stays so across a restart until
// `up`; a ping is a heartbeat through the engine that says which path it took.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { BaseServer } from '../../src-server/base/base-server.js';
import { defaultLimits } from '../../src-server/base/limits.js';
import { createDataPlane, type OpenTun } from './data-plane.js';
import { Engine } from './engine.js';
import { createLogger } from './log.js';
import type { Status } from '../contract/status.js';

const log = createLogger('error');

/** What happened to a node's fake hnet0, in order. */
type DeviceEvent = 'opened' | 'closed' | 'released';

interface Node {
  name: string;
  engine: Engine;
  events: DeviceEvent[];
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('connection up and down, and ping, in the engine', () => {
  let dir = '';
  let base: BaseServer;
  let baseServer = '';
  const running = new Set<Engine>();
  let alpha: Node;
  let bravo: Node;

  async function start(name: string, events: DeviceEvent[] = []): Promise<Node> {
    const openTun: OpenTun = Object.assign(
      async () => {
        events.push('opened');
        return {
          name: `fake-${name}`,
          write: () => true,
          close: async () => void events.push('closed'),
        };
      },
      { release: async () => void events.push('released') },
    );
    const started = await Engine.start({
      config: {
        stateDir: join(dir, name),
        controlSocket: join(dir, `${name}.sock`),
        helperSocket: join(dir, 'helper.sock'),
        baseServers: [baseServer],
        udpPort: 0,
        hostname: name,
        dataLane: 'on',
        logLevel: 'error',
      },
      log,
      writeHosts: async () => undefined,
      dataPlane: createDataPlane({ openTun }),
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    running.add(started.value);
    return { name, engine: started.value, events };
  }

  async function restart(node: Node): Promise<Node> {
    await node.engine.stop();
    running.delete(node.engine);
    return start(node.name, node.events);
  }

  const connected = (node: Node) =>
    waitFor(`${node.name} on the base`, () =>
      node.engine.status().base.state === 'connected' ? true : undefined,
    );

  before(async () => {
    await initCrypto();
    dir = await mkdtemp(join(tmpdir(), 'hnet-connection-'));
    base = await BaseServer.start({
      tcp: [{ ip: '127.0.0.1', port: 0 }],
      udp: [{ ip: '127.0.0.1', port: 0 }],
      advertiseIp: undefined,
      metrics: undefined,
      limits: defaultLimits,
    });
    baseServer = `127.0.0.1:${base.tcpAddresses[0]!.port}`;
    alpha = await start('alpha');
    bravo = await start('bravo');
    for (const [from, to] of [
      [alpha, bravo],
      [bravo, alpha],
    ] as const) {
      assert.ok((await from.engine.whitelist.add(to.engine.address)).ok);
      assert.ok((await from.engine.hosts.add({ hostname: to.name, address: to.engine.address })).ok);
    }
    await connected(alpha);
    await connected(bravo);
  });

  after(async () => {
    for (const engine of running) await engine.stop();
    await base?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a ping by name is answered with its round trip and the path the engine sent it on', async () => {
    const first = await alpha.engine.ping('bravo', 2_000);
    assert.ok(first.ok, first.ok ? '' : first.error.message);
    assert.equal(first.value.address, bravo.engine.address);
    assert.equal(first.value.hostname, 'bravo');
    assert.ok(typeof first.value.rttMs === 'number', 'a reply came');
    assert.ok(first.value.sent && first.value.reply, 'both ways have a path');
    // A ping is traffic: the idle peer woke and looked for a direct path, and the pings take it.
    const direct = await waitFor('a ping sent directly', async () => {
      const again = await alpha.engine.ping(bravo.engine.address, 2_000);
      return again.ok && again.value.sent?.kind === 'direct' && again.value.rttMs !== null
        ? again.value
        : undefined;
    });
    assert.match(direct.sent?.kind === 'direct' ? direct.sent.endpoint : '', /:\d+$/);
  });

  test('a ping to itself, to a stranger or to an unknown name is refused with a reason', async () => {
    const self = await alpha.engine.ping('alpha', 500);
    assert.equal(self.ok ? '' : self.error.kind, 'BadParams');
    const stranger = await alpha.engine.ping('fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239', 500);
    assert.equal(stranger.ok ? '' : stranger.error.kind, 'NotPermitted');
    assert.match(stranger.ok ? '' : stranger.error.message, /hnet whitelist add/);
    const unknown = await alpha.engine.ping('nobody', 500);
    assert.equal(unknown.ok ? '' : unknown.error.kind, 'NotFound');
  });

  test('down: the device is closed and released, the base left, and nothing answers', async () => {
    const down = await alpha.engine.setConnection('down');
    assert.ok(down.ok);
    const status: Status = down.value;
    assert.equal(status.connection, 'down');
    assert.equal(status.base.state, 'offline');
    assert.match(status.base.reason, /hnet up/);
    assert.deepEqual(status.peers, []);
    assert.deepEqual(alpha.events.slice(-2), ['closed', 'released']);
    const refused = await alpha.engine.ping('bravo', 500);
    assert.equal(refused.ok ? '' : refused.error.kind, 'NotAvailable');
    const unanswered = await bravo.engine.ping('alpha', 1_000);
    assert.ok(unanswered.ok);
    assert.equal(unanswered.value.rttMs, null, 'a disconnected node answers no one');
  });

  test('down outlives a restart; up opens the device, rejoins the base and answers again', async () => {
    const opened = alpha.events.filter((e) => e === 'opened').length;
    alpha = await restart(alpha);
    assert.equal(alpha.engine.status().connection, 'down');
    // Engine.start resolved: had it started the data plane, the device would be open by now.
    assert.equal(alpha.events.filter((e) => e === 'opened').length, opened, 'no device while down');
    assert.equal(alpha.engine.status().base.state, 'offline');

    const up = await alpha.engine.setConnection('up');
    assert.ok(up.ok);
    assert.equal(up.value.connection, 'up');
    assert.equal(alpha.events.at(-1), 'opened');
    await connected(alpha);
    const answered = await waitFor('a reply from alpha', async () => {
      const pinged = await bravo.engine.ping('alpha', 1_000);
      return pinged.ok && pinged.value.rttMs !== null ? pinged.value : undefined;
    });
    assert.ok(answered.reply);
    alpha = await restart(alpha);
    assert.equal(alpha.engine.status().connection, 'up', 'up is kept too');
  });
});
