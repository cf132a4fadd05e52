// After `tsc -p tsconfig.build.json` (npm run build:ts): each program that starts on the way to a
// first ping (the root helper, hnetd) is bundled as one CommonJS file holding all of hnet's own code
// it imports, `<program>.bundle.cjs` beside its compiled file, with the V8 code cache of that file
// (`.cache`), and the compiled file becomes a few lines that run it (src-shared/cached-bundle.ts).
// Loading a hundred small modules cost each process more CPU than everything else it does before
// its first packet, and one ES module compiled at each start still ~35 ms more than one CommonJS
// file run from its cache (docs/decisions.md, "The programs load as one file each" and "The
// programs run from a V8 code cache of every function"). npm packages and Node's own modules stay
// outside, loaded from node_modules as before.
//
// Every module keeps seeing itself where tsc put it: `import.meta.url` in a bundled module reads
// as the URL of its compiled file, so the addon, package.json and code-folder lookups find what
// they found unbundled.
//   node --import tsx scripts/bundle-programs.ts
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { codeCacheOf, makeCodeCache } from '../src-shared/cached-bundle.js';

const root = new URL('..', import.meta.url).pathname;

/** The programs bundled, by source; each one's compiled file (the same path under dist/) runs its bundle. */
export const bundledPrograms = ['src-helper/main.ts', 'src-main/cli/hnetd.ts'] as const;

const compiledPath = (source: string): string => join(root, 'dist', source.replace(/\.tsx?$/, '.js'));

/** Names the URL of the bundle's own file in the code it holds (CommonJS has no `import.meta`). */
const BUNDLE_URL = '__hnetBundleUrl';
const bundleUrlBanner = `const ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;`;

/**
 * `import.meta.url` in each of hnet's modules, as the URL its compiled file had in dist/. Code
 * reached only when running from the sources (`import.meta.resolve('tsx')`) never runs here.
 */
function modulesWhereCompiled(outfile: string): Plugin {
  return {
    name: 'hnet-modules-where-compiled',
    setup(plugin) {
      plugin.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (path.includes('/node_modules/') || !source.includes('import.meta')) return undefined;
        const from = relative(dirname(outfile), compiledPath(relative(root, path)));
        const url = `new URL(${JSON.stringify(from.startsWith('.') ? from : `./${from}`)}, ${BUNDLE_URL}).href`;
        const contents = source
          .replaceAll('import.meta.url', url)
          .replaceAll('import.meta.resolve(', 'require.resolve(');
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** The compiled file's new text: it runs the bundle beside it. */
function launcher(compiled: string, bundle: string): string {
  const runner = relative(dirname(compiled), join(root, 'dist/src-shared/cached-bundle.js'));
  return [
    '#!/usr/bin/env node',
    `// Written by scripts/bundle-programs.ts: the program is ${basename(bundle)}, run through its code cache.`,
    `import { runBundle } from ${JSON.stringify(runner.startsWith('.') ? runner : `./${runner}`)};`,
    `import { fileURLToPath } from 'node:url';`,
    `runBundle(fileURLToPath(new URL(${JSON.stringify(`./${basename(bundle)}`)}, import.meta.url)));`,
    '',
  ].join('\n');
}

export async function bundlePrograms(): Promise<void> {
  for (const source of bundledPrograms) {
    const compiled = compiledPath(source);
    const bundle = compiled.replace(/\.js$/, '.bundle.cjs');
    await build({
      entryPoints: [join(root, source)],
      outfile: bundle,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      banner: { js: bundleUrlBanner },
      // A script run through node:vm has no loader for `import()`: what a program loads when first
      // asked (a package, a module of Node's) is required then instead.
      supported: { 'dynamic-import': false },
      plugins: [modulesWhereCompiled(bundle)],
      logLevel: 'warning',
      allowOverwrite: true,
    });
    // Anything esbuild left as import() would fail only when that path first runs (see above).
    if (/\bimport\(/.test(await readFile(bundle, 'utf8')))
      throw new Error(`${bundle} still holds an import(), which a script run through node:vm cannot do`);
    await writeFile(codeCacheOf(bundle), makeCodeCache(bundle));
    await writeFile(compiled, launcher(compiled, bundle));
    // tsc's map was of the code the bundle now holds (it has its own map).
    await rm(`${compiled}.map`, { force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundlePrograms();
  console.log(`bundled ${bundledPrograms.join(', ')} into dist/`);
}
