// The whole server stack as its own process with a shell's default of 1024 file descriptors, abused
// by strangers on loopback: more idle connections to the dashboard, then to the base, than it has
// descriptors; and every descriptor used up for a while. It must keep (or go back to) answering
// license.json, registering devices and writing its database, and must not die.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BaseClient } from './base/test-client.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { generateIdentity } from '../src-protocol/identity.js';
import { LICENSE_PATH } from '../src-protocol/license-key.js';

const root = new URL('..', import.meta.url).pathname;
const OPEN_FILES = 1024;
const FLOOD = 1100;
/** How long a request may go unanswered before the test calls the server deaf. */
const ANSWER_MS = 5_000;

interface Ports {
  http: number;
  tcp: number;
  udp: number;
  websetup: number;
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    socket.close();
    return port;
  }
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/**
 * `entry` (the CLI or the test script) run with the stack's options on free loopback ports, under
 * the open-file limit; resolves once it says it is ready. Whatever it prints is kept in `output`.
 */
async function startStack(
  entry: string,
  scratch: { dir: string; output: string; ports: Ports },
): Promise<ChildProcess> {
  const ports = scratch.ports;
  [ports.http, ports.tcp, ports.udp, ports.websetup] = [
    await freePort('tcp'),
    await freePort('tcp'),
    await freePort('udp'),
    await freePort('udp'),
  ];
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${OPEN_FILES} && exec "$0" --import tsx ${entry} "$@"`,
      process.execPath,
      ...['--state-dir', scratch.dir, '--public-ip', '127.0.0.1', '--no-metrics'],
      ...['--http', `127.0.0.1:${ports.http}`, '--tcp', `127.0.0.1:${ports.tcp}`],
      ...['--udp', `127.0.0.1:${ports.udp}`, '--websetup-udp', String(ports.websetup)],
    ],
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (scratch.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (scratch.output += chunk.toString()));
  await saying(child, scratch, /hnet-server ready/);
  return child;
}

/** Resolves with the first match of `pattern` in what the child printed; rejects if it exits first. */
function saying(child: ChildProcess, scratch: { output: string }, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(scratch.output);
      if (!match) return;
      child.stdout!.off('data', check);
      child.off('exit', exited);
      resolve(match);
    };
    const exited = (): void => reject(new Error(`the server exited:\n${scratch.output}`));
    child.stdout!.on('data', check);
    child.once('exit', exited);
    check();
  });
}

async function stopStack(child: ChildProcess | undefined, dir: string): Promise<void> {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
}

/** Idle connections from `sources` in turn; each waits until it is connected or refused. */
async function floodPort(port: number, sources: string[], into: Socket[]): Promise<void> {
  for (let i = 0; i < FLOOD; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress: sources[i % sources.length] });
    socket.on('error', () => undefined);
    into.push(socket);
    await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
  }
}

function license(ports: Ports, from: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ports.http, path: LICENSE_PATH, localAddress: from, agent: false },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(ANSWER_MS, () => req.destroy(new Error(`no answer to ${LICENSE_PATH} from ${from}`)));
    req.on('error', reject);
    req.end();
  });
}

/** license.json is answered to `from`, and a new device from there registers with the base. */
async function assertServing(ports: Ports, from: string, child: ChildProcess): Promise<void> {
  const answer = await license(ports, from);
  assert.equal(answer.status, 200);
  assert.ok((JSON.parse(answer.body) as Record<string, unknown>)['websetup_host']);
  const device = await BaseClient.connect(
    { identity: generateIdentity(), base: { ip: '127.0.0.1', port: ports.tcp }, localIp: from },
    ANSWER_MS,
  );
  try {
    assert.equal((await device.register()).length, 1);
  } finally {
    device.close();
  }
  assert.equal(child.exitCode, null, 'the server is still running');
}

before(() => initCrypto());

describe('hnet-server flooded with idle connections', () => {
  const scratch = { dir: '', output: '', ports: { http: 0, tcp: 0, udp: 0, websetup: 0 } };
  const flood: Socket[] = [];
  let child: ChildProcess | undefined;

  before(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), 'hnet-flood-'));
    child = await startStack('src-server/cli.ts', scratch);
  });

  after(async () => {
    for (const socket of flood) socket.destroy();
    await stopStack(child, scratch.dir);
  });

  test('1100 to the dashboard: license.json is still served and the base still accepts devices', async () => {
    await floodPort(scratch.ports.http, ['127.0.0.1'], flood);
    await assertServing(scratch.ports, '127.0.0.2', child!);
    // The flooding address too: its newcomer takes the place of one of its idle connections.
    assert.equal((await license(scratch.ports, '127.0.0.1')).status, 200);
  });

  test('1100 more to the base from five addresses: its cap is fitted to the descriptors, and both still serve', async () => {
    await floodPort(
      scratch.ports.tcp,
      ['127.0.0.1', '127.0.0.3', '127.0.0.4', '127.0.0.6', '127.0.0.7'],
      flood,
    );
    await assertServing(scratch.ports, '127.0.0.5', child!);
    assert.match(scratch.output, /base-connections-lowered.*open-file limit of 1024/);
  });
});

describe('hnet-server out of file descriptors for a while', () => {
  const scratch = { dir: '', output: '', ports: { http: 0, tcp: 0, udp: 0, websetup: 0 } };
  let child: ChildProcess | undefined;

  before(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), 'hnet-no-fds-'));
    child = await startStack('src-server/stack-under-flood.test-script.ts', scratch);
  });

  after(() => stopStack(child, scratch.dir));

  test('every part lives through it and serves again once descriptors are back', async () => {
    child!.stdin!.write('exhaust\n');
    const during = JSON.parse((await saying(child!, scratch, /\{"exhausted".*\}/))[0]) as Record<
      string,
      string
    >;
    assert.equal(during['exhausted'], 'EMFILE');
    // Meanwhile: datagrams to the base and to websetup, and connections every listener must drop.
    const udp = createSocket('udp4');
    for (let i = 0; i < 100; i++) {
      udp.send(Buffer.alloc(64, i), scratch.ports.udp, '127.0.0.1');
      udp.send(Buffer.alloc(64, i), scratch.ports.websetup, '127.0.0.1');
    }
    await assert.rejects(license(scratch.ports, '127.0.0.2'));
    await assert.rejects(
      BaseClient.connect({
        identity: generateIdentity(),
        base: { ip: '127.0.0.1', port: scratch.ports.tcp },
      }),
    );
    udp.close();

    child!.stdin!.write('release\n');
    const released = JSON.parse((await saying(child!, scratch, /\{"released".*\}/))[0]) as Record<
      string,
      unknown
    >;
    assert.deepEqual(released, { released: true, store: 'ok', websetupRegistered: true });
    await assertServing(scratch.ports, '127.0.0.2', child!);
  });
});
