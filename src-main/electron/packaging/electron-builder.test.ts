// What can be checked of the release packages without Electron's binary: electron-builder itself
// loads and validates electron-builder.yml against its schema, every file the packages take
// exists once the builds ran, what the deb installs fits together (units, launchers, bundles), and
// the programs run from the resources folder as electron-builder lays it out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import * as fileMatcher from 'app-builder-lib/out/fileMatcher.js';
import type { Configuration } from 'app-builder-lib';
import { DebugLogger } from 'builder-util';
import { readManifest, verifyBundle } from '../../../src-helper/install.js';
import { DATABASE_FILE } from '../../../src-server/server-stack.js';
import { LocalServer } from '../local-server.js';
import { LICENSE_PATH } from '../../../src-protocol/license-key.js';
import { quietLog } from '../testing/hosted-engine.js';
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
// one); its declarations leave it out as internal.
const { copyFiles, getFileMatchers } = fileMatcher as typeof fileMatcher & {
  copyFiles(
    matchers: fileMatcher.FileMatcher[] | null,
    transformer: null,
    useHardLinks: boolean,
  ): Promise<unknown>;
};

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

  test('the helper and hnetd ship as extra resources, with the native addon beside them', () => {
    const targets = (config.extraResources as { to: string }[]).map((r) => r.to);
    for (const wanted of ['daemons', 'daemons/hnet_native.node', 'helper', 'systemd/hnetd.service'])
      assert.ok(targets.includes(wanted), `extraResources lacks ${wanted}`);
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
      'hnet_native.node',
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

  test('the packed hnet-server opens its SQLite database and serves its license', async () => {
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
