// A public port whose accept keeps failing (out of file descriptors). As in accept-errors.test.ts,
// the failing loop needs libuv's spare descriptor to be gone, which no test can arrange: these emit
// the errors Node would emit.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { after, test } from 'node:test';
import { ACCEPT_FAILURE_BURST } from '../src-shared/accept-errors.js';
import { createLogger } from '../src-main/engine/log.js';
import { keepListening } from './keep-listening.js';

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

const outOfFds = (): NodeJS.ErrnoException =>
  Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end('hello\n'));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const greeting = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });

test('with a connection to give up, the port sheds it and keeps listening', async () => {
  const { server, port } = await listening();
  let shed = 0;
  const stop = keepListening(server, {
    log: createLogger('error', () => undefined),
    name: 'test',
    host: '127.0.0.1',
    port,
    shed: () => ++shed > 0,
  });
  for (let i = 0; i < ACCEPT_FAILURE_BURST; i++) server.emit('error', outOfFds());
  assert.equal(shed, 1);
  assert.equal(server.listening, true);
  assert.equal(await greeting(port), 'hello\n');
  stop();
});

test('with nothing to give up, the port closes and is listened on again, on the same port', async () => {
  const { server, port } = await listening();
  const lines: string[] = [];
  const stop = keepListening(server, {
    log: createLogger('info', (line) => lines.push(line)),
    name: 'test',
    host: '127.0.0.1',
    port,
    shed: () => false,
  });
  for (let i = 0; i < ACCEPT_FAILURE_BURST; i++) server.emit('error', outOfFds());
  assert.equal(server.listening, false);
  await once(server, 'listening');
  assert.equal((server.address() as AddressInfo).port, port);
  assert.equal(await greeting(port), 'hello\n');
  assert.match(lines.join('\n'), /event=test-stopped-listening[\s\S]*event=test-listening-again/);
  stop();
});
