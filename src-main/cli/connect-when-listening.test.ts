import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../engine/control/control-client.js';
import { connectWhenListening } from './connect-when-listening.js';

/** A stand-in for hnetd's control socket: connecting is all the wait needs. */
function listenOn(path: string): Promise<Server> {
  const server = createServer((socket) => socket.end());
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

/**
 * Starts the wait and resolves once its first connect has failed: the wait then sits on its
 * watch (or its timer), so what appears afterwards must wake it. Its deadline is far off: only a
 * wake-up, never the deadline's last try, connects before `guarded` gives up.
 */
async function waitingFor(path: string): Promise<{ waiting: ReturnType<typeof connectWhenListening> }> {
  const connects = mock.method(ControlClient, 'connect');
  try {
    const waiting = connectWhenListening(path, { deadline: Date.now() + 120_000 });
    const first = await connects.mock.calls[0]!.result;
    assert.equal(first?.ok, false, 'nothing listens yet');
    return { waiting };
  } finally {
    connects.mock.restore();
  }
}

/** `waiting`, or a failure if it hangs (a guard, far beyond the milliseconds a wake-up takes). */
function guarded<T>(waiting: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the wait was not woken')), 20_000);
  });
  return Promise.race([waiting, hung]).finally(() => clearTimeout(timer));
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('connecting to hnetd while it starts', () => {
  let dir: string;
  const servers: Server[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-wait-'));
  });
  after(async () => {
    await Promise.all(servers.map(close));
    await rm(dir, { recursive: true, force: true });
  });

  test('a socket that appears after the wait began is connected to', async () => {
    const path = join(dir, 'later.sock');
    const { waiting } = await waitingFor(path);
    servers.push(await listenOn(path));
    const connected = await guarded(waiting);
    assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
    connected.value.close();
  });

  test('a socket in a folder that does not exist yet is connected to once both appear', async () => {
    const folder = join(dir, 'run');
    const path = join(folder, 'control.sock');
    const { waiting } = await waitingFor(path);
    await mkdir(folder);
    servers.push(await listenOn(path));
    const connected = await guarded(waiting);
    assert.ok(connected.ok, connected.ok ? '' : connected.error.message);
    connected.value.close();
  });

  test('with nobody listening, the wait ends at the deadline with the reason', async () => {
    const connected = await connectWhenListening(join(dir, 'never.sock'), { deadline: Date.now() + 500 });
    assert.equal(connected.ok, false);
    assert.match(
      connected.ok ? '' : connected.error.message,
      /hnetd is not running \(no socket at .*never\.sock\)/,
    );
  });

  test('an abort ends the wait long before its deadline', async () => {
    const stop = new AbortController();
    const startedAt = Date.now();
    const waiting = connectWhenListening(join(dir, 'aborted.sock'), {
      deadline: startedAt + 60_000,
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 200);
    const connected = await waiting;
    assert.equal(connected.ok, false);
    assert.ok(Date.now() - startedAt < 30_000, 'the wait ran on towards its deadline');
  });
});
