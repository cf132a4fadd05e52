// The renderer must stay free of Node and of engine code: it runs sandboxed in Electron and as a
// plain page in browser mode. A stray value import from src-main (validators pull in libsodium and
// node:crypto) would still build — Vite swaps Node modules for empty stubs — and fail only at
// runtime, so the built bundle is checked here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'vite';

const root = new URL('./', import.meta.url).pathname;

describe('the renderer bundle', () => {
  let code = '';
  let html = '';
  let out = '';
  before(async () => {
    // A folder of its own: other tests build into src-renderer/dist at the same time.
    out = await mkdtemp(join(tmpdir(), 'hnet-renderer-build-'));
    await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir: out } });
    const assets = join(out, 'assets');
    code = readdirSync(assets)
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(assets, name), 'utf8'))
      .join('\n');
    html = readFileSync(join(out, 'index.html'), 'utf8');
  });
  after(() => rm(out, { recursive: true, force: true }));

  test('carries no Node module and no engine code', () => {
    assert.doesNotMatch(code, /__vite-browser-external|libsodium|require\(["']node:/);
  });

  test('has no inline script or style for the Content-Security-Policy to refuse', () => {
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style|\sstyle=/);
  });
});
