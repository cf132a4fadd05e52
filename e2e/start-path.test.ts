// The README's first command, as a new user meets it (issue 17): started by root, the start path
// leaves the root helper running as root and the engine as its own user, prints one block with the
// address to open, and takes both down again when stopped; started by anyone else, quickstart says
// what it needs and stops. In a lab host, so hnet0 and the helper's socket are the lab's.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, after, describe, test } from 'node:test';
import type { Host, LabProcess } from './lab/index.js';
import { currentBuild, type Program } from '../scripts/program-build.js';
import { repoRoot } from './lab/net-node.js';
import { ENGINE_USER, LOCAL_USER } from './lab/users.js';
import { scenarioLab } from './scenarios/scenario-lab.js';
import { readStartBlock, START_COMMAND, startPathEnvironment } from './start-path-run.js';

/** The real, effective, saved and filesystem uids of a process. */
async function uidsOf(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return /^Uid:\s+(.*)$/m.exec(status)![1]!.trim().split(/\s+/).map(Number);
}

/** The script `program` runs from `code` in the build the lab chose, as the start path chooses it. */
const scriptOf = (program: Program, code: string): string => currentBuild().argv(program, [], code).at(-1)!;

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

  // A folder only root may enter, holding the repository (bind-mounted, read-only: nothing here may
  // ever delete through it), as a clone in /root is.
  let closed: string | undefined;

  after(async () => {
    start?.killNow();
    // Its children live in process groups of their own: a failed test must not leave them behind.
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (!closed) return;
    execFileSync('umount', [join(closed, 'hnet')]);
    await rmdir(join(closed, 'hnet'));
    await rmdir(closed);
  });

  const deskEnvironment = (name: string) => startPathEnvironment(world.scratch, name);

  /** The block's address and pids; both processes are killed after the tests whatever happens. */
  function readBlock(block: string): { url: string; enginePid: number; helperPid: number } {
    const read = readStartBlock(block);
    pids.push(read.enginePid, read.helperPid);
    return read;
  }

  /** The HTTP status the address answers with, inside the lab host (where 127.0.0.1 is its own). */
  async function statusOf(url: string): Promise<string> {
    const opened = await host.exec([
      process.execPath,
      '-e',
      `fetch(${JSON.stringify(url)}, { redirect: 'manual' }).then((r) => console.log(r.status))`,
    ]);
    return opened.stdout.trim();
  }

  test('as root: the helper runs as root, hnetd as its user, one block names a working address; stopping stops both', async (t) => {
    const env = await deskEnvironment('desk');
    const logDir = env['HNET_LOG_DIR']!;
    const startedAt = performance.now();
    start = host.spawn(START_COMMAND, { env });
    await start.waitForOutput(/Ctrl-C stops both/, 90_000);
    t.diagnostic(`the block came ${Math.round(performance.now() - startedAt)} ms after the command started`);
    const block = start.stdout;
    const { url, enginePid, helperPid } = readBlock(block);
    assert.ok(block.includes(join(logDir, 'hnetd.log')), 'the block names the engine log');
    assert.ok(block.split('\n').length <= 12, `one short block:\n${block}`);
    assert.doesNotMatch(block, /EBADENGINE|level=|"event"/, 'no log lines among it');

    assert.deepEqual(await uidsOf(helperPid), [0, 0, 0, 0], 'the helper is root');
    assert.deepEqual(await uidsOf(enginePid), Array(4).fill(ENGINE_USER.uid), 'hnetd is not');
    // What `npm run build` built, when it is current (as here after the quickstart): not tsx.
    for (const [pid, program] of [
      [enginePid, 'hnetd'],
      [helperPid, 'helper'],
    ] as const) {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(cmdline.includes(scriptOf(program, repoRoot)), `${program} runs ${cmdline.join(' ')}`);
    }
    // The address answers, and the engine has hnet0.
    assert.equal(await statusOf(url), '303', 'the address opens the UI');
    await host.exec(['ip', 'link', 'show', 'dev', 'hnet0']);

    const stopped = await start.stop(15_000);
    assert.deepEqual(stopped, { code: 0, signal: null });
    assert.ok(!alive(enginePid), 'hnetd stopped with it');
    assert.ok(!alive(helperPid), 'the helper stopped with it');
    const link = await host.exec(['ip', 'link', 'show', 'dev', 'hnet0'], { allowFailure: true });
    assert.notEqual(link.code, 0, 'hnet0 is gone');
  });

  test('as root, from a checkout other users cannot enter: hnetd reads it through a read-only bind mount, gone when stopped', async () => {
    closed = await mkdtemp(join(tmpdir(), 'hnet-private-'));
    const checkout = join(closed, 'hnet');
    await mkdir(checkout);
    execFileSync('mount', ['--bind', '-o', 'ro', repoRoot, checkout]);
    // The mount is made in the lab host's own mount namespace; the shell reports, in that namespace,
    // whether it is still there once the start path has stopped (ignoring the SIGTERM meant for it).
    const report =
      'trap "" TERM; "$@"; code=$?; echo "mounts left: $(grep -c " /run/hnet-app/code " /proc/self/mountinfo)"; exit $code';
    start = host.spawn(['sh', '-c', report, 'sh', ...START_COMMAND], {
      cwd: checkout,
      env: await deskEnvironment('closed-desk'),
    });
    await start.waitForOutput(/Ctrl-C stops both/, 90_000);
    const block = start.stdout;
    assert.match(block, /read-only .*\/run\/hnet-app\/code/, 'the block says where hnetd reads its files');
    const { url, enginePid, helperPid } = readBlock(block);
    assert.deepEqual(await uidsOf(enginePid), Array(4).fill(ENGINE_USER.uid), 'hnetd is not root');
    const cmdline = await readFile(`/proc/${enginePid}/cmdline`, 'utf8');
    assert.ok(cmdline.includes(scriptOf('hnetd', '/run/hnet-app/code')), cmdline);
    const mountinfo = await readFile(`/proc/${enginePid}/mountinfo`, 'utf8');
    const mount = mountinfo.split('\n').find((line) => line.split(' ')[4] === '/run/hnet-app/code');
    assert.match(mount?.split(' ')[5] ?? '', /^ro\b/, `read-only: ${mount}`);
    // The checkout was closed to other local users, and the mount keeps it so.
    const peek = await host.exec(['ls', '/run/hnet-app/code'], { user: LOCAL_USER, allowFailure: true });
    assert.notEqual(peek.code, 0, `another user lists the checkout: ${peek.stdout}`);
    assert.equal(await statusOf(url), '303', 'the address opens the UI');

    assert.deepEqual(await start.stop(15_000), { code: 0, signal: null });
    assert.ok(!alive(enginePid) && !alive(helperPid), 'both stopped');
    assert.match(start.stdout, /mounts left: 0$/m, 'the mount is gone');
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
