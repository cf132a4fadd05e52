// Builds our own N-API addons with node-gyp against the local Node headers, so no install script
// and no header download is ever needed: the root helper's (src-helper/native: TUN open, fd
// passing, peer credentials) and the engine's data plane (src-main/native), which the helper never
// loads.
//
// Several test runs may start at once (each `npm test` builds first), and `node-gyp rebuild`
// deletes the build directory: so each build takes a lock, and skips when its addon is newer than
// every source it compiles.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const STALE_LOCK_MS = 5 * 60_000;

interface Addon {
  dir: string;
  target: string;
  /** Source folders besides the addon's own src/ (the data plane compiles the helper's errors.cc). */
  borrows: string[];
}

const helperSources = join(root, 'src-helper', 'native', 'src');
const addons: Addon[] = [
  { dir: join(root, 'src-helper', 'native'), target: 'hnet_helper', borrows: [] },
  { dir: join(root, 'src-main', 'native'), target: 'hnet_dataplane', borrows: [helperSources] },
];

const filesIn = (dir: string): string[] => readdirSync(dir).map((f) => join(dir, f));

function newestSource(addon: Addon): number {
  const sources = [
    join(addon.dir, 'binding.gyp'),
    ...[join(addon.dir, 'src'), ...addon.borrows].flatMap(filesIn),
  ];
  return Math.max(...sources.map((f) => statSync(f).mtimeMs));
}

async function takeLock(lock: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // A build killed midway leaves its lock behind; after a while it cannot be a live build.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > STALE_LOCK_MS)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** False when the compiler failed (its output is above). */
async function build(addon: Addon): Promise<boolean> {
  const output = join(addon.dir, 'build', 'Release', `${addon.target}.node`);
  const shown = relative(root, output);
  const lock = join(addon.dir, '.build-lock');
  await takeLock(lock);
  try {
    if (existsSync(output) && statSync(output).mtimeMs > newestSource(addon)) {
      console.log(`native: ${shown} is up to date`);
      return true;
    }
    // Node's own headers sit beside the binary (Debian: /usr/include/node); pointing node-gyp at
    // them keeps it from fetching headers over the network.
    const prefix = dirname(dirname(process.execPath));
    const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
    const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const result = spawnSync(
      process.execPath,
      [gyp, 'rebuild', '--silent', ...(nodedir ? [`--nodedir=${nodedir}`] : [])],
      { cwd: addon.dir, stdio: 'inherit' },
    );
    if (result.status !== 0) {
      console.error(`native: ${shown} did not build; see the compiler output above`);
      return false;
    }
    console.log(`native: built ${shown}`);
    return true;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

for (const addon of addons) if (!(await build(addon))) process.exitCode = 1;
