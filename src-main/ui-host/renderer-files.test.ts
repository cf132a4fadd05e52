import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { contentSecurityPolicy, readRendererFile } from './renderer-files.js';

describe('serving the built UI', () => {
  let root: string;
  let dir: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hnet-renderer-'));
    dir = join(root, 'dist');
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    await writeFile(join(dir, 'assets', 'app.js'), 'export {}');
    await writeFile(join(root, 'secret.js'), 'the identity key');
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('answers the page and its assets with their types', async () => {
    assert.equal((await readRendererFile(dir, '/'))?.contentType, 'text/html; charset=utf-8');
    assert.equal((await readRendererFile(dir, '/assets/app.js'))?.body.toString(), 'export {}');
  });

  test('never answers anything outside the folder, however the path is spelled', async () => {
    for (const path of [
      '/../secret.js',
      '/assets/../../secret.js',
      '/%2e%2e/secret.js',
      '/..%2fsecret.js',
      '/%00',
      '/%E0%A4%A',
    ])
      assert.equal(await readRendererFile(dir, path), undefined, path);
  });

  test('only known file types are served', async () => {
    await writeFile(join(dir, 'notes.txt'), 'x');
    assert.equal(await readRendererFile(dir, '/notes.txt'), undefined);
  });

  test('the policy allows our own scripts and styles only, and no connection unless named', () => {
    const electron = contentSecurityPolicy([]);
    assert.match(electron, /default-src 'none'/);
    assert.match(electron, /script-src 'self'(;|$)/);
    assert.match(electron, /connect-src 'none'/);
    assert.doesNotMatch(electron, /unsafe-inline|unsafe-eval/);
    assert.match(contentSecurityPolicy(['ws://127.0.0.1:1']), /connect-src ws:\/\/127\.0\.0\.1:1(;|$)/);
  });
});
