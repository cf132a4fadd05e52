// No engine as root, anywhere we ship or test (issue 15): hnetd parses what the network sends, so
// a bug in it must not be a bug in a root process. The scenario toolbox, the shipped unit and
// hnetd itself, when root starts it, all leave it unprivileged.
import assert from 'node:assert/strict';
import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { ENGINE_USER, type Host, type LabProcess } from '../lab/index.js';
import { repoRoot } from '../lab/net-node.js';
import { currentBuild } from '../../scripts/program-build.js';
import { startNode } from '../scenarios/hnet-node.js';
import { scenarioLab } from '../scenarios/scenario-lab.js';
import { hnetdPid, uidsOf } from './attack-kit.js';

/** Settings of one [Service] key, in order (a unit may repeat a key; an empty value resets it). */
function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1]!.trim());
}

describe('the engine’s privileges', () => {
  const world = scenarioLab();
  let host: Host;

  before(async () => {
    const inet = await world.lab.segment('inet');
    host = await world.lab.host('engine', { on: inet });
  });

  test('every hnetd the scenario toolbox starts runs with a non-zero uid', async () => {
    const node = await startNode(host, world.scratch, { baseServers: [] });
    const pid = await hnetdPid(node.daemon);
    const uids = await uidsOf(pid);
    assert.ok(
      uids.every((uid) => uid !== 0),
      `hnetd (pid ${pid}) runs with uids ${uids.join(' ')} (real, effective, saved, filesystem)`,
    );
    await node.daemon.stop();
  });

  test('the shipped hnetd.service runs the engine as its own user with no capabilities', async () => {
    const unit = await readFile(join(repoRoot, 'src-main/cli/systemd/hnetd.service'), 'utf8');
    const user = unitValues(unit, 'User').at(-1);
    const dynamic = unitValues(unit, 'DynamicUser').at(-1);
    assert.ok(
      (user !== undefined && user !== '' && user !== 'root' && user !== '0') || dynamic === 'yes',
      'hnetd.service names no User= (nor DynamicUser=yes): systemd runs it as root',
    );
    assert.equal(
      unitValues(unit, 'CapabilityBoundingSet').at(-1),
      '',
      'CapabilityBoundingSet= must be empty',
    );
    assert.deepEqual(
      unitValues(unit, 'AmbientCapabilities').filter((caps) => caps !== ''),
      [],
      'hnetd.service grants ambient capabilities',
    );
  });

  /** hnetd as root starts it, with HNET_USER set, in a folder of its own that ENGINE_USER owns. */
  async function startAsRoot(
    name: string,
    hnetUser: string,
  ): Promise<{ daemon: LabProcess; socket: string }> {
    const dir = join(world.scratch, name);
    await mkdir(dir, { recursive: true });
    await chown(dir, ENGINE_USER.uid, ENGINE_USER.gid);
    const config = join(dir, 'hnetd.json');
    await writeFile(config, '{}');
    const socket = join(dir, 'control.sock');
    const daemon = host.spawn(currentBuild().argv('hnetd', []), {
      env: {
        ...process.env,
        HNET_USER: hnetUser,
        HNET_STATE_DIR: join(dir, 'state'),
        HNET_CONTROL_SOCKET: socket,
        HNET_HELPER_SOCKET: join(dir, 'helper.sock'),
        HNET_BASE_SERVERS: '',
        HNET_HOSTNAME: name,
        HNET_CONFIG: config,
        HNET_UDP_PORT: '5590',
      },
    });
    return { daemon, socket };
  }

  /** Until the control socket exists or the daemon exits, at most `ms`; answers whether it exists. */
  async function socketAppears(daemon: LabProcess, socket: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && daemon.running) {
      if (await stat(socket).catch(() => undefined)) return true;
      await sleep(20);
    }
    return (await stat(socket).catch(() => undefined)) !== undefined;
  }

  test('hnetd started as root with HNET_USER=uid:gid runs as that user', async () => {
    const { daemon, socket } = await startAsRoot('dropper', `${ENGINE_USER.uid}:${ENGINE_USER.gid}`);
    try {
      assert.ok(await socketAppears(daemon, socket, 20_000), `hnetd did not start:\n${daemon.stderr}`);
      const uids = await uidsOf(await hnetdPid(daemon));
      assert.deepEqual(uids, Array(4).fill(ENGINE_USER.uid), 'hnetd kept running as root');
    } finally {
      await daemon.stop();
    }
  });

  test('hnetd started as root for a user that does not exist stops, says how to fix it, and never serves as root', async () => {
    const { daemon, socket } = await startAsRoot('nouser', 'no-such-user-xyz');
    try {
      const served = await socketAppears(daemon, socket, 20_000);
      assert.equal(served, false, 'hnetd served its control socket as root');
      assert.equal(daemon.running, false, 'hnetd neither served nor stopped within 20 s');
      const { code } = await daemon.exited;
      assert.notEqual(code, 0);
      assert.match(daemon.stderr, /no-such-user-xyz/);
      assert.match(daemon.stderr, /HNET_USER|useradd|adduser/, 'the message should say how to fix it');
    } finally {
      await daemon.stop();
    }
  });
});
