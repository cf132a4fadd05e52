// The root helper serves each client only what is its own (issue 15): another member of its group
// (by default every desktop user) talks to it directly, as any program can. Whatever it asks, the
// engine keeps its interface and the overlay's route, the two nodes keep reaching each other, and
// no name it sends reaches /etc/hosts. Assertions are on the machine, not on the helper's replies,
// so they hold whatever the request format is.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { ENGINE_USER, GROUP_MEMBER } from '../lab/index.js';
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
import { engineSetting, fixtures } from './attack-kit.js';

const OVERLAY_PREFIX = 'fc94::/16';

describe('a member of the helper’s group against another user’s overlay', () => {
  const world = scenarioLab();
  let engine: HnetNode;
  let peer: HnetNode;
  let helperSocket = '';
  /** The interface the engine's address sits on (hnet0 today). */
  let engineInterface = '';

  /** One request from GROUP_MEMBER on engine's host; the helper's reply as printed. */
  async function asMember(mode: 'raw' | 'own-tun', request?: object): Promise<string> {
    const args = [mode, helperSocket, ...(request ? [JSON.stringify(request)] : [])];
    const { stdout } = await engine.host.runScript(`${fixtures}/helper-call.ts`, args, {
      user: GROUP_MEMBER,
    });
    return stdout.trim();
  }

  async function interfaceHolding(address: string): Promise<string | undefined> {
    const { stdout } = await engine.host.exec(['ip', '-6', '-o', 'addr', 'show']);
    const line = stdout.split('\n').find((l) => l.includes(` ${shortForm(address)}/`));
    return line?.split(/\s+/)[1];
  }

  /** The index of the engine's interface; a device removed and made again under its name has another. */
  async function engineInterfaceIndex(): Promise<number | undefined> {
    const { stdout } = await engine.host.exec(['ip', '-o', 'link', 'show'], { allowFailure: true });
    const line = stdout.split('\n').find((l) => new RegExp(`^\\d+: ${engineInterface}[:@]`).test(l));
    return line === undefined ? undefined : Number(line.split(':')[0]);
  }

  /** The engine's interface is there, carries the overlay's route, and the peer answers pings. */
  async function assertEngineOwnsOverlay(helperSaid: string): Promise<void> {
    assert.notEqual(
      await engineInterfaceIndex(),
      undefined,
      `${engineInterface} is gone; the helper said ${helperSaid}`,
    );
    const route = await engine.host.exec(['ip', '-6', 'route', 'get', peer.address], { allowFailure: true });
    assert.match(
      route.stdout + route.stderr,
      new RegExp(` dev ${engineInterface} `),
      `${OVERLAY_PREFIX} no longer routes through the engine's ${engineInterface}; the helper said ${helperSaid}`,
    );
    const output = await ping(engine.host, peer.address, { count: 5 });
    assert.ok(pingsReceived(output) >= 3, output);
  }

  before(async () => {
    const { lab, scratch } = world;
    const inet = await lab.segment('inet');
    const base = await startBase(await lab.host('base', { on: inet }));
    const options = { baseServers: [base.server] };
    [engine, peer] = await Promise.all([
      startNode(await lab.host('engine', { on: inet }), scratch, options),
      startNode(await lab.host('peer', { on: inet }), scratch, options),
    ]);
    await introduce([engine, peer]);
    helperSocket = await engineSetting(engine.daemon, 'HNET_HELPER_SOCKET');
    engineInterface = (await interfaceHolding(engine.address)) ?? '';
    assert.ok(engineInterface, `no interface holds the engine's address ${engine.address}`);
    await assertEngineOwnsOverlay('nothing yet');
    // Without this the attacks below would prove nothing: the helper must admit the member at all.
    const status = await asMember('raw', { op: 'status' });
    assert.match(status, /^\{"ok":true/, `the helper does not admit its group's members: ${status}`);
  });

  test('a name it asks for (deb.debian.org → an fc94 address) never reaches /etc/hosts', async (t) => {
    const reply = await asMember('raw', {
      op: 'writeHosts',
      entries: [{ address: 'fc94:6666:6666:6666:6666:6666:6666:6666', hostname: 'deb.debian.org' }],
    });
    t.diagnostic(`the helper said ${reply}`);
    await sleep(500);
    assert.doesNotMatch(
      await readFile(engine.host.hostsFile, 'utf8'),
      /deb\.debian\.org/,
      `the helper wrote a member's name into /etc/hosts (it replied ${reply})`,
    );
  });

  test('a TUN it opens with the engine’s address, or one of its own, and closes leaves the overlay’s route with the engine', async (t) => {
    const replies = [
      await asMember('raw', { op: 'openTun', name: 'evil0', address: engine.address, mtu: 1350 }),
      await asMember('raw', { op: 'closeTun', name: 'evil0' }),
      await asMember('own-tun'),
    ];
    t.diagnostic(`the helper said ${replies.join(', then ')}`);
    await assertEngineOwnsOverlay(replies.join(', then '));
  });

  test('closing the engine’s interface is refused', async (t) => {
    const index = await engineInterfaceIndex();
    const reply = await asMember('raw', { op: 'closeTun', name: engineInterface });
    t.diagnostic(`the helper said ${reply}`);
    // The engine makes its interface again when it loses it: the index tells the two apart.
    assert.equal(
      await engineInterfaceIndex(),
      index,
      `${engineInterface} was removed; the helper said ${reply}`,
    );
    await assertEngineOwnsOverlay(reply);
  });

  test('holding hundreds of connections to the helper gets it a few; the engine is still served', async (t) => {
    const flood = engine.host.spawn(
      [process.execPath, '--import', 'tsx', `${fixtures}/flood.ts`, 'hold', helperSocket, '200'],
      { user: GROUP_MEMBER },
    );
    try {
      await flood.waitForOutput(/^holding \d+$/m, 15_000);
      const own = await asMember('raw', { op: 'status' });
      t.diagnostic(`the member's own call during its flood: ${own}`);
      assert.match(own, /"kind":"Busy"/, 'the helper served the member beyond its share');
      const { stdout } = await engine.host.runScript('src-helper/call.ts', ['--socket', helperSocket], {
        user: ENGINE_USER,
      });
      assert.match(stdout, /"tuns":\[\{"name":"hnet0"/, 'the engine was not served during the flood');
    } finally {
      await flood.stop();
    }
    await assertEngineOwnsOverlay('nothing: it only held connections');
  });
});
