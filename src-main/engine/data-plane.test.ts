// The engine started before the root helper (as systemd may at boot): it says once what it waits
// for and asks again the moment the helper's socket appears, not on its 5 s timer. The socket
// here belongs to a stand-in that refuses every call, so the test sees each attempt in the log
// without root; e2e/helper-start-order.test.ts runs the real helper and a real hnet0. And hnet0
// lost under a running helper (deleted by hand) is asked for again at once, not after 5 s. And the
// native data lane is on wherever it can be, and the status says whether it is.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataLaneUnavailable } from '../native/lane-availability.js';
import type { EngineConfig } from './state/config.js';
import { createDataPlane, tunThroughHelper, type OpenTun } from './data-plane.js';
import { Engine } from './engine.js';
import { HelperClient } from '../../src-helper/api/helper-client.js';
import { createLogger } from './log.js';

const REFUSAL = 'the stand-in helper opens no devices';
const ATTEMPT = /event=tun-unavailable/;

let dir: string;
const servers: Server[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hnet-data-plane-'));
});

after(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** The engine with its real data plane (TUN through the helper unless given), logging at debug into `lines`. */
async function startEngine(
  name: string,
  helperSocket: string,
  openTun: OpenTun = tunThroughHelper(new HelperClient(helperSocket), createLogger('error')),
  dataLane: EngineConfig['dataLane'] = 'on',
): Promise<{ engine: Engine; lines: string[] }> {
  const lines: string[] = [];
  const started = await Engine.start({
    config: {
      stateDir: join(dir, name, 'state'),
      controlSocket: join(dir, name, 'control.sock'),
      helperSocket,
      baseServers: [],
      udpPort: 0,
      hostname: name,
      dataLane,
      logLevel: 'debug',
    },
    log: createLogger('debug', (line) => lines.push(line)),
    writeHosts: async () => undefined,
    dataPlane: createDataPlane({ openTun }),
  });
  if (!started.ok) assert.fail(started.error.message);
  return { engine: started.value, lines };
}

/** A socket at `path` that refuses every call; `calls` says who called (the engine or a probe), in order. */
async function listenAsStandIn(path: string): Promise<{ calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (data) => {
      calls.push(String(data).startsWith('probe') ? 'probe' : 'engine');
      socket.end(`${JSON.stringify({ ok: false, error: { kind: 'TunFailed', message: REFUSAL } })}\n`);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { calls };
}

/**
 * A call of our own to the stand-in, answered: the stand-in's queue is first come, first served, so
 * an attempt the engine started before this probe has been counted by the time it returns.
 */
async function probe(path: string): Promise<void> {
  const socket = connect(path);
  socket.on('error', () => undefined);
  socket.write('probe\n');
  socket.resume();
  await once(socket, 'close');
}

/** Resolves once a watch of the folder reports `path`, after every other watcher heard the same events. */
function watchFor(path: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(path), (_event, name) => {
      if (name !== basename(path)) return;
      watcher.close();
      setImmediate(resolve);
    });
  });
}

const attempts = (lines: readonly string[]): string[] => lines.filter((line) => ATTEMPT.test(line));

/**
 * Waits for `count` attempts in the log. The deadline is a guard against hanging, not a measure:
 * it is read on the real clock, and each look yields with setImmediate, which mocked timers leave be.
 */
