// Builds what the release packages run outside the app's window, each as one ES module with its
// npm dependencies inside (no node_modules needed where they run):
//   dist/daemons/{hnetd,hnet,hnet-server}.mjs       run by the app's Electron binary in Node mode
//                                                    (launchers in linux/, installed to /usr/bin)
//   dist/daemons/node-sqlite3-wasm/                  the one dependency kept out of the bundles
//   dist/daemons/sodium-native.node                  native libsodium for them, this platform's
//   dist/daemons/hnet_{helper,dataplane}.node        our two addons: the engine loads both
//   dist/helper-bundle/                              the root helper as src-helper/api/install.ts
//                                                    installs it into /opt/hnet-helper: node,
//                                                    helper.mjs, hnet_helper.node (never the
//                                                    data-plane addon: no root process loads it),
//                                                    the unit and helper-manifest.json with their
//                                                    SHA-256 sums
//   node --import tsx src-main/electron/packaging/build-bundles.ts
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'vite';
import { MANIFEST_NAME, sha256File, type HelperManifest } from '../../../src-helper/api/install.js';
import { HNET_VERSION } from '../../engine/client.js';

const root = new URL('../../../', import.meta.url).pathname;
export const daemonsDir = join(root, 'dist/daemons');
export const helperBundleDir = join(root, 'dist/helper-bundle');
const HELPER_ADDON = 'hnet_helper.node';
const DATAPLANE_ADDON = 'hnet_dataplane.node';
const helperAddon = join(root, 'src-helper/native/build/Release', HELPER_ADDON);
const dataPlaneAddon = join(root, 'src-main/native/build/Release', DATAPLANE_ADDON);
const helperUnit = join(root, 'src-helper/systemd/hnet-helper.service');

// node-sqlite3-wasm is emscripten output: CommonJS that finds its .wasm file through __dirname,
// which an ES module has not. Inlined into a bundle it cannot even load, so it stays a package of
// its own beside the bundles (its package.json keeps it CommonJS), and they import it by path.
const sqlitePackage = 'node-sqlite3-wasm';
const sqliteFiles = ['package.json', 'LICENSE', 'dist'];
const bundledImportPaths = { [sqlitePackage]: `./${sqlitePackage}/dist/${sqlitePackage}.js` };

// version.ts reads package.json from a folder above itself, which an installed bundle does not
// have: the bundles carry the version as it was when they were built.
const versionModule = join(root, 'src-main/engine/version.ts');
const fixedVersion: Plugin = {
  name: 'hnet-fixed-version',
  load: (id) =>
    id === versionModule ? `export const HNET_VERSION = ${JSON.stringify(HNET_VERSION)};\n` : undefined,
};

// sodium-native (src-protocol/native-sodium.ts) looks for its addon under its own package folder,
// which a bundle has not. Inlined into a bundle, its binding.js loads the copy beside the bundle
// instead, and its index.js with the argument checks stays as it is. Where no copy is there (no
// prebuild for the building platform) that throws when crypto starts, and crypto.ts falls back to
// the WebAssembly build: a bundle without the file still runs.
const SODIUM_ADDON = 'sodium-native.node';
const sodiumBinding = join(root, 'node_modules/sodium-native/binding.js');
const sodiumPrebuild = join(
  root,
  'node_modules/sodium-native/prebuilds',
  `${process.platform}-${process.arch}`,
  SODIUM_ADDON,
);
const sodiumAddonBesideBundle: Plugin = {
  name: 'hnet-sodium-addon-beside-bundle',
  load: (id) =>
    id === sodiumBinding
      ? `module.exports = require(require('node:url').fileURLToPath(new URL('./${SODIUM_ADDON}', import.meta.url)));\n`
      : undefined,
};

async function bundle(entry: string, outDir: string, fileName: string): Promise<void> {
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    plugins: [fixedVersion, sodiumAddonBesideBundle],
    build: {
      ssr: join(root, entry),
      outDir,
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      rollupOptions: {
        external: [
          ...builtinModules,
          ...builtinModules.map((name) => `node:${name}`),
          ...Object.keys(bundledImportPaths),
        ],
        // One file per program: the helper's installer copies and checksums files one by one.
        output: {
          format: 'es',
          entryFileNames: fileName,
          codeSplitting: false,
          paths: bundledImportPaths,
        },
      },
    },
    ssr: { noExternal: true, target: 'node' },
  });
}

export async function buildBundles(): Promise<void> {
  for (const addon of [helperAddon, dataPlaneAddon])
    if (!existsSync(addon)) throw new Error(`${addon} is missing: run "npm run build:native" first`);
  await rm(daemonsDir, { recursive: true, force: true });
  await rm(helperBundleDir, { recursive: true, force: true });
  await bundle('src-main/cli/hnetd.ts', daemonsDir, 'hnetd.mjs');
  await bundle('src-main/cli/hnet.ts', daemonsDir, 'hnet.mjs');
  // For "Host a server on this machine" in the app.
  await bundle('src-server/cli.ts', daemonsDir, 'hnet-server.mjs');
  for (const name of sqliteFiles)
    await cp(join(root, 'node_modules', sqlitePackage, name), join(daemonsDir, sqlitePackage, name), {
      recursive: true,
    });
  // The bundles find them beside themselves (or where HNET_NATIVE_ADDON, HNET_DATAPLANE_ADDON say).
  await copyFile(helperAddon, join(daemonsDir, HELPER_ADDON));
  await copyFile(dataPlaneAddon, join(daemonsDir, DATAPLANE_ADDON));
  if (existsSync(sodiumPrebuild)) await copyFile(sodiumPrebuild, join(daemonsDir, SODIUM_ADDON));
  else
    console.warn(
      `sodium-native has no prebuild for ${process.platform}-${process.arch}: the bundles will use the WebAssembly libsodium`,
    );
  await bundle('src-helper/main.ts', helperBundleDir, 'helper.mjs');

  // The helper runs as root from a root-owned copy, so it brings its own Node runtime rather
  // than trusting whatever `node` a user's PATH finds.
  const files: [string, string, number][] = [
    [process.execPath, 'node', 0o755],
    [helperAddon, HELPER_ADDON, 0o644],
    [helperUnit, 'hnet-helper.service', 0o644],
  ];
  for (const [from, name, mode] of files) {
    await copyFile(from, join(helperBundleDir, name));
    await chmod(join(helperBundleDir, name), mode);
  }
  const manifest: HelperManifest = { version: HNET_VERSION, files: [] };
  for (const [path, mode] of [
    ['node', 0o755],
    ['helper.mjs', 0o644],
    [HELPER_ADDON, 0o644],
    ['hnet-helper.service', 0o644],
  ] as const)
    manifest.files.push({ path, sha256: await sha256File(join(helperBundleDir, path)), mode });
  await writeFile(join(helperBundleDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await mkdir(join(root, 'dist'), { recursive: true });
  await buildBundles();
  console.log(`built ${daemonsDir} and ${helperBundleDir}`);
}
