// hnetd --ui under a service manager: its output goes to a log, so the UI's token must not
// be in it. The whole address is in a file only hnetd's user can read, and `hnet ui` prints it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestHnetd } from './test-hnetd.js';

const root = new URL('../..', import.meta.url).pathname;

test(
  "hnetd --ui keeps the UI's token out of its output; hnet ui prints the whole address",
  // Only a guard against hanging the whole run.
  { timeout: 60_000 },
  async () => {
    const { dir, socketPath, env, daemon, output } = await startTestHnetd('hnet-ui-url-', 'uibox');
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      daemon.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    try {
      const announced = /the UI is at http:\/\/127\.0\.0\.1:(\d+)\//;
      while (!announced.test(output()) && exitCode === undefined && !/browser-ui-unavailable/.test(output()))
        await new Promise((resolve) => setTimeout(resolve, 20));
      const port = announced.exec(output())?.[1];
      assert.ok(port, `hnetd --ui announced no UI:\n${output()}`);
      assert.doesNotMatch(output(), /token=/, 'no token in what goes to the log');

      const file = join(dir, 'run', 'ui-url');
      const saved = await readFile(file, 'utf8');
      const token = new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=([\\w-]+)\\n$`).exec(saved)?.[1];
      assert.ok(token, `ui-url holds ${saved}`);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.ok(!output().includes(token));

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
      assert.equal(exitCode, 0, output());
      await assert.rejects(stat(file), 'the address is forgotten when the UI stops');
      assert.ok(!output().includes(token), 'nor is the token logged on the way out');
    } finally {
      daemon.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  },
);
