// What can be checked of the release packages without Electron's binary: electron-builder itself
// loads and validates electron-builder.yml against its schema, every file the packages take
// exists once the builds ran, what the deb installs fits together (units, launchers, bundles), the
// programs run from the resources folder as electron-builder lays it out, on native libsodium, and
// the app keeps that addon where Electron can load it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import * as fileMatcher from 'app-builder-lib/out/fileMatcher.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger, type Filter } from 'builder-util';
import { readManifest, verifyBundle } from '../../../src-helper/api/install.js';
import { DATABASE_FILE } from '../../../src-server/server-stack.js';
import { LocalServer } from '../../ui-host/local-server.js';
import { LICENSE_PATH } from '../../../src-protocol/license-key.js';
import { loadNativeSodium } from '../../../src-protocol/native-sodium.js';
import { quietLog } from '../../ui-host/testing-hosted-engine.js';
import { buildBundles, helperBundleDir } from './build-bundles.js';

const root = new URL('../../../', import.meta.url).pathname;
const vite = join(root, 'node_modules/vite/bin/vite.js');

function buildWithVite(config: string): void {
  execFileSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'pipe',
  });
}

const targetsOf = (platform: { target?: unknown } | null | undefined): unknown => platform?.target;

// electron-builder's own copy step for extraResources (which drops a top-level node_modules, for
// one) and its filter of what the app takes from node_modules; its declarations leave them out as
// internal.
const { copyFiles, getFileMatchers, getNodeModuleFileMatcher } = fileMatcher as typeof fileMatcher & {
  copyFiles(
    matchers: fileMatcher.FileMatcher[] | null,
    transformer: null,
    useHardLinks: boolean,
  ): Promise<unknown>;
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformOptions: object,
    packager: { config: Configuration; debugLogger: DebugLogger },
  ): fileMatcher.FileMatcher;
};

/** Why sodium-native does not load here, from node_modules; then the packages cannot have it either. */
let nativeMissing: string | undefined;
try {
  loadNativeSodium();
} catch (error) {
  nativeMissing = `sodium-native has no working prebuild on ${process.platform}-${process.arch}: ${String(error)}`;
}
const nativeLibsodium = /crypto="sodium-native \S+ \(native libsodium\)"/;
const wasmLibsodium = /crypto="libsodium-wrappers /;
if (nativeMissing)
  console.log(`# the packed programs are expected on WebAssembly libsodium: ${nativeMissing}`);

/**
 * Copies the extra resources with electron-builder's own matchers into a folder outside this
 * repository, where no node_modules is up the tree: what a package's `resources/` holds.
 */
