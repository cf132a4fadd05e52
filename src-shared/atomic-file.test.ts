import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureDirectory, removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';

describe('atomic files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-atomic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a secret is written with mode 0600 whatever the umask, and no temp file is left behind', async () => {
    const previous = process.umask(0o000);
    try {
      await writeFileAtomic(join(dir, 'secret'), 'key material\n', 0o600);
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(join(dir, 'secret'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(dir, 'secret'), 'utf8'), 'key material\n');
    assert.deepEqual(await readdir(dir), ['secret']);
  });

  test('replacing a world-readable file leaves it with the new content and the requested mode', async () => {
    const path = join(dir, 'replaced');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new', 0o600);
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  test('a write that cannot complete leaves what was there and no temp file', async () => {
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'old');
    // rename() cannot replace a non-empty directory, so the write fails at its last step.
    await assert.rejects(writeFileAtomic(target, 'new', 0o600));
    assert.equal(await readFile(join(target, 'inside'), 'utf8'), 'old');
    assert.ok((await readdir(dir)).every((name) => !name.endsWith('.tmp')));
  });

  test('temp files of a writer killed before its rename are removed, and only those', async () => {
    const stale = join(dir, 'stale');
    await mkdir(stale);
    const file = join(stale, 'hosts');
    await writeFile(file, 'x');
    await writeFile(join(stale, '.hosts.hnet-0123456789ab.tmp'), 'half');
    await writeFile(join(stale, '.other.hnet-0123456789ab.tmp'), 'not ours');
    await removeStaleTempFiles(file);
    assert.deepEqual((await readdir(stale)).sort(), ['.other.hnet-0123456789ab.tmp', 'hosts']);
  });

  test('a state directory is created 0700 and an existing one is tightened, but a sticky shared one is not', async () => {
    const state = join(dir, 'state', 'nested');
    await ensureDirectory(state, 0o700);
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    await chmod(state, 0o755);
    await ensureDirectory(state, 0o700);
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    const shared = join(dir, 'shared');
    await ensureDirectory(shared, 0o755);
    await chmod(shared, 0o1777);
    await ensureDirectory(shared, 0o700);
    assert.equal((await stat(shared)).mode & 0o7777, 0o1777);
  });
});
