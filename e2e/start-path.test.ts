// The README's first command, as a new user meets it (issue 17): started by root, the start path
// leaves the root helper running as root and the engine as its own user, prints one block with the
// address to open, and takes both down again when stopped; started by anyone else, quickstart says
// what it needs and stops. In a lab host, so hnet0 and the helper's socket are the lab's.
import assert from 'node:assert/strict';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, after, describe, test } from 'node:test';
import type { Host, LabProcess } from './lab/index.js';
import { ENGINE_USER, HELPER_GROUP, LOCAL_USER } from './lab/users.js';
import { scenarioLab } from './scenarios/scenario-lab.js';

/** The real, effective, saved and filesystem uids of a process. */
async function uidsOf(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return /^Uid:\s+(.*)$/m.exec(status)![1]!.trim().split(/\s+/).map(Number);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the start path', () => {
  const world = scenarioLab();
  let host: Host;
  let start: LabProcess;
  const pids: number[] = [];

  before(async () => {
    host = await world.lab.host('desk', { on: await world.lab.segment('lan') });
  });

  after(() => {
    start?.killNow();
    // Its children live in process groups of their own: a failed test must not leave them behind.
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  test('as root: the helper runs as root, hnetd as its user, one block names a working address; stopping stops both', async () => {
    const dir = join(world.scratch, 'desk');
    await mkdir(join(dir, 'helper'), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, 'hosts'), '127.0.0.1 localhost\n');
    await writeFile(
      join(dir, 'helper.json'),
      JSON.stringify({
        group: HELPER_GROUP,
        socketPath: join(dir, 'helper', 'helper.sock'),
        hostsFile: join(dir, 'hosts'),
        stateFile: join(dir, 'helper', 'state.json'),
      }),
    );
    await writeFile(join(dir, 'hnetd.json'), '{}');
    const logDir = join(dir, 'log');
    start = host.spawn([process.execPath, '--import', 'tsx', 'scripts/start.ts', '--browser'], {
      env: {
        ...process.env,
        HNET_HELPER_CONFIG: join(dir, 'helper.json'),
        HNET_HELPER_SOCKET: join(dir, 'helper', 'helper.sock'),
        HNET_STATE_DIR: join(dir, 'state'),
        HNET_CONTROL_SOCKET: join(dir, 'run', 'control.sock'),
        HNET_CONFIG: join(dir, 'hnetd.json'),
        HNET_USER: `${ENGINE_USER.uid}:${ENGINE_USER.gid}:${HELPER_GROUP}`,
        HNET_BASE_SERVERS: '',
        HNET_LOG_DIR: logDir,
      },
    });
    await start.waitForOutput(/Ctrl-C stops both/, 90_000);
    const block = start.stdout;
    const url = /^ {4}(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(block)?.[1];
    assert.ok(url, `no address with its token in:\n${block}`);
    const enginePid = Number(/hnetd as user .*, pid (\d+); log (\S+)/.exec(block)?.[1]);
    const helperPid = Number(/root helper +pid (\d+) .*; log (\S+)/.exec(block)?.[1]);
    pids.push(enginePid, helperPid);
    assert.ok(block.includes(join(logDir, 'hnetd.log')), 'the block names the engine log');
    assert.ok(block.split('\n').length <= 12, `one short block:\n${block}`);
    assert.doesNotMatch(block, /EBADENGINE|level=|"event"/, 'no log lines among it');

    assert.deepEqual(await uidsOf(helperPid), [0, 0, 0, 0], 'the helper is root');
    assert.deepEqual(await uidsOf(enginePid), Array(4).fill(ENGINE_USER.uid), 'hnetd is not');
    // The address answers (inside the lab host, where 127.0.0.1 is its own), and the engine has hnet0.
    const opened = await host.exec([
      process.execPath,
      '-e',
      `fetch(${JSON.stringify(url)}, { redirect: 'manual' }).then((r) => console.log(r.status))`,
    ]);
    assert.equal(opened.stdout.trim(), '303', 'the address opens the UI');
    await host.exec(['ip', 'link', 'show', 'dev', 'hnet0']);

    const stopped = await start.stop(15_000);
    assert.deepEqual(stopped, { code: 0, signal: null });
    assert.ok(!alive(enginePid), 'hnetd stopped with it');
    assert.ok(!alive(helperPid), 'the helper stopped with it');
    const link = await host.exec(['ip', 'link', 'show', 'dev', 'hnet0'], { allowFailure: true });
    assert.notEqual(link.code, 0, 'hnet0 is gone');
  });

  test('as a normal user: quickstart says it needs root and why, and changes nothing', async () => {
    const result = await host.exec(['bash', 'scripts/quickstart.sh', 'app'], {
      user: LOCAL_USER,
      allowFailure: true,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /needs root/);
    assert.match(result.stderr, /hnet0/);
    assert.match(result.stderr, /installs these Debian packages|every Debian package it needs is installed/);
    assert.match(result.stderr, /sudo bash scripts\/quickstart\.sh app/);
    assert.equal(result.stdout, '');
  });
});
