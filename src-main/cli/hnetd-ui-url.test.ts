// hnetd --ui under a service manager: its output goes to a log, so the UI's one-time token must not
// be in it. The whole address is in a file only hnetd's user can read, and `hnet ui` prints it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

test(
  "hnetd --ui keeps the UI's token out of its output; hnet ui prints the whole address",
  // Only a guard against hanging the whole run.
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hnet-ui-url-'));
    await chmod(dir, 0o755);
    const socketPath = join(dir, 'run', 'control.sock');
    const configFile = join(dir, 'hnetd.json');
    await writeFile(
      configFile,
      JSON.stringify({ hostname: 'uibox', udpPort: 40_000 + Math.floor(Math.random() * 20_000) }),
    );
    const env = {
      ...process.env,
      HNET_CONFIG: configFile,
      HNET_STATE_DIR: join(dir, 'state'),
      HNET_CONTROL_SOCKET: socketPath,
      HNET_HELPER_SOCKET: join(dir, 'run', 'helper.sock'),
      HNET_UI_PORT: '0',
      ...(asRoot ? { HNET_USER: '64221:64221' } : {}),
    };
    // stdout and stderr are pipes, as under systemd: what hnetd writes there is a log.
    const daemon = spawn(process.execPath, ['--import', 'tsx', join(root, 'src-main/cli/hnetd.ts'), '--ui'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    daemon.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    daemon.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      daemon.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    try {
      const announced = /the UI is at http:\/\/127\.0\.0\.1:(\d+)\//;
      while (!announced.test(output) && exitCode === undefined && !/browser-ui-unavailable/.test(output))
        await new Promise((resolve) => setTimeout(resolve, 20));
      const port = announced.exec(output)?.[1];
      assert.ok(port, `hnetd --ui announced no UI:\n${output}`);
      assert.doesNotMatch(output, /token=/, 'no token in what goes to the log');

      const file = join(dir, 'run', 'ui-url');
      const saved = await readFile(file, 'utf8');
      const token = new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=([\\w-]+)\\n$`).exec(saved)?.[1];
      assert.ok(token, `ui-url holds ${saved}`);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.ok(!output.includes(token));

      const hnet = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(root, 'src-main/cli/hnet.ts'), 'ui', '--socket', socketPath],
        { cwd: root, env, encoding: 'utf8' },
      );
      assert.equal(hnet.status, 0, hnet.stderr);
      assert.equal(hnet.stdout, saved);
      const opened = await fetch(saved.trim(), { redirect: 'manual' });
      assert.equal(opened.status, 303, 'the saved address opens the UI');

      daemon.kill('SIGTERM');
      await exited;
      assert.equal(exitCode, 0, output);
      await assert.rejects(stat(file), 'the address is forgotten when the UI stops');
      assert.ok(!output.includes(token), 'nor is the token logged on the way out');
    } finally {
      daemon.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  },
);