async function waitForAttempts(lines: readonly string[], count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (attempts(lines).length < count) {
    if (performance.now() > deadline) assert.fail(`${count} attempts expected, log:\n${lines.join('\n')}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('opening hnet0 before the root helper listens', () => {
  test('the engine says once what it waits for, and asks again the moment the socket appears', async () => {
    const socket = join(dir, 'early.sock');
    // The 5 s retry timer cannot fire in this test (setTimeout is mocked and never advanced), so a
    // second attempt can only be the watch seeing the socket appear.
    mock.timers.enable({ apis: ['setTimeout'] });
    const { engine, lines } = await startEngine('early', socket);
    try {
      const [first] = attempts(lines);
      assert.match(first ?? '', /level=warn/);
      assert.match(first ?? '', /reason="the hnet helper is not running/);
      assert.ok(first?.includes(`waitingFor="the hnet helper's socket ${socket}"`), first);

      // Its plan: the next attempt when the socket changes, else on the 5 s timer; nothing sooner.
      assert.match(first ?? '', /retryInSeconds=5/);
      const standIn = await listenAsStandIn(socket);
      await waitForAttempts(lines, 2);
      const second = attempts(lines)[1] ?? '';
      assert.match(second, new RegExp(`level=warn .*reason="${REFUSAL}"`), 'a new reason is a new warning');

      await probe(socket);
      assert.deepEqual(
        standIn.calls,
        ['engine', 'probe'],
        'one appearance, one attempt: the watch and timer never both open',
      );
      assert.equal(attempts(lines).length, 2);
    } finally {
      mock.timers.reset();
      await engine.stop();
    }
  });

  test('a stopped engine keeps no watch or timer, and a socket appearing later starts nothing', async () => {
    const socket = join(dir, 'stopped.sock');
    // A closed watch leaves the list a moment later.
    const watches = async (): Promise<number> => {
      await sleep(50);
      return process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap').length;
    };
    const before = await watches();
    const { engine, lines } = await startEngine('stopped', socket);
    assert.equal(attempts(lines).length, 1);
    assert.equal(await watches(), before + 1, 'the helper folder is watched while waiting');
    await engine.stop();
    assert.equal(await watches(), before);
    // Our own watch sees the socket appear in the same batch of events a watch left behind would;
    // any attempt that started then reaches the stand-in before the probe does.
    const appeared = watchFor(socket);
    const standIn = await listenAsStandIn(socket);
    await appeared;
    await probe(socket);
    assert.deepEqual(standIn.calls, ['probe'], 'the stopped engine did not ask');
    assert.equal(attempts(lines).length, 1);
  });

  test('where the socket folder does not exist yet, the engine still retries on its timer', async () => {
    const folder = join(dir, 'later');
    const socket = join(folder, 'helper.sock');
    const { engine, lines } = await startEngine('timer', socket);
    try {
      const [first] = attempts(lines);
      assert.match(first ?? '', /reason="the hnet helper is not running/);
      assert.doesNotMatch(first ?? '', /waitingFor=/, 'it cannot watch a folder that is not there');
      await mkdir(folder);
      await listenAsStandIn(socket);
      await waitForAttempts(lines, 2);
      assert.match(attempts(lines)[1] ?? '', new RegExp(`reason="${REFUSAL}"`));
    } finally {
      await engine.stop();
    }
  });
});

/** A device that opens at once; `lose` ends it as a deleted hnet0 would. */
function fakeTun(): { open: OpenTun; opens: number[]; lose(reason: string): void } {
  const opens: number[] = [];
  let onLost: ((reason: string) => void) | undefined;
  const open: OpenTun = async (_address, _onPacket, lost) => {
    opens.push(performance.now());
    onLost = lost;
    return { name: 'hnet0', write: () => true, close: async () => undefined };
  };
  return { open, opens, lose: (reason) => onLost?.(reason) };
}

describe('losing hnet0 while the helper keeps running', () => {
  test('a device that had lived a while is asked for again at once, one that just opened is not', async () => {
    const tun = fakeTun();
    const { engine, lines } = await startEngine('lost', join(dir, 'unused.sock'), tun.open);
    try {
      assert.equal(tun.opens.length, 1);
      // A device that has lived a while: the engine's clock 1.1 s on, rather than 1.1 s of waiting.
      const realNow = performance.now.bind(performance);
      const later = mock.method(performance, 'now', () => realNow() + 1_100);
      try {
        tun.lose('deleted');
      } finally {
        later.mock.restore();
      }
      assert.ok(lines.some((line) => /event=tun-lost .*retryInSeconds=0/.test(line)));
      assert.equal(tun.opens.length, 2, 'asked for again at once');
      const opened = (): number => lines.filter((line) => /event=tun-opened/.test(line)).length;
      const guard = performance.now() + 10_000;
      while (opened() < 2) {
        if (performance.now() > guard) assert.fail(`the device was not opened again:\n${lines.join('\n')}`);
        await sleep(10);
      }

      // Lost again at once: the engine decides on its 5 s timer, and asks nothing before it.
      tun.lose('deleted again');
      assert.ok(lines.some((line) => /event=tun-lost .*retryInSeconds=5/.test(line)));
      assert.equal(tun.opens.length, 2, 'a device that keeps vanishing is not asked for in a loop');
    } finally {
      await engine.stop();
    }
  });
});

describe('the native data lane', () => {
  test(
    'is on where the addon and libsodium are, and says so; switched off, the status says how',
    {
      skip: dataLaneUnavailable() ?? false,
    },
    async () => {
      const socket = join(dir, 'lane.sock');
      for (const setting of ['on', 'off'] as const) {
        const { engine } = await startEngine(`lane-${setting}`, socket, undefined, setting);
        try {
          const lane = engine.status().dataLane;
          assert.equal(lane?.state, setting, lane?.reason);
          if (setting === 'off') assert.match(lane?.reason ?? '', /HNET_DATA_LANE/);
        } finally {
          await engine.stop();
        }
      }
    },
  );
});
