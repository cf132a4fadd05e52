// Builds our own N-API addon (src-helper/native) with node-gyp against the local Node headers, so
// no install script and no header download is ever needed.
//
// Several test runs may start at once (each `npm test` builds first), and `node-gyp rebuild`
// deletes the build directory: so builds take a lock, and skip when the addon is newer than
// every source.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const addonDir = join(root, 'src-helper', 'native');
const output = join(addonDir, 'build', 'Release', 'hnet_native.node');
const lock = join(addonDir, '.build-lock');
const STALE_LOCK_MS = 5 * 60_000;

if (!existsSync(join(addonDir, 'binding.gyp'))) {
  console.log('native: no addon to build yet');
  process.exit(0);
}

function newestSource(): number {
  const sources = [
    join(addonDir, 'binding.gyp'),
    ...readdirSync(join(addonDir, 'src')).map((f) => join(addonDir, 'src', f)),
  ];
  return Math.max(...sources.map((f) => statSync(f).mtimeMs));
}

const upToDate = (): boolean => existsSync(output) && statSync(output).mtimeMs > newestSource();

async function takeLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // A build killed midway leaves its lock behind; after a while it cannot be a live build.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

await takeLock();
try {
  if (upToDate()) {
    console.log('native: src-helper/native/build/Release/hnet_native.node is up to date');
  } else {
    // Node's own headers sit beside the binary (Debian: /usr/include/node); pointing node-gyp at
    // them keeps it from fetching headers over the network.
    const prefix = dirname(dirname(process.execPath));
    const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
    const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const result = spawnSync(
      process.execPath,
      [gyp, 'rebuild', '--silent', ...(nodedir ? [`--nodedir=${nodedir}`] : [])],
      { cwd: addonDir, stdio: 'inherit' },
    );
    if (result.status !== 0) {
      console.error('native: the addon did not build; see the compiler output above');
      process.exitCode = 1;
    } else {
      console.log('native: built src-helper/native/build/Release/hnet_native.node');
    }
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
