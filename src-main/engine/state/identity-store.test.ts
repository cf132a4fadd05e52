import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { identityAddress, loadOrCreateIdentity } from './identity-store.js';
import { openStateDir } from './state-dir.js';

describe('identity in the state directory', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-identity-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the first start creates the identity (0600 in a 0700 directory) and later starts keep the address', async () => {
    const state = await openStateDir(join(dir, 'state'));
    assert.ok(state.ok);
    const first = await loadOrCreateIdentity(state.value.identityFile);
    assert.ok(first.ok);
    assert.equal(first.value.created, true);
    assert.equal((await stat(state.value.root)).mode & 0o777, 0o700);
    assert.equal((await stat(state.value.identityFile)).mode & 0o777, 0o600);
    const again = await loadOrCreateIdentity(state.value.identityFile);
    assert.ok(again.ok);
    assert.equal(again.value.created, false);
    assert.equal(identityAddress(again.value.identity), identityAddress(first.value.identity));
    assert.match(identityAddress(first.value.identity), /^fc94:/);
  });

  test('an identity file others can read is tightened to 0600, not replaced', async () => {
    const file = join(dir, 'loose-id');
    const created = await loadOrCreateIdentity(file);
    assert.ok(created.ok);
    await chmod(file, 0o644);
    const loaded = await loadOrCreateIdentity(file);
    assert.ok(loaded.ok);
    assert.equal(loaded.value.tightened, true);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(identityAddress(loaded.value.identity), identityAddress(created.value.identity));
  });

  test('a damaged identity file is a clear error and is left exactly as it was', async () => {
    const file = join(dir, 'damaged-id');
    const created = await loadOrCreateIdentity(file);
    assert.ok(created.ok);
    const damaged = (await readFile(file, 'utf8')).replace(/[0-9a-f](?=\n)/, (c) => (c === '0' ? '1' : '0'));
    await writeFile(file, damaged);
    const loaded = await loadOrCreateIdentity(file);
    assert.equal(loaded.ok, false);
    if (!loaded.ok) {
      assert.equal(loaded.error.kind, 'CorruptIdentity');
      assert.match(loaded.error.message, /damaged-id is damaged: .*will not replace it/);
    }
    assert.equal(await readFile(file, 'utf8'), damaged);
  });

  test('an unusable state directory says what to do', async () => {
    await writeFile(join(dir, 'a-file'), '');
    const state = await openStateDir(join(dir, 'a-file', 'state'));
    assert.equal(state.ok, false);
    if (!state.ok) assert.match(state.error.message, /cannot use state directory .* set HNET_STATE_DIR/);
  });
});
