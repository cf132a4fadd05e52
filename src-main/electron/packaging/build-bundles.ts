// Builds what the release packages run outside the app's window, each as one ES module with its
// npm dependencies inside (no node_modules needed where they run):
//   dist/daemons/{hnetd,hnet,hnet-server}.mjs       run by the app's Electron binary in Node mode
//                                                    (launchers in linux/, installed to /usr/bin)
//   dist/helper-bundle/                              the root helper as src-helper/install.ts
//                                                    installs it into /opt/hnet-helper: node,
//                                                    helper.mjs, hnet_native.node, the unit and
//                                                    helper-manifest.json with their SHA-256 sums
//   node --import tsx src-main/electron/packaging/build-bundles.ts
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'vite';
import { MANIFEST_NAME, sha256File, type HelperManifest } from '../../../src-helper/install.js';
import { HNET_VERSION } from '../../engine/version.js';

const root = new URL('../../../', import.meta.url).pathname;
export const daemonsDir = join(root, 'dist/daemons');
export const helperBundleDir = join(root, 'dist/helper-bundle');
const nativeAddon = join(root, 'src-helper/native/build/Release/hnet_native.node');
const helperUnit = join(root, 'src-helper/systemd/hnet-helper.service');

async function bundle(entry: string, outDir: string, fileName: string): Promise<void> {
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: join(root, entry),
      outDir,
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      rollupOptions: {
        external: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)],
        // One file per program: the helper's installer copies and checksums files one by one.
        output: { format: 'es', entryFileNames: fileName, codeSplitting: false },
      },
    },
    ssr: { noExternal: true, target: 'node' },
  });
}

export async function buildBundles(): Promise<void> {
  if (!existsSync(nativeAddon))
    throw new Error(`${nativeAddon} is missing: run "npm run build:native" first`);
  await rm(daemonsDir, { recursive: true, force: true });
  await rm(helperBundleDir, { recursive: true, force: true });
  await bundle('src-main/cli/hnetd.ts', daemonsDir, 'hnetd.mjs');
  await bundle('src-main/cli/hnet.ts', daemonsDir, 'hnet.mjs');
  // For "Host a server on this machine" in the app.
  await bundle('src-server/cli.ts', daemonsDir, 'hnet-server.mjs');
  await bundle('src-helper/main.ts', helperBundleDir, 'helper.mjs');

  // The helper runs as root from a root-owned copy, so it brings its own Node runtime rather
  // than trusting whatever `node` a user's PATH finds.
  const files: [string, string, number][] = [
    [process.execPath, 'node', 0o755],
    [nativeAddon, 'hnet_native.node', 0o644],
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
    ['hnet_native.node', 0o644],
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
