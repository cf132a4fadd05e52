// After `tsc -p tsconfig.build.json` (npm run build:ts): each program that starts on the way to a
// first ping (the root helper, hnetd) is rewritten in dist/ as one ES module holding all of hnet's
// own code it imports, in place of the compiled file that imported the rest one module at a time.
// Loading a hundred small modules cost each process more CPU than everything else it does before
// its first packet (docs/decisions.md, "The programs load as one file each"). npm packages and
// Node's own modules stay outside, loaded from node_modules as before.
//
// Every module keeps seeing itself where tsc put it: `import.meta.url` in a bundled module reads
// as the URL of its compiled file beside the bundle, so the addon, package.json and code-folder
// lookups find what they found unbundled.
//   node --import tsx scripts/bundle-programs.ts
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** The programs bundled, by source; each replaces its compiled file (the same path under dist/). */
export const bundledPrograms = ['src-helper/main.ts', 'src-main/cli/hnetd.ts'] as const;

const compiledPath = (source: string): string => join(root, 'dist', source.replace(/\.tsx?$/, '.js'));

/** `import.meta.url` in each of hnet's modules, as the URL its compiled file had in dist/. */
function modulesWhereCompiled(outfile: string): Plugin {
  return {
    name: 'hnet-modules-where-compiled',
    setup(plugin) {
      plugin.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (path.includes('/node_modules/') || !source.includes('import.meta.url')) return undefined;
        const from = relative(dirname(outfile), compiledPath(relative(root, path)));
        const url = `new URL(${JSON.stringify(from.startsWith('.') ? from : `./${from}`)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

// Bundled modules that `require()` a package (native-sodium.ts: sodium-native) get Node's own,
// resolving from the bundle's folder as from theirs: both sit under the same node_modules.
const requireBanner =
  "import { createRequire as hnetCreateRequire } from 'node:module';\nconst require = hnetCreateRequire(import.meta.url);";

/**
 * What a program loads only when asked (hnetd's browser UI) stays out of its first file: a chunk
 * beside it, `<program>.chunk-<hash>.js`, loaded by its `import()`. Those of an earlier build are
 * removed first, so dist/ holds only the current ones.
 */
async function removeOldChunks(dir: string, program: string): Promise<void> {
  const prefix = `${program}.chunk-`;
  for (const name of await readdir(dir))
    if (name.startsWith(prefix)) await rm(join(dir, name), { force: true });
}

export async function bundlePrograms(): Promise<void> {
  for (const source of bundledPrograms) {
    const outfile = compiledPath(source);
    const program = basename(outfile, '.js');
    await removeOldChunks(dirname(outfile), program);
    await build({
      entryPoints: [join(root, source)],
      outdir: dirname(outfile),
      entryNames: '[name]',
      chunkNames: `${program}.chunk-[hash]`,
      splitting: true,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      banner: { js: requireBanner },
      plugins: [modulesWhereCompiled(outfile)],
      logLevel: 'warning',
      allowOverwrite: true,
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bundlePrograms();
  console.log(`bundled ${bundledPrograms.join(', ')} into dist/`);
}
