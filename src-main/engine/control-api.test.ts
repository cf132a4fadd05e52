import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Config } from './config.js';
import { serveControlApi, type ControlServer } from './control-api.js';
import { ControlClient } from './control-client.js';
import { MAX_REQUEST_BYTES } from './control-protocol.js';
import { Engine } from './engine.js';
import type { StatusUpdate } from './event-stream.js';
import type { HostEntry } from './host-table.js';
import { createLogger } from './log.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const script = new URL('./control-call.test-script.ts', import.meta.url).pathname;
const PEER = 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239';
const asRoot = process.getuid?.() === 0;

/** Sends raw bytes and collects everything the server says until it closes or goes quiet. */
function rawExchange(
  socketPath: string,
  text: string,
  quietMs = 300,
): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => done(false), quietMs);
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(text);
      quiet();
    });
    socket.on('data', (chunk: string) => {
      reply += chunk;
      quiet();
    });
    socket.on('end', () => done(true));
    socket.on('error', reject);
  });
}

describe('control API over a Unix socket', () => {
  let dir: string;
  let socketPath: string;
  let engine: Engine;
  let server: ControlServer;
  const hostsWrites: (readonly HostEntry[])[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-control-'));
    // Other users must be able to reach the socket; the state directory inside stays 0700.
    await chmod(dir, 0o755);
    socketPath = join(dir, 'run', 'control.sock');
    const config: Config = {
      stateDir: join(dir, 'state'),
      controlSocket: socketPath,
      helperSocket: join(dir, 'run', 'helper.sock'),
      baseServers: [],
      udpPort: 5582,
      hostname: 'testbox',
      dataLane: 'on',
      logLevel: 'error',
    };
    const log = createLogger('error', () => undefined);
    const started = await Engine.start({
      config,
      log,
      writeHosts: async (entries) => void hostsWrites.push(entries),
    });
    assert.ok(started.ok, JSON.stringify(started));
    engine = started.value;
    const served = await serveControlApi(engine, { socketPath, log });
    assert.ok(served.ok, JSON.stringify(served));
    server = served.value;
  });

  after(async () => {
    await server?.close();
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const callAsNobody = async (call: string, params: object = {}) => {
    const { stdout } = await run(
      'setpriv',
      [
        '--reuid',
        'nobody',
        '--regid',
        'nogroup',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        script,
        socketPath,
        call,
        JSON.stringify(params),
      ],
      { cwd: root },
    );
    return JSON.parse(stdout) as {
      ok: boolean;
      value?: { address?: string; peers?: unknown[] };
      error?: { kind: string; message: string };
    };
  };

  test('the socket is open to every local user to read (mode 0666)', async () => {
    const { stdout } = await run('stat', ['-c', '%a', socketPath]);
    assert.equal(stdout.trim(), '666');
  });

  test(
    'an unprivileged user can read the status: our address, no peers yet',
    { skip: asRoot ? false : 'needs root to run a client as nobody' },
    async () => {
      const outcome = await callAsNobody('status');
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      assert.equal(outcome.value?.address, engine.address);
      assert.deepEqual(outcome.value?.peers, []);
    },
  );

  test(
    'an unprivileged user cannot change the whitelist',
    { skip: asRoot ? false : 'needs root to run a client as nobody' },
    async () => {
      const outcome = await callAsNobody('whitelist.add', { address: PEER });
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.kind, 'NotPermitted');
      assert.match(
        outcome.error?.message ?? '',
        /not permitted: changing settings needs root or the user who runs hnetd/,
      );
      assert.equal(engine.whitelist.state.addresses.includes(PEER), false);
    },
  );

  test('a subscriber sees a whitelist change made by another client, and the change is on disk', async () => {
    const watcher = await ControlClient.connect(socketPath);
    const changer = await ControlClient.connect(socketPath);
    assert.ok(watcher.ok && changer.ok);
    try {
      const updates: StatusUpdate[] = [];
      const seen = new Promise<StatusUpdate>((resolve) => {
        void watcher.value.subscribe((update) => {
          updates.push(update);
          if (update.status.whitelist.addresses.includes(PEER)) resolve(update);
        });
      });
      const added = await changer.value.call('whitelist.add', { address: PEER });
      assert.ok(added.ok, JSON.stringify(added));
      const update = await seen;
      assert.deepEqual(updates[0]?.changed, [], 'the first update is a full snapshot');
      assert.ok(update.changed.includes('whitelist'));
      const onDisk = JSON.parse(await readFile(join(dir, 'state', 'whitelist.json'), 'utf8')) as {
        addresses: string[];
      };
      assert.deepEqual(onDisk.addresses, [PEER]);
    } finally {
      watcher.value.close();
      changer.value.close();
    }
  });

  test('a browser-style HTTP request is refused with 403 and the connection closed', async () => {
    const { reply, closed } = await rawExchange(
      socketPath,
      'GET /status HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n',
    );
    assert.match(reply, /^HTTP\/1\.1 403 Forbidden/);
    assert.equal(closed, true);
  });

  test('an Origin or Referer header line is refused even after a valid request', async () => {
    const { reply, closed } = await rawExchange(
      socketPath,
      '{"id":1,"call":"status"}\nReferer: http://evil.example/\n',
    );
    assert.match(reply, /403 Forbidden/);
    assert.equal(closed, true);
  });

  test('malformed JSON gets a clear error and the same connection keeps working', async () => {
    const { reply, closed } = await rawExchange(
      socketPath,
      '{"id": 1, "call": \n{"id":2,"call":"whitelist.list"}\n',
    );
    const [first, second] = reply
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { id: number | null; ok: boolean; error?: { kind: string; message: string } },
      );
    assert.equal(first?.ok, false);
    assert.equal(first?.error?.kind, 'BadRequest');
    assert.match(first?.error?.message ?? '', /malformed request/);
    assert.equal(second?.id, 2);
    assert.equal(second?.ok, true);
    assert.equal(closed, false);
  });

  test('unknown calls and bad parameters are named in the error', async () => {
    const { reply } = await rawExchange(
      socketPath,
      '{"id":1,"call":"reboot"}\n{"id":2,"call":"whitelist.add","params":{"address":"10.0.0.1"}}\n{"id":3,"call":"status","params":{"x":1}}\n',
    );
    const answers = reply
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { error: { kind: string; message: string } });
    assert.equal(answers[0]?.error.kind, 'UnknownCall');
    assert.match(answers[0]?.error.message ?? '', /unknown call "reboot"; known calls: status, /);
    assert.equal(answers[1]?.error.kind, 'BadParams');
    assert.match(answers[1]?.error.message ?? '', /bad address: "10\.0\.0\.1"/);
    assert.match(answers[2]?.error.message ?? '', /unknown key "params\.x"/);
  });

  test('an oversized request is refused, and the server still serves the next client', async () => {
    const { reply, closed } = await rawExchange(
      socketPath,
      `{"id":1,"call":"status","params":"${'x'.repeat(MAX_REQUEST_BYTES)}`,
    );
    assert.match(reply, /"kind":"TooLarge"/);
    assert.equal(closed, true);
    const client = await ControlClient.connect(socketPath);
    assert.ok(client.ok);
    const status = await client.value.call('status', {});
    client.value.close();
    assert.ok(status.ok);
  });

  test('a hostname starting with "-" is refused with the rule, so the helper is never asked to write it', async () => {
    const { reply } = await rawExchange(
      socketPath,
      `{"id":1,"call":"hosts.add","params":{"hostname":"-rf","address":"${PEER}"}}\n`,
    );
    const answer = JSON.parse(reply.trim()) as { error: { kind: string; message: string } };
    assert.equal(answer.error.kind, 'BadParams');
    assert.match(answer.error.message, /bad hostname: "-rf" may only hold .*not starting with "-" or "\."/);
    assert.ok(!engine.hosts.entries.some((e) => e.hostname === '-rf'));
  });

  test('host table changes are written to /etc/hosts through the helper, with this device under its own name', async () => {
    const client = await ControlClient.connect(socketPath);
    assert.ok(client.ok);
    const added = await client.value.call('hosts.add', { hostname: 'laptop', address: PEER });
    client.value.close();
    assert.ok(added.ok, JSON.stringify(added));
    const deadline = Date.now() + 2000;
    while (!hostsWrites.at(-1)?.some((e) => e.hostname === 'laptop') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(hostsWrites.at(-1), [
      { hostname: 'testbox', address: engine.address },
      { hostname: 'laptop', address: PEER },
    ]);
  });

  test('a second engine does not take over a socket that is in use', async () => {
    const second = await serveControlApi(engine, { socketPath, log: createLogger('error', () => undefined) });
    assert.equal(second.ok, false);
    if (!second.ok) assert.match(second.error.message, /already serving on/);
  });
});
