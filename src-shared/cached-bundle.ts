// Running a program that scripts/bundle-programs.ts left as one CommonJS file, compiled through the
// V8 code cache written beside it at build time, with every function in it: hnetd otherwise parsed
// its 430 KB and compiled each function it ran on its way to a first packet, at every start
// (~35 ms of CPU of its ~150; Node 20 has no module compile cache; docs/decisions.md). A cache made
// by another V8, or for other flags, is refused by V8 itself and the source compiled as usual.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/** Where a bundle's code cache sits. */
export const codeCacheOf = (bundle: string): string => `${bundle}.cache`;

// V8 matches a cache to its source by length only, so a cache file starts with the SHA-256 of the
// source it was made from: a bundle rebuilt without its cache never runs the old one's code.
const DIGEST_BYTES = 32;

interface WrappedBundle {
  readonly text: string;
  readonly digest: Buffer;
}

/**
 * The bundle as V8 compiles it, in Node's CommonJS wrapper; the cache holds this exact text's
 * compilation, so the build and every start must make it the same way.
 */
function wrap(bundle: string): WrappedBundle {
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const text = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  return { text, digest: createHash('sha256').update(text).digest() };
}

const compile = (bundle: string, { text }: WrappedBundle, cachedData?: Buffer): Script =>
  new Script(text, { filename: bundle, cachedData });

/**
 * For the build: the code cache of `bundle` with every function compiled, not only those V8 compiles
 * up front. Compiled with lazy compilation off, cached with it back on, as every start runs and as
 * V8 checks a cache against; throws if V8 would refuse it.
 */
export function makeCodeCache(bundle: string): Buffer {
  const wrapped = wrap(bundle);
  setFlagsFromString('--no-lazy');
  let script: Script;
  try {
    script = compile(bundle, wrapped);
  } finally {
    setFlagsFromString('--lazy');
  }
  const data = script.createCachedData();
  if (compile(bundle, wrapped, data).cachedDataRejected)
    throw new Error(`V8 refuses the code cache it made for ${bundle}`);
  return Buffer.concat([wrapped.digest, data]);
}

/** The V8 data of the bundle's cache when it was made from this very text, else undefined. */
function cacheFor(bundle: string, { digest }: WrappedBundle): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(codeCacheOf(bundle));
  } catch {
    // None (a build without one, or removed): the source compiles as usual.
    return undefined;
  }
  return file.subarray(0, DIGEST_BYTES).equals(digest) ? file.subarray(DIGEST_BYTES) : undefined;
}

/**
 * Runs `bundle` (a path) as Node would run it as a CommonJS main module; says whether its code came
 * from the cache.
 */
export function runBundle(bundle: string): 'cached' | 'compiled' {
  const wrapped = wrap(bundle);
  const cache = cacheFor(bundle, wrapped);
  const script = compile(bundle, wrapped, cache);
  const run = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} };
  run(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return cache && !script.cachedDataRejected ? 'cached' : 'compiled';
}
