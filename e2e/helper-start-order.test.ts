// hnetd and the root helper started in the "wrong" order, as systemd may at boot or when the
// helper is restarted: hnetd waits for the helper's socket and opens hnet0 as soon as the helper
// listens, not on its 5 s retry timer. Real hnetd, real helper, real hnet0, in a lab host.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HelperClient } from '../src-helper/api/helper-client.js';
import { HELPER_VERSION } from '../src-helper/operations.js';
import type { Host, LabProcess } from './lab/index.js';
import { ENGINE_USER, HELPER_GROUP } from './lab/users.js';
import { currentBuild } from '../scripts/program-build.js';
import { scenarioLab } from './scenarios/scenario-lab.js';

/** hnet0 must be up this soon after the helper says it listens (the retry timer is 5 s). */
const PROMPT_MS = 1_000;

/** Resolves with when (performance.now()) hnetd has logged `pattern` `times` times. */
async function logged(
  daemon: LabProcess,
  pattern: RegExp,
  times: number,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const count = (): number => daemon.stderr.split('\n').filter((line) => pattern.test(line)).length;
  while (count() < times) {
    if (performance.now() > deadline || !daemon.running)
      assert.fail(`hnetd did not log ${pattern} ${times} times:\n${daemon.stderr}`);
    await sleep(5);
  }
  return performance.now();
}

/**
 * A stand-in for systemd's notification socket: resolves with the first datagram sent to `path`.
 * systemd-socket-activate ships with systemd, as systemd-notify does.
 */
function notificationAt(path: string): { listening: Promise<void>; message: Promise<string>; stop(): void } {
  // --inetd makes the socket dd's stdin (and stdout): the datagram is copied to stderr.
  const receiver = spawn(
    'systemd-socket-activate',
    ['--datagram', '--inetd', '-l', path, 'sh', '-c', 'dd bs=4096 count=1 status=none >&2'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let text = '';
  const listening = new Promise<void>((resolve, reject) => {
    receiver.on('error', reject);
    receiver.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Listening on')) resolve();
    });
  });
  const message = new Promise<string>((resolve) => receiver.on('close', () => resolve(text)));
  return { listening, message, stop: () => receiver.kill() };
}

describe('hnetd started before the root helper', () => {
  const world = scenarioLab();
  const build = currentBuild();
  let host: Host;
  let dir: string;
  let helperSocket: string;
  let helperConfig: string;
  let daemon: LabProcess;
  let helper: LabProcess | undefined;

  const startHelper = (env: NodeJS.ProcessEnv = process.env): LabProcess =>
    host.spawn(build.argv('helper', ['--config', helperConfig]), { env });

  before(async () => {
    host = await world.lab.host('node', { on: await world.lab.segment('lan') });
    dir = join(world.scratch, 'node');
    // The folders exist before either starts, as systemd's RuntimeDirectory= makes /run/hnet-helper
    // (root's) and /run/hnet (the engine's).
    await mkdir(join(dir, 'run'), { recursive: true, mode: 0o755 });
    for (const owned of ['engine', 'state']) {
      await mkdir(join(dir, owned), { recursive: true, mode: 0o755 });
      await chown(join(dir, owned), ENGINE_USER.uid, ENGINE_USER.gid);
    }
    helperSocket = join(dir, 'run', 'helper.sock');
    helperConfig = join(dir, 'helper.json');
    await writeFile(
      helperConfig,
      JSON.stringify({
        group: HELPER_GROUP,
        socketPath: helperSocket,
        hostsFile: join(dir, 'hosts'),
        stateFile: join(dir, 'run', 'helper-state.json'),
      }),
    );
    await writeFile(join(dir, 'hnetd.json'), '{}');
    daemon = host.spawn(build.argv('hnetd', []), {
      env: {
        ...process.env,
        HNET_STATE_DIR: join(dir, 'state'),
        HNET_CONTROL_SOCKET: join(dir, 'engine', 'control.sock'),
        HNET_HELPER_SOCKET: helperSocket,
        HNET_BASE_SERVERS: '',
        HNET_HOSTNAME: 'early',
        HNET_CONFIG: join(dir, 'hnetd.json'),
        HNET_LOG_LEVEL: 'debug',
      },
      user: ENGINE_USER,
    });
  });

  after(async () => {
    await daemon?.stop();
    await helper?.stop();
  });

  test('hnet0 is up within a second of the helper listening, and hnetd said once what it waited for', async () => {
    await logged(daemon, /event=ready/, 1, 20_000);
    const waiting = daemon.stderr.split('\n').filter((line) => /level=warn event=tun-unavailable/.test(line));
    assert.equal(waiting.length, 1, daemon.stderr);
    assert.match(waiting[0]!, /reason="the hnet helper is not running/);
    assert.ok(waiting[0]!.includes(`waitingFor="the hnet helper's socket ${helperSocket}"`), waiting[0]);

    helper = startHelper();
    await helper.waitForOutput(/"event":"listening"/);
    const listening = performance.now();
    const opened = await logged(daemon, /event=tun-opened/, 1);
    assert.ok(opened - listening < PROMPT_MS, `hnet0 opened ${Math.round(opened - listening)} ms after`);
    const link = await host.exec(['ip', '-j', 'link', 'show', 'dev', 'hnet0']);
    assert.ok((JSON.parse(link.stdout) as { flags: string[] }[])[0]?.flags.includes('UP'), link.stdout);
  });

  test('hnet0 deleted while the helper is down is back within a second of the helper listening again', async () => {
    await helper!.stop();
    await host.exec(['ip', 'link', 'delete', 'dev', 'hnet0']);
    await logged(daemon, /event=tun-lost/, 1);

    helper = startHelper();
    await helper.waitForOutput(/"event":"listening"/);
    const listening = performance.now();
    const opened = await logged(daemon, /event=tun-opened/, 2);
    assert.ok(opened - listening < PROMPT_MS, `hnet0 opened ${Math.round(opened - listening)} ms after`);
    await host.exec(['ip', 'link', 'show', 'dev', 'hnet0']);
  });

  test('the helper tells systemd it is ready only once its socket accepts callers', async () => {
    await helper!.stop();
    const notifySocket = join(dir, 'notify.sock');
    const notification = notificationAt(notifySocket);
    try {
      await notification.listening;
      helper = startHelper({ ...process.env, NOTIFY_SOCKET: notifySocket });
      const message = await notification.message;
      // Asked the moment systemd hears READY=1, as hnetd ordered After= the helper would.
      const status = await new HelperClient(helperSocket).status();
      assert.match(message, /^READY=1$/m);
      assert.match(message, new RegExp(`^MAINPID=${helper.pid}$`, 'm'));
      assert.equal(status.version, HELPER_VERSION);
    } finally {
      notification.stop();
    }
  });
});
