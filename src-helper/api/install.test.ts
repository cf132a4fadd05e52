import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createManifest,
  installScript,
  isInstalled,
  parseManifest,
  verifyBundle,
  type HelperManifest,
} from './install.js';

const runAsRoot = (script: string): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], (error, _stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });

describe('helper installation', () => {
  let dir: string;
  let bundle: string;
  let manifest: HelperManifest;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hnet-install-it's-"));
    bundle = join(dir, 'app resources');
    await mkdir(join(bundle, 'lib'), { recursive: true });
    await writeFile(join(bundle, 'helper.mjs'), 'console.log("helper")\n');
    await writeFile(join(bundle, 'lib', 'hnet_helper.node'), Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    manifest = await createManifest(bundle, '1', [
      { path: 'helper.mjs', mode: 0o644 },
      { path: 'lib/hnet_helper.node', mode: 0o755 },
    ]);
  });

  after(() => rm(dir, { recursive: true, force: true }));

  test('the shipped bundle verifies, and a modified or missing file is named', async () => {
    assert.deepEqual(await verifyBundle(bundle, manifest), { ok: true });
    const wrong = { ...manifest, files: [{ ...manifest.files[0]!, sha256: '0'.repeat(64) }] };
    assert.deepEqual(await verifyBundle(bundle, wrong), {
      ok: false,
      problem: `helper.mjs in ${bundle} does not match its SHA-256`,
    });
    const missing = { ...manifest, files: [{ ...manifest.files[0]!, path: 'absent.mjs' }] };
    assert.equal((await verifyBundle(bundle, missing)).ok, false);
  });

  test('a manifest with paths that escape the install directory is refused', () => {
    for (const path of [
      '../etc/passwd',
      '/etc/passwd',
      'a/../../b',
      'a b',
      '-rf',
      'a/./b',
      "x'; reboot; '",
    ]) {
      const json = JSON.stringify({ version: '1', files: [{ path, sha256: 'a'.repeat(64), mode: 0o644 }] });
      assert.throws(() => parseManifest(json), /manifest is invalid/, path);
    }
  });

  test('the elevated script installs a root-owned, verified copy', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root: the script chowns files to root');
    const target = join(dir, 'opt', 'hnet-helper');
    await mkdir(join(dir, 'opt'));
    const result = await runAsRoot(installScript({ bundleDir: bundle, manifest, installDir: target }));
    assert.equal(result.code, 0, result.stderr);
    assert.ok(await isInstalled(manifest, target));
    const native = await stat(join(target, 'lib', 'hnet_helper.node'));
    assert.deepEqual([native.uid, native.gid, native.mode & 0o777], [0, 0, 0o755]);
  });

  test('a file swapped after the app checked it fails verification on the copy; the old install stays', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root: the script chowns files to root');
    const target = join(dir, 'opt', 'hnet-helper');
    assert.equal((await verifyBundle(bundle, manifest)).ok, true);
    await writeFile(join(bundle, 'helper.mjs'), 'require("child_process").exec("evil")\n');
    const result = await runAsRoot(installScript({ bundleDir: bundle, manifest, installDir: target }));
    assert.equal(result.code, 3);
    assert.match(result.stderr, /failed verification; nothing was installed/);
    assert.equal(await readFile(join(target, 'helper.mjs'), 'utf8'), 'console.log("helper")\n');
    await assert.rejects(stat(`${target}.new`), { code: 'ENOENT' });
  });
});
