// The desktop window itself, where Electron's binary is installed (it is not on our offline
// machines: then this says so and skips). Checks what only a real Electron can show: the window
// loads our page from app://, the page has its bridge and no Node, and it shows the engine's state.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { _electron } from 'playwright-core';
import { runCommand } from '../lab/command.js';
import { buildRenderer } from './ui-node.js';

const root = new URL('../..', import.meta.url).pathname;

function electronBinary(): string | undefined {
  const pathFile = join(root, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(root, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
const skip = binary
  ? false
  : 'Electron binary not installed (offline install skips its download); run "node node_modules/electron/install.js" where the network allows';

// Skipped per test rather than per suite, so the run's totals count it and the reporter prints why.
describe('the desktop window', () => {
  test(
    'loads our page sandboxed, with the bridge and without Node, showing this device',
    { skip },
    async () => {
      await runCommand(
        [process.execPath, join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: root,
          timeoutMs: 300_000,
        },
      );
      await runCommand(
        [
          process.execPath,
          join(root, 'node_modules/vite/bin/vite.js'),
          'build',
          '--config',
          'src-main/electron/vite.preload.config.ts',
        ],
        { cwd: root, timeoutMs: 120_000 },
      );
      await buildRenderer();
      const dir = await mkdtemp(join(tmpdir(), 'hnet-electron-'));
      await writeFile(join(dir, 'hnetd.json'), '{}\n');
      const app = await _electron.launch({
        executablePath: binary,
        args: ['--no-sandbox', join(root, 'dist/src-main/electron/main.js')],
        env: {
          ...process.env,
          HNET_CONFIG: join(dir, 'hnetd.json'),
          HNET_STATE_DIR: join(dir, 'state'),
          HNET_CONTROL_SOCKET: join(dir, 'control.sock'),
          HNET_HELPER_SOCKET: join(dir, 'helper.sock'),
          HNET_HOSTNAME: 'electron-test',
          HNET_UDP_PORT: String(20000 + Math.floor(Math.random() * 20000)),
          XDG_CONFIG_HOME: join(dir, 'config'),
        },
      });
      try {
        const page = await app.firstWindow();
        assert.match(page.url(), /^app:\/\/hnet\//);
        await page.getByRole('heading', { name: 'electron-test' }).waitFor({ timeout: 15_000 });
        const inPage = await page.evaluate(() => ({
          bridge: typeof (window as { hnet?: unknown }).hnet,
          require: typeof (window as { require?: unknown }).require,
          process: typeof (window as { process?: unknown }).process,
        }));
        assert.deepEqual(inPage, { bridge: 'object', require: 'undefined', process: 'undefined' });
        const blocked = await page.evaluate(() =>
          fetch('http://127.0.0.1:9/').then(
            () => false,
            () => true,
          ),
        );
        assert.equal(blocked, true);
        await mkdir(join(root, 'test-artifacts/ui'), { recursive: true });
        await page.screenshot({ path: join(root, 'test-artifacts/ui/electron-window.png') });
      } finally {
        await app.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
