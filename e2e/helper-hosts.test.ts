// Killing the helper while it rewrites a large hosts file never leaves a torn file: with rename()
// the file is always one whole version; with a bind-mounted file (written in place) the next
// helper start completes the interrupted write from its journal.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HelperClient } from '../src-helper/api/helper-client.js';
import { renderHostsFile } from '../src-helper/hosts-file.js';
import type { HostsEntry } from '../src-helper/api/protocol.js';

// A big unmanaged part (an ad-block list, as people keep in /etc/hosts) makes the file write a
// large share of each rewrite, so the kills often land inside it.
const BLOCKLIST = Array.from({ length: 100_000 }, (_, i) => `0.0.0.0 ads-${i}.tracker.example\r\n`).join('');
const ORIGINAL = Buffer.from(
  `# written by the admin\r\n127.0.0.1 localhost\r\n${BLOCKLIST}10.0.0.7\tprinter # office`,
  'latin1',
);

// Versions of different lengths, so a write in place that stopped early shows as a mix.
function entries(prefix: string, domain: string): HostsEntry[] {
  return Array.from({ length: 4096 }, (_, i) => ({
    address: `fc94:0000:0000:0000:0000:0000:${prefix}:${i.toString(16).padStart(4, '0')}`,
    hostname: `${prefix}-host-${i}.${domain}`,
  }));
}

const VERSION_A = entries('aaaa', 'example');
const VERSION_B = entries('bbbb', 'with-a-fairly-long-domain-name.example');
const ROUNDS = 6;
const WHOLE_VERSIONS = new Map([
  [ORIGINAL.toString('latin1'), 'original'],
  [renderHostsFile(ORIGINAL.toString('latin1'), VERSION_A).content, 'A'],
  [renderHostsFile(ORIGINAL.toString('latin1'), VERSION_B).content, 'B'],
]);

interface Helper {
  child: ChildProcess;
  output: () => string;
}

/** Starts the helper, inside a private mount namespace with hostsFile bind-mounted if asked. */
async function startHelper(config: string, bind?: { source: string; target: string }): Promise<Helper> {
  const node = [process.execPath, '--import', 'tsx', 'src-helper/main.ts', '--config', config];
  const argv = bind
    ? [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        'sh',
        bind.source,
        bind.target,
        ...node,
      ]
    : node;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 15_000;
  while (!out.includes('"event":"listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`helper did not start:\n${out}`);
    await sleep(20);
  }
  return { child, output: () => out };
}

async function kill(helper: Helper): Promise<void> {
  if (helper.child.exitCode !== null || helper.child.signalCode !== null) return;
  const exited = new Promise((resolve) => helper.child.once('exit', resolve));
  helper.child.kill('SIGKILL');
  await exited;
}

/**
 * Rewrites A, B, A… back to back until the helper dies. After the first rewrite completed, the
 * kill comes at a random moment within about two rewrites (or when `moment` says), so it always
 * lands on a rewrite in flight.
 */
async function rewriteUntilKilled(
  client: HelperClient,
  helper: Helper,
  moment = (rewriteMs: number): Promise<unknown> => sleep(Math.random() * 2 * rewriteMs),
): Promise<string[]> {
  const methods: string[] = [];
  let firstDone: (ms: number) => void = () => undefined;
  const firstWrite = new Promise<number>((resolve) => (firstDone = resolve));
  const writer = (async () => {
    for (let i = 0; ; i++) {
      const started = performance.now();
      const reply = await client.call({ op: 'writeHosts', entries: i % 2 === 0 ? VERSION_A : VERSION_B });
      if (!reply.ok) return;
      methods.push(reply.result.method);
      if (methods.length === 1) firstDone(performance.now() - started);
    }
  })();
  const rewriteMs = await Promise.race([firstWrite, writer.then(() => 0)]);
  assert.ok(rewriteMs > 0, `the first rewrite failed:\n${helper.output()}`);
  await moment(rewriteMs);
  await kill(helper);
  await writer;
  return methods;
}

/** Resolves a random 0-2 ms after file starts being modified (or after timeoutMs). */
function modificationStarts(file: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      watcher.close();
      clearTimeout(timer);
      setTimeout(resolve, Math.random() * 2);
    };
    const watcher = watch(file, done);
    const timer = setTimeout(done, timeoutMs);
  });
}

const versionOf = async (file: string): Promise<string | undefined> =>
  WHOLE_VERSIONS.get((await readFile(file)).toString('latin1'));

describe('hosts file rewrites survive SIGKILL', () => {
  let dir: string;
  let helper: Helper | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-hosts-'));
  });

  after(async () => {
    if (helper) await kill(helper);
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(name: string): Promise<{ config: string; hostsFile: string; client: HelperClient }> {
    const hostsFile = join(dir, `${name}-hosts`);
    const socketPath = join(dir, `${name}.sock`);
    const config = join(dir, `${name}.json`);
    await writeFile(hostsFile, ORIGINAL);
    await writeFile(
      config,
      JSON.stringify({ socketPath, hostsFile, stateFile: join(dir, `${name}-state.json`) }),
    );
    return { config, hostsFile, client: new HelperClient(socketPath) };
  }

  test('renamed into place: after every kill the file is one whole version, mode and owner kept', async () => {
    const { config, hostsFile, client } = await setUp('rename');
    await chmod(hostsFile, 0o640);
    await chown(hostsFile, 1234, 5678);
    let writes = 0;
    const seen = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      helper = await startHelper(config);
      writes += (await rewriteUntilKilled(client, helper)).length;
      const version = await versionOf(hostsFile);
      assert.ok(version, `round ${round}: the hosts file is torn`);
      seen.add(version);
    }
    console.log(
      `# ${writes} rewrites completed across ${ROUNDS} kills; versions seen after a kill: ${[...seen].join(', ')}`,
    );
    const info = await stat(hostsFile);
    assert.deepEqual([info.mode & 0o777, info.uid, info.gid], [0o640, 1234, 5678]);
  });

  test('bind-mounted (rename fails with EBUSY): written in place, and the next start repairs a torn write', async () => {
    const { config, hostsFile, client } = await setUp('bind');
    const source = join(dir, 'bind-source');
    await writeFile(source, ORIGINAL);
    let torn = 0;
    const methods: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      helper = await startHelper(config, { source, target: hostsFile });
      // Aim at the dangerous window: kill just after the file starts being overwritten.
      methods.push(...(await rewriteUntilKilled(client, helper, (ms) => modificationStarts(source, ms * 3))));
      if (!(await versionOf(source))) torn++;
      // The restart replays the journal of a write the kill interrupted.
      helper = await startHelper(config, { source, target: hostsFile });
      assert.ok(await versionOf(source), `round ${round}: the hosts file is still torn after a restart`);
      await kill(helper);
    }
    assert.ok(
      methods.length >= ROUNDS && methods.every((m) => m === 'in-place'),
      `rewrites went ${methods.join(', ')}`,
    );
    // The outside file was never touched: the helper wrote through the bind mount.
    assert.deepEqual(await readFile(hostsFile), ORIGINAL);
    console.log(`# ${torn} of ${ROUNDS} kills left a torn file until the restart repaired it`);
  });
});
