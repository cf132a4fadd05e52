// A bundled program runs as a CommonJS main module would, from its code cache when the cache was
// made from that very file, and from its source otherwise: a stale cache never runs old code.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { codeCacheOf, makeCodeCache, runBundle } from './cached-bundle.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hnet-cached-bundle-'));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Ran {
  said: string;
  filename: string;
  dirname: string;
  joined: string;
  exportsIsModuleExports: boolean;
}

const ran = (): Ran => (globalThis as unknown as { hnetBundleRan: Ran }).hnetBundleRan;

/** A program that reports what it saw; `said` tells two versions apart (same length on purpose). */
const program = (said: string): string => `#!/usr/bin/env node
const { join } = require('node:path');
function report() {
  globalThis.hnetBundleRan = {
    said: ${JSON.stringify(said)},
    filename: __filename,
    dirname: __dirname,
    joined: join('a', 'b'),
    exportsIsModuleExports: exports === module.exports,
  };
}
report();
`;

test('a bundle runs from its cache, as a CommonJS main module with require, __filename and __dirname', async () => {
  const bundle = join(dir, 'first.bundle.cjs');
  await writeFile(bundle, program('one'));
  await writeFile(codeCacheOf(bundle), makeCodeCache(bundle));
  assert.equal(runBundle(bundle), 'cached');
  assert.deepEqual(ran(), {
    said: 'one',
    filename: bundle,
    dirname: dir,
    joined: join('a', 'b'),
    exportsIsModuleExports: true,
  });
});

test('a bundle changed after its cache was made runs its new code, compiled', async () => {
  const bundle = join(dir, 'second.bundle.cjs');
  await writeFile(bundle, program('old'));
  await writeFile(codeCacheOf(bundle), makeCodeCache(bundle));
  // V8 would take the old cache for this text: it has the same length.
  await writeFile(bundle, program('new'));
  assert.equal(runBundle(bundle), 'compiled');
  assert.equal(ran().said, 'new');
});

test('a bundle without a cache, or with a damaged one, still runs', async () => {
  const bundle = join(dir, 'third.bundle.cjs');
  await writeFile(bundle, program('bare'));
  assert.equal(runBundle(bundle), 'compiled');
  assert.equal(ran().said, 'bare');
  await writeFile(codeCacheOf(bundle), Buffer.from('not a cache at all'));
  assert.equal(runBundle(bundle), 'compiled');
  assert.equal(ran().said, 'bare');
});
