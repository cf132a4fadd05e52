// The root helper as it runs, seen from outside: the files its process has mapped. It must map its
// own addon and nothing of the engine's data plane — not the data-plane addon, not libsodium —
// so that no packet-parsing code ever runs as root (DESIGN.md §1). Needs root (a namespace).
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Lab, type LabProcess } from '../e2e/lab/index.js';
import { helperAddonPath, loadNative } from './api/native.js';
import { packetCodeIn } from './test-packet-markers.js';

const isRoot = process.getuid?.() === 0;

describe('the running root helper', { skip: isRoot ? false : 'needs root: a network namespace' }, () => {
  let lab: Lab;
  let helper: LabProcess;
  let dir: string;
  let socketPath: string;

  before(async () => {
    lab = await Lab.create();
    const host = await lab.host('node', { on: await lab.segment('lan') });
    dir = await mkdtemp(join(tmpdir(), 'hnet-helper-maps-'));
    socketPath = join(dir, 'helper.sock');
    const config = join(dir, 'helper.json');
    await writeFile(
      config,
      JSON.stringify({ socketPath, hostsFile: join(dir, 'hosts'), stateFile: join(dir, 'state.json') }),
    );
    helper = host.spawnScript('src-helper/main.ts', ['--config', config]);
    await helper.waitForOutput(/"event":"listening"/);
  });

  after(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('maps its own addon and neither the data-plane addon nor libsodium, after serving a call', async () => {
    // `ip netns exec` execs node itself, so the spawned pid is the helper's.
    const cmdline = await readFile(`/proc/${helper.pid}/cmdline`, 'utf8');
    assert.ok(cmdline.includes('src-helper/main.ts'), `pid ${helper.pid} is ${cmdline}`);
    const { response } = await loadNative().requestWithFd(socketPath, Buffer.from('{"op":"status"}\n'), 5000);
    assert.match(response.toString(), /"ok":true/);

    const mapped = new Set(
      (await readFile(`/proc/${helper.pid}/maps`, 'utf8'))
        .split('\n')
        .map((line) => line.split(/\s+/).slice(5).join(' '))
        .filter((path) => path.startsWith('/')),
    );
    const addons = [...mapped].filter((path) => path.endsWith('.node'));
    assert.deepEqual(addons, [realpathSync(helperAddonPath)], "the only native addon is the helper's");
    for (const addon of addons) assert.deepEqual(packetCodeIn(addon), [], `${addon} has packet code`);
    const sodium = [...mapped].filter((path) => /sodium/.test(path));
    assert.deepEqual(sodium, [], 'no libsodium in the root process');
  });
});
