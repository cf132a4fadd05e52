import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { peerCredentials } from '../../../src-helper/api/native.js';
import type { EngineConfig } from '../state/config.js';
import { serveControlApi, type ControlServer } from './control-api.js';
import { ControlClient } from './control-client.js';
import { MAX_REQUEST_BYTES } from '../../contract/control-calls.js';
import { Engine } from '../engine.js';
import type { StatusUpdate } from '../../contract/events.js';
import type { HostEntry } from '../../contract/names.js';
import { createLogger } from '../log.js';
import { firstLine } from './test-first-line.js';

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;
const script = new URL('./control-call.test-script.ts', import.meta.url).pathname;
const floodScript = new URL('./control-flood.test-script.ts', import.meta.url).pathname;
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

const openFds = (): number => readdirSync('/proc/self/fd').length;

interface FloodReport {
  answered: number;
  refused: number;
  probe: string;
}

/** Another process flooding the socket (control-flood.test-script.ts); `end` lets it go. */
function flood(
  socketPath: string,
  hold: number,
  mode: 'ask' | 'silent',
  churn = 0,
): { pid: number; report: Promise<FloodReport>; end(): Promise<void> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', floodScript, socketPath, String(hold), mode, String(churn)],
    { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const report = new Promise<FloodReport>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as FloodReport);
    });
    void exited.then(() => reject(new Error('the flooding process exited before it reported')));
  });
  return {
    pid: child.pid!,
    report,
    end: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** One status call from a process of its own (its pid is known before it connects). */
function callFromChild(
  socketPath: string,
  onPid: (pid: number) => void,
): Promise<{ ok: boolean; error?: { message: string } }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, socketPath, 'status'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onPid(child.pid!);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve) => child.once('exit', () => resolve(JSON.parse(out) as { ok: boolean })));
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
    const config: EngineConfig = {
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
  describe('under abuse by local users', () => {
    const OWNER = 4000;
    /** Each test's processes get the uids it names; the test process itself is root's `hnet`. */
    const uidOfPid = new Map<number, number>([[process.pid, 0]]);
    const credentialsOf = (socket: Socket) => {
      const real = peerCredentials(socket);
      return { ...real, uid: uidOfPid.get(real.pid) ?? real.uid };
    };
    let served = 0;
    const serveAnother = async (idleMs?: number) => {
      const outcome = await serveControlApi(engine, {
        socketPath: join(dir, 'run', `abuse-${++served}.sock`),
        log: createLogger('error', () => undefined),
        ownerUid: OWNER,
        credentialsOf,
        ...(idleMs === undefined ? {} : { idleMs }),
      });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      return outcome.value;
    };
    const statusAsRoot = async (socketPath: string) => {
      const client = await ControlClient.connect(socketPath);
      assert.ok(client.ok, JSON.stringify(client));
      const status = await client.value.call('status', {});
      client.value.close();
      return status;
    };

    test('a subscriber that stops reading gets the newest status when it catches up, never a backlog', async () => {
      let push: ((update: StatusUpdate) => void) | undefined;
      const publisher = {
        subscribe: (listener: (update: StatusUpdate) => void) => {
          push = listener;
          return () => undefined;
        },
      } as unknown as Engine;
      const outcome = await serveControlApi(publisher, {
        socketPath: join(dir, 'run', 'slow-subscriber.sock'),
        log: createLogger('error', () => undefined),
        credentialsOf,
      });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      const client = createConnection(outcome.value.socketPath);
      try {
        client.write('{"id":1,"call":"subscribe"}\n');
        client.pause();
        while (!push) await new Promise((r) => setTimeout(r, 5));
        // 20 MB of statuses the client does not read: kept, they would be memory a local user controls.
        const UPDATES = 2_000;
        for (let n = 0; n < UPDATES; n++)
          push({ status: { n, pad: 'x'.repeat(10_000) } as never, changed: ['peers'] });
        const received: number[] = [];
        let text = '';
        client.setEncoding('utf8');
        client.on('data', (chunk: string) => {
          text += chunk;
          let newline: number;
          while ((newline = text.indexOf('\n')) >= 0) {
            const message = JSON.parse(text.slice(0, newline)) as { update?: { status: { n: number } } };
            text = text.slice(newline + 1);
            if (message.update) received.push(message.update.status.n);
          }
        });
        const closed = new Promise((resolve) => client.once('close', resolve));
        client.resume();
        await Promise.race([
          closed,
          (async () => {
            while (received.at(-1) !== UPDATES - 1) await new Promise((r) => setTimeout(r, 10));
          })(),
        ]);
        assert.equal(received.at(-1), UPDATES - 1, `the newest status never came (got ${received.length})`);
        assert.ok(
          received.length < 100,
          `${received.length} statuses were queued for a client that did not read`,
        );
      } finally {
        client.destroy();
        await outcome.value.close();
      }
    });

    test('users flooding the socket get only their share, and root and the owner are still answered', async () => {
      const abused = await serveAnother();
      const floods = [5001, 5002, 5003, 5004, 5005].map((uid) => {
        const one = flood(abused.socketPath, 20, 'ask');
        uidOfPid.set(one.pid, uid);
        return one;
      });
      try {
        const reports = await Promise.all(floods.map((one) => one.report));
        for (const report of reports) assert.ok(report.answered <= 16, JSON.stringify(report));
        const answered = reports.reduce((sum, report) => sum + report.answered, 0);
        const refused = reports.reduce((sum, report) => sum + report.refused, 0);
        assert.equal(answered, 64, 'other users share 64 connections');
        assert.equal(refused, 100 - 64);

        const root = await statusAsRoot(abused.socketPath);
        assert.ok(root.ok, JSON.stringify(root));
        const owner = await callFromChild(abused.socketPath, (pid) => uidOfPid.set(pid, OWNER));
        assert.equal(owner.ok, true, JSON.stringify(owner));
        const stranger = await callFromChild(abused.socketPath, (pid) => uidOfPid.set(pid, 5006));
        assert.equal(stranger.ok, false);
        assert.match(stranger.error?.message ?? '', /too many control connections from other users/);
      } finally {
        await Promise.all(floods.map((one) => one.end()));
        await abused.close();
      }
    });

    test('refused connections hold no descriptor, even unread, and connect-and-close floods change nothing', async () => {
      const abused = await serveAnother();
      const before = openFds();
      const one = flood(abused.socketPath, 150, 'silent', 50);
      uidOfPid.set(one.pid, 5001);
      try {
        const report = await one.report;
        assert.match(report.probe, /too many control connections from uid 5001 \(at most 16\)/);
        // 16 seats held by the flood and the pipes to the flooding process; a refusal waits at
        // most a second for its reader, so the other 134 are closed by then though never read.
        const grown = async () => {
          for (let tries = 0; tries < 250 && openFds() - before > 16 + 4; tries++)
            await new Promise((r) => setTimeout(r, 20));
          return openFds() - before;
        };
        const held = await grown();
        assert.ok(held <= 16 + 4, `${held} more descriptors while 134 connections were refused`);
        const root = await statusAsRoot(abused.socketPath);
        assert.ok(root.ok, JSON.stringify(root));
      } finally {
        await one.end();
      }
      for (let tries = 0; tries < 100 && openFds() > before; tries++)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(openFds(), before, 'every descriptor of the flood is closed once it ends');
      await abused.close();
    });

    test(
      'a connection that never completes a request is closed when idle; a subscriber stays',
      // Only a guard against hanging the whole run: without an idle limit nothing ever ends.
      { timeout: 30_000 },
      async () => {
        const abused = await serveAnother(150);
        const watcher = await ControlClient.connect(abused.socketPath);
        assert.ok(watcher.ok);
        try {
          const subscribed = await watcher.value.subscribe(() => undefined);
          assert.ok(subscribed.ok);
          const slow = createConnection(abused.socketPath);
          const slowLine = firstLine(slow);
          // A request trickling in a byte at a time is not activity.
          const trickle = setInterval(() => slow.writable && slow.write('{'), 40);
          const silent = createConnection(abused.socketPath);
          const [slowAnswer, silentAnswer] = await Promise.all([slowLine, firstLine(silent)]);
          clearInterval(trickle);
          assert.match(slowAnswer, /"kind":"Timeout"/);
          assert.match(silentAnswer, /no request for 0\.15 s; connect again/);
          const status = await watcher.value.call('status', {});
          assert.ok(status.ok, 'the subscriber outlived the idle time');
        } finally {
          watcher.value.close();
          await abused.close();
        }
      },
    );

    test(
      'close() ends at once with subscribers that stop reading, half-sent requests and refused floods',
      // Only a guard against hanging the whole run: today's failure mode was never finishing.
      { timeout: 30_000 },
      async () => {
        const abused = await serveAnother();
        const subscriber = createConnection(abused.socketPath);
        subscriber.write('{"id":1,"call":"subscribe"}\n');
        const subscribed = firstLine(subscriber);
        assert.match(await subscribed, /"ok":true/);
        subscriber.pause();
        const half = createConnection(abused.socketPath);
        half.on('error', () => undefined);
        half.write('{"id":1,"call":"sta');
        const closed = [subscriber, half].map((socket) => new Promise((r) => socket.once('close', r)));
        const one = flood(abused.socketPath, 150, 'silent');
        uidOfPid.set(one.pid, 5001);
        await one.report;
        await statusAsRoot(abused.socketPath);
        await abused.close();
        await Promise.all(closed);
        await one.end();
      },
    );
  });
  test(
    'out of file descriptors, the control socket drops what it cannot accept and serves again after',
    // Only a guard against hanging the whole run.
    { timeout: 60_000 },
    async () => {
      // A real EMFILE: an engine of its own in a process with a low descriptor limit.
      const module = (name: string) => new URL(`./${name}.ts`, import.meta.url).href;
      const childSocket = join(dir, 'run', 'emfile.sock');
      const serve = `
        import { readdirSync } from 'node:fs';
        import { Engine } from '${module('../engine')}';
        import { serveControlApi } from '${module('control-api')}';
        import { createLogger } from '${module('../log')}';
        const log = createLogger('warn', (line) => console.error(line));
        const config = ${JSON.stringify({
          stateDir: join(dir, 'emfile-state'),
          controlSocket: childSocket,
          helperSocket: join(dir, 'run', 'helper.sock'),
          baseServers: [],
          udpPort: 5583,
          hostname: 'emfilebox',
          dataLane: 'on',
          logLevel: 'warn',
        })};
        const engine = await Engine.start({ config, log, writeHosts: async () => undefined });
        const served = await serveControlApi(engine.value, { socketPath: config.controlSocket, log });
        console.log(readdirSync('/proc/self/fd').length);
        process.stdin.resume();
        process.stdin.on('end', () => process.exit(0));`;
      const child = spawn(
        'bash',
        ['-c', 'ulimit -n 48 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, serve],
        { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const ready = await new Promise<string>((resolve) =>
        child.stdout.once('data', (c: Buffer) => resolve(String(c))),
      );
      assert.ok(Number(ready) < 48, `the engine serves with ${ready.trim()} descriptors open`);
      const flood: Socket[] = [];
      try {
        for (let i = 0; i < 100; i++) {
          const socket = createConnection(childSocket);
          socket.on('error', () => undefined);
          flood.push(socket);
          await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
        }
        // Accepted in order: once this one is dealt with (dropped), so are the 100 before it.
        const probe = createConnection(childSocket);
        probe.write('{"id":1,"call":"status"}\n');
        assert.equal(await firstLine(probe), '', 'no descriptor left for it: dropped unanswered');
        for (const socket of flood) socket.destroy();
        let answered = false;
        for (let tries = 0; tries < 100 && !answered; tries++) {
          await new Promise((r) => setTimeout(r, 20));
          const client = await ControlClient.connect(childSocket);
          if (!client.ok) continue;
          answered = (await client.value.call('status', {})).ok;
          client.value.close();
        }
        assert.ok(answered, `hnetd answers again once the flood is gone\n${errors}`);
        child.stdin.end();
        assert.equal(await exited, 0, errors);
      } finally {
        for (const socket of flood) socket.destroy();
        child.kill('SIGKILL');
      }
    },
  );
});
