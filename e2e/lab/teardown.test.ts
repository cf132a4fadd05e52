import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Lab, sweepStaleLabs } from './index.js';
import { repoRoot } from './net-node.js';

interface ChildLab {
  readonly prefix: string;
  readonly namespaces: string[];
  readonly sleeperPid: number;
}

function namespacesNamed(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

/** A zombie waiting for a parent that no longer exists counts as gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function markerExists(prefix: string): boolean {
  return existsSync(`/run/hnet-lab/${prefix}.json`);
}

/** Starts fixtures/lab-child.ts and waits for the lab it reports. */
async function startChildLab(t: TestContext, mode: 'wait' | 'throw' = 'wait') {
  const child = spawn(process.execPath, ['--import', 'tsx', 'e2e/lab/fixtures/lab-child.ts', mode], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const report = await new Promise<ChildLab>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line) resolve(JSON.parse(line) as ChildLab);
    });
    void exited.then(() => reject(new Error(`lab child exited before reporting its lab:\n${stderr}`)));
  });
  // If an assertion below fails, the child must not outlive this test file.
  t.after(() => void child.kill('SIGKILL'));
  return { child, exited, report, stderr: () => stderr };
}

function assertNothingLeft(report: ChildLab): void {
  assert.deepEqual(namespacesNamed(report.prefix), []);
  assert.equal(isRunning(report.sleeperPid), false, 'the process spawned inside the lab still runs');
  assert.equal(markerExists(report.prefix), false, 'the ownership marker is still there');
  assert.equal(
    existsSync(`/etc/netns/${report.prefix}-a`),
    false,
    'the private /etc of host a is still there',
  );
}

describe('lab teardown', () => {
  test('destroy() deletes every namespace of the run and stops its processes', async (t) => {
    const lab = await Lab.create();
    t.after(() => lab.destroy());
    const inet = await lab.segment('inet');
    const lan = await lab.segment('lan');
    await lab.router('nat', { wan: inet, lan, mode: 'symmetric' });
    const host = await lab.host('a', { on: lan });
    const sleeper = host.spawn(['sleep', '1000']);
    assert.deepEqual(namespacesNamed(lab.prefix).sort(), [
      `${lab.prefix}-a`,
      `${lab.prefix}-inet`,
      `${lab.prefix}-lan`,
      `${lab.prefix}-nat`,
    ]);

    await lab.destroy();

    assertNothingLeft({ prefix: lab.prefix, namespaces: [], sleeperPid: sleeper.pid });
    assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGTERM' });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`a run interrupted by ${signal} leaves nothing behind and still dies of ${signal}`, async (t) => {
      const { child, exited, report } = await startChildLab(t);
      assert.equal(namespacesNamed(report.prefix).length, 4, 'the child did not build its lab');
      assert.equal(isRunning(report.sleeperPid), true);

      child.kill(signal);

      assert.deepEqual(await exited, { code: null, signal });
      assertNothingLeft(report);
    });
  }

  test('a run that dies of an uncaught exception leaves nothing behind', async (t) => {
    const { exited, report, stderr } = await startChildLab(t, 'throw');
    assert.deepEqual(await exited, { code: 1, signal: null });
    assert.match(stderr(), /a test crashed/);
    assertNothingLeft(report);
  });

  test('the sweeper removes labs of killed runs and leaves a live lab alone', async (t) => {
    const live = await Lab.create();
    t.after(() => live.destroy());
    await live.segment('inet');
    const { child, exited, report } = await startChildLab(t);
    child.kill('SIGKILL'); // no handler can run: the lab stays behind
    await exited;
    assert.equal(namespacesNamed(report.prefix).length, 4, 'SIGKILL should have left the lab behind');
    assert.equal(isRunning(report.sleeperPid), true, 'SIGKILL should have left the sleeper running');

    const swept = await sweepStaleLabs();

    assert.deepEqual(swept.sort(), [...report.namespaces].sort());
    assertNothingLeft(report);
    assert.deepEqual(namespacesNamed(live.prefix), [`${live.prefix}-inet`]);
    assert.equal(markerExists(live.prefix), true);
  });
});