async function layOutResources(config: Configuration): Promise<string> {
  const resources = await mkdtemp(join(tmpdir(), 'hnet-resources-'));
  const matchers = getFileMatchers(config, 'extraResources', resources, {
    macroExpander: (pattern) => pattern,
    customBuildOptions: config.linux ?? {},
    globalOutDir: join(root, 'release'),
    defaultSrc: root,
  });
  await copyFiles(matchers, null, false);
  return resources;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/**
 * Starts the bundled hnetd at `bundle` on scratch settings and returns its first log line, which
 * says which libsodium it runs on; then stops it.
 */
async function hnetdStartLine(bundle: string): Promise<string> {
  const state = await mkdtemp(join(tmpdir(), 'hnet-packed-hnetd-'));
  const config = join(state, 'hnetd.json');
  await writeFile(
    config,
    JSON.stringify({
      stateDir: state,
      controlSocket: join(state, 'control.sock'),
      helperSocket: join(state, 'helper.sock'),
      udpPort: await freePort(),
    }),
  );
  const child = spawn(process.execPath, [bundle, '--config', config], {
    cwd: '/',
    stdio: ['ignore', 'ignore', 'pipe'],
    signal: AbortSignal.timeout(20_000),
  });
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.once('error', () => undefined);
  try {
    for await (const line of createInterface({ input: child.stderr })) return line;
    return '';
  } finally {
    child.kill();
    await exited;
    await rm(state, { recursive: true, force: true });
  }
}

describe('electron-builder.yml', () => {
  let config: Configuration;
  let resources = '';

  before(async () => {
    // The packages take built files: build them from the current sources.
    buildWithVite('src-renderer/vite.config.ts');
    buildWithVite('src-main/electron/vite.preload.config.ts');
    await buildBundles();
    config = await getConfig(root, null, null);
    resources = await layOutResources(config);
  });
  after(async () => {
    if (resources) await rm(resources, { recursive: true, force: true });
  });

  test('electron-builder accepts it against its own schema', async () => {
    await validateConfiguration(config, new DebugLogger(false));
  });

  test('builds AppImage and deb for Linux, dmg for macOS, nsis for Windows', () => {
    assert.deepEqual(targetsOf(config.linux), ['AppImage', 'deb']);
    assert.deepEqual(targetsOf(config.mac), ['dmg']);
    assert.deepEqual(targetsOf(config.win), ['nsis']);
  });

  test('every extra resource, icon and install script it names exists', () => {
    const named = [
      ...(config.extraResources as { from: string }[]).map((r) => r.from),
      config.linux?.icon,
      config.mac?.icon,
      config.win?.icon,
      config.deb?.afterInstall,
      config.deb?.afterRemove,
      ...(config.deb?.fpm ?? []).map((pair) => pair.split('=')[0]),
    ];
    const missing = named.filter((path) => typeof path !== 'string' || !existsSync(join(root, path)));
    assert.deepEqual(missing, [], `missing: ${missing.join(', ')}`);
    for (const script of [config.deb?.afterInstall, config.deb?.afterRemove])
      accessSync(join(root, script ?? ''), constants.X_OK);
  });

  test('the helper and hnetd ship as extra resources, each with the native addons it loads', async () => {
    const targets = (config.extraResources as { to: string }[]).map((r) => r.to);
    for (const wanted of ['daemons', 'helper', 'systemd/hnetd.service'])
      assert.ok(targets.includes(wanted), `extraResources lacks ${wanted}`);
    const ourAddons = async (dir: string) =>
      (await readdir(join(resources, dir))).filter((f) => /^hnet_.*\.node$/.test(f)).sort();
    assert.deepEqual(await ourAddons('daemons'), ['hnet_dataplane.node', 'hnet_helper.node']);
    // The root helper never gets the engine's data plane, neither the addon nor its loader.
    assert.deepEqual(await ourAddons('helper'), ['hnet_helper.node']);
    assert.doesNotMatch(readFileSync(join(resources, 'helper', 'helper.mjs'), 'utf8'), /hnet_dataplane/);
  });

  test('the deb installs each command a systemd unit starts, and each launcher finds its bundle', () => {
    const pairs = (config.deb?.fpm ?? []).map((pair) => pair.split('=') as [string, string]);
    // Where a path installed by the deb comes from: a file pair, or a file inside a folder pair.
    const sourceOf = (installed: string): string | undefined => {
      for (const [from, to] of pairs) {
        if (to === installed) return from;
        if (to.endsWith('/') && installed.startsWith(to)) return from + installed.slice(to.length);
      }
      return undefined;
    };
    for (const unit of ['hnetd.service', 'hnet-helper.service']) {
      const source = sourceOf(`/lib/systemd/system/${unit}`);
      assert.ok(source, `the deb does not install ${unit}`);
      const execStart =
        /^ExecStart=(.+)$/m.exec(readFileSync(join(root, source), 'utf8'))?.[1]?.split(/\s+/) ?? [];
      for (const path of execStart.filter((word) => word.startsWith('/') && !word.startsWith('/etc/'))) {
        const from = sourceOf(path);
        assert.ok(
          from && existsSync(join(root, from)),
          `${unit} runs ${path}, which the deb does not install`,
        );
        // Our launchers are shell scripts; the helper's node binary is not worth reading.
        if (!from.startsWith('src-main/electron/packaging/linux/')) continue;
        const bundle = /\/opt\/hnet\/resources\/daemons\/(\S+\.mjs)/.exec(
          readFileSync(join(root, from), 'utf8'),
        )?.[1];
        assert.ok(bundle, `${path} runs no bundled program`);
        assert.ok(
          existsSync(join(root, 'dist/daemons', bundle)),
          `${path} runs ${bundle}, which was not built`,
        );
      }
    }
  });

  test('the helper bundle passes the checks the one-time install makes', async () => {
    const manifest = await readManifest(helperBundleDir);
    assert.deepEqual(await verifyBundle(helperBundleDir, manifest), { ok: true });
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), [
      'helper.mjs',
      'hnet-helper.service',
      'hnet_helper.node',
      'node',
    ]);
  });

  test('the bundled hnetd, hnet and hnet-server run from the resources folder, without node_modules', () => {
    const run = (name: string, args: string[]) =>
      execFileSync(process.execPath, [join(resources, 'daemons', `${name}.mjs`), ...args], {
        cwd: '/',
        encoding: 'utf8',
      });
    assert.match(run('hnetd', ['--version']), /^hnetd \d+\.\d+\.\d+/);
    assert.match(run('hnet', ['version']), /^hnet \d+\.\d+\.\d+/);
    assert.match(run('hnet-server', ['--help']), /hnet-server <command>/);
  });

  test("the app takes the desktop platforms' sodium-native addons and keeps them out of its asar archive", () => {
    const app = join(root, 'release/app');
    const platformOptions = config.linux ?? {};
    const taken = getNodeModuleFileMatcher(root, app, (pattern) => pattern, platformOptions, {
      config,
      debugLogger: new DebugLogger(false),
    }).createFilter();
    const unpacked = getFileMatchers(config, 'asarUnpack', app, {
      macroExpander: (pattern) => pattern,
      customBuildOptions: platformOptions,
      globalOutDir: join(root, 'release'),
      defaultSrc: root,
    })?.[0]?.createFilter();
    assert.ok(unpacked, 'electron-builder.yml has no asarUnpack');
    // As electron-builder's node_modules walk presents a file to its filters.
    const passes = (filter: Filter, path: string) =>
      filter(join(root, path), Object.assign(statSync(join(root, path)), { moduleFullFilePath: path }));
    const prebuilds = 'node_modules/sodium-native/prebuilds';
    for (const platform of [
      'linux-x64',
      'linux-arm64',
      'darwin-x64',
      'darwin-arm64',
      'win32-x64',
      'win32-arm64',
    ]) {
      const addon = `${prebuilds}/${platform}/sodium-native.node`;
      assert.ok(passes(taken, addon), `the app leaves out ${addon}`);
      assert.ok(passes(unpacked, addon), `${addon} stays in the asar archive, where it cannot be loaded`);
    }
    assert.ok(passes(taken, 'node_modules/sodium-native/index.js'));
    for (const unused of [
      `${prebuilds}/android-arm64/sodium-native.node`,
      `${prebuilds}/linux-x64/sodium-native.bare`,
    ])
      assert.ok(!passes(taken, unused), `the app takes ${unused}, which no desktop platform loads`);
  });

  test('the packed hnetd runs on native libsodium, and on WebAssembly without the addon beside it', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'hnet-bare-hnetd-'));
    try {
      await copyFile(join(resources, 'daemons', 'hnetd.mjs'), join(bare, 'hnetd.mjs'));
      const [packed, withoutAddon] = await Promise.all([
        hnetdStartLine(join(resources, 'daemons', 'hnetd.mjs')),
        hnetdStartLine(join(bare, 'hnetd.mjs')),
      ]);
      assert.match(packed, /event=starting /);
      assert.match(packed, nativeMissing ? wasmLibsodium : nativeLibsodium);
      assert.match(withoutAddon, wasmLibsodium);
      assert.match(withoutAddon, /nativeCryptoUnavailable="Cannot find module '[^']+\/sodium-native\.node'/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  test('the packed hnet-server opens its SQLite database, serves its license and runs on native libsodium', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'hnet-packed-server-'));
    const [http, tcp, udp, websetupUdp] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // The way "Host a server on this machine" starts it: the whole stack, from the packed resources.
    const started = await LocalServer.start({
      command: [
        process.execPath,
        join(resources, 'daemons', 'hnet-server.mjs'),
        '--state-dir',
        stateDir,
        '--public-ip',
        '127.0.0.1',
        '--http',
        `127.0.0.1:${http}`,
        '--tcp',
        `127.0.0.1:${tcp}`,
        '--udp',
        `127.0.0.1:${udp}`,
        '--websetup-udp',
        String(websetupUdp),
        '--no-metrics',
      ],
      cwd: '/',
      // crypto.ts refuses to start rather than fall back to WebAssembly.
      env: nativeMissing ? process.env : { ...process.env, HNET_CRYPTO_BACKEND: 'native' },
      logFile: join(stateDir, 'hnet-server.log'),
      log: quietLog,
    });
    try {
      assert.ok(started.ok, started.ok ? '' : started.error.message);
      const license = (await (await fetch(started.value.url + LICENSE_PATH)).json()) as {
        base_server_addresses?: unknown;
      };
      assert.deepEqual(license.base_server_addresses, ['127.0.0.1']);
      assert.ok((await readdir(stateDir)).includes(DATABASE_FILE), `${DATABASE_FILE} was created`);
    } finally {
      if (started.ok) await started.value.stop();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  test('the app window gets its preload bundle and its UI', () => {
    assert.ok(existsSync(join(root, 'dist/src-main/electron/preload.cjs')));
    assert.match(
      readFileSync(join(root, 'src-renderer/dist/index.html'), 'utf8'),
      /<script type="module"[^>]*src="\.\/assets\//,
    );
  });
});
