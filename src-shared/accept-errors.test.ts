// What a listener does when accept keeps failing. The failing loop itself needs libuv's spare fd
// to be gone, which no test can arrange on purpose, so these emit the errors Node would emit.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ACCEPT_FAILURE_BURST, surviveAcceptErrors } from './accept-errors.js';
import { createLogger } from '../src-main/engine/log.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'hnet-accept-'))));
after(() => rm(dir, { recursive: true, force: true }));

const outOfFds = (): NodeJS.ErrnoException =>
  Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });

async function listening(name: string): Promise<{ server: Server; path: string; accepted: Socket[] }> {
  const path = join(dir, name);
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, path, accepted };
}

const connected = (path: string): Promise<Socket> =>
  new Promise((resolve) => {
    const socket = createConnection(path, () => resolve(socket));
    socket.on('error', () => undefined);
  });

test('accept failing in a loop is logged once, gives up one connection, and the server keeps serving', async () => {
  const { server, path, accepted } = await listening('shed.sock');
  const lines: string[] = [];
  const shed: string[] = [];
  surviveAcceptErrors(server, {
    log: createLogger('info', (line) => lines.push(line)),
    name: 'test',
    shed: () => {
      shed.push('one');
      return true;
    },
    stopped: () => assert.fail('nothing to stop: a connection was given up'),
  });
  for (let i = 0; i < ACCEPT_FAILURE_BURST; i++) server.emit('error', outOfFds());
  assert.deepEqual(shed, ['one']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /event=test-accept-failed code=EMFILE .*out of file descriptors/);
  assert.equal(server.listening, true);
  const client = await connected(path);
  await new Promise((r) => setImmediate(r));
  assert.equal(accepted.length, 1);
  assert.match(lines[1]!, /event=test-accepting-again failedAccepts=16/);
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('with no connection to give up, it stops listening, says so, and hands over to the caller', async () => {
  const { server } = await listening('stop.sock');
  const lines: string[] = [];
  let stopped = 0;
  surviveAcceptErrors(server, {
    log: createLogger('info', (line) => lines.push(line)),
    name: 'test',
    shed: () => false,
    stopped: () => stopped++,
  });
  for (let i = 0; i < ACCEPT_FAILURE_BURST; i++) server.emit('error', outOfFds());
  assert.equal(stopped, 1);
  assert.equal(server.listening, false);
  assert.match(lines.at(-1)!, /level=error event=test-stopped-listening/);
});

test('failures spread over time are logged once and never give anything up', async () => {
  const { server } = await listening('spread.sock');
  const lines: string[] = [];
  surviveAcceptErrors(server, {
    log: createLogger('info', (line) => lines.push(line)),
    name: 'test',
    shed: () => assert.fail('an occasional failure is not a loop'),
    stopped: () => assert.fail('an occasional failure is not a loop'),
  });
  for (let i = 0; i < ACCEPT_FAILURE_BURST * 2; i++) {
    server.emit('error', outOfFds());
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(lines.length, 1);
  assert.equal(server.listening, true);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
