import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveEngineUser } from './drop-privileges.js';

const root = process.getuid?.() === 0;
const ENGINE = { uid: 64211, gid: 64211 };

describe('whom hnetd becomes when root starts it', () => {
  test('uid:gid, with supplementary groups if given, needs no passwd entry', async () => {
    assert.deepEqual(await resolveEngineUser('64211:64211:64200,64300'), {
      ok: true,
      value: {
        description: '64211:64211:64200,64300',
        uid: 64211,
        gid: 64211,
        groups: [64211, 64200, 64300],
      },
    });
  });

  test('root is never a choice, by name or by number', async () => {
    for (const spec of ['root', '0:0']) {
      const user = await resolveEngineUser(spec);
      assert.ok(!user.ok, spec);
      assert.match(user.error.message, /must not run as root/);
    }
  });

  test('a user that does not exist is refused with the command that creates it', async () => {
    const user = await resolveEngineUser('no-such-hnet-user');
    assert.ok(!user.ok);
    assert.match(user.error.message, /"no-such-hnet-user" does not exist; create it \("useradd --system/);
  });
});

// Giving up root cannot be undone, so each case runs in a child process of its own.
describe('giving up root', { skip: !root && 'needs root' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-drop-'));
    await chmod(dir, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const repository = new URL('../..', import.meta.url).pathname;

  function becomeEngine(
    stateDir: string,
    controlSocket: string,
    code = repository,
  ): Promise<{ code: number; out: string }> {
    const folders = JSON.stringify({ stateDir, controlSocket, code });
    const script = `
      import { becomeEngineUser } from './src-main/cli/drop-privileges.ts';
      const user = { description: 'engine', uid: ${ENGINE.uid}, gid: ${ENGINE.gid}, groups: [${ENGINE.gid}] };
      const done = await becomeEngineUser(user, ${folders});
      console.log(JSON.stringify({ done, ids: [process.getuid(), process.geteuid(), process.getgid(), process.getgroups()] }));
      try { process.setuid(0); console.log('regained root'); } catch { console.log('root is gone'); }`;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: repository },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, out: stdout + stderr }),
      );
    });
  }

  test('the state and socket folders become the engine user’s, then root is gone for good', async () => {
    const result = await becomeEngine(join(dir, 'new', 'state'), join(dir, 'new', 'run', 'control.sock'));
    assert.equal(result.code, 0, result.out);
    const [report, regained] = result.out.trim().split('\n');
    assert.deepEqual(JSON.parse(report!), {
      done: { ok: true },
      ids: [ENGINE.uid, ENGINE.uid, ENGINE.gid, [ENGINE.gid]],
    });
    assert.equal(regained, 'root is gone');
    for (const folder of ['new/state', 'new/run'])
      assert.equal((await stat(join(dir, folder))).uid, ENGINE.uid);
    assert.equal((await stat(join(dir, 'new/state'))).mode & 0o777, 0o700);
  });

  test('a state folder a root engine left behind is handed over, files and all', async () => {
    const state = join(dir, 'legacy');
    await mkdir(state, { mode: 0o700 });
    await writeFile(join(state, 'id'), 'key\n', { mode: 0o600 });
    const result = await becomeEngine(state, join(dir, 'legacy-run', 'control.sock'));
    assert.equal(result.code, 0, result.out);
    assert.equal((await stat(join(state, 'id'))).uid, ENGINE.uid);
  });

  test("another user's folder is never taken: hnetd stops instead, still root-free", async () => {
    const state = join(dir, 'someone-else');
    await mkdir(state, { mode: 0o700 });
    await chown(state, 1234, 1234);
    const result = await becomeEngine(state, join(dir, 'x', 'control.sock'));
    assert.match(result.out, /belongs to uid 1234, not to engine/);
    assert.equal((await stat(state)).uid, 1234);
  });

  test("hnet's files where the engine user cannot read them (a clone in /root) stop hnetd with the fix", async () => {
    const closed = join(dir, 'closed');
    await mkdir(join(closed, 'hnet'), { recursive: true, mode: 0o700 });
    await chmod(closed, 0o700);
    const result = await becomeEngine(
      join(dir, 'c-state'),
      join(dir, 'c-run', 'control.sock'),
      join(closed, 'hnet'),
    );
    assert.match(
      result.out,
      /cannot read hnet's files in .*closed\/hnet; keep hnet where other users can read it/,
    );
    assert.match(result.out, /"ids":\[0,0,0,/, 'it must stay root only to stop, never run as the engine');
  });
});
