// Builds our own N-API addon (src-helper/native) with node-gyp against the local Node headers, so
// no install script and no header download is ever needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const addonDir = join(root, 'src-helper', 'native');

if (!existsSync(join(addonDir, 'binding.gyp'))) {
  console.log('native: no addon to build yet');
  process.exit(0);
}

// Node's own headers sit beside the binary (Debian: /usr/include/node); pointing node-gyp at them
// keeps it from fetching headers over the network.
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
  process.exit(1);
}
console.log('native: built src-helper/native/build/Release/hnet_native.node');
