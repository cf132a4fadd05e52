// An HTTP port of the stack under a flood of idle connections, on loopback (every 127.0.0.0/8
// address is a source of its own on Linux).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { createLogger } from '../src-main/engine/log.js';
import { BOUNDED_SERVER_OPTIONS, boundHttpServer, type HttpTimeouts } from './bounded-http.js';
import type { SlotLimits } from './connection-slots.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
after(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

const SLOW: HttpTimeouts = { headersMs: 60_000, requestMs: 60_000, idleMs: 60_000, keepAliveMs: 60_000 };

async function serve(limits: SlotLimits, timeouts = SLOW): Promise<{ port: number; lines: string[] }> {
  const lines: string[] = [];
  const server = createServer(BOUNDED_SERVER_OPTIONS, (_request, response) => response.end('license\n'));
  servers.push(server);
  boundHttpServer(server, {
    name: 'test',
    log: createLogger('info', (l) => lines.push(l)),
    limits,
    timeouts,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, lines };
}

/** Opens a connection from `from` and sends nothing; resolves once it is connected or closed. */
async function idle(port: number, from: string): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
  return socket;
}

const closed = (socket: Socket): Promise<unknown> =>
  socket.destroyed ? Promise.resolve() : once(socket, 'close');

function get(port: number, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: '127.0.0.1', path: '/license.json', localAddress: from, agent: false },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a flood of idle connections from one address holds its cap, and everyone is still answered', async () => {
  const { port } = await serve({ total: 16, perSource: 4 });
  const flood: Socket[] = [];
  for (let i = 0; i < 40; i++) flood.push(await idle(port, '127.0.0.1'));
  // Each newcomer from the address took the place of its longest idle connection.
  await Promise.all(flood.slice(0, 36).map(closed));
  // The flooding address itself is answered, in place of one more of its idle connections.
  assert.equal(await get(port, '127.0.0.1'), 'license\n');
  assert.equal(await get(port, '127.0.0.2'), 'license\n');
  assert.equal(flood.filter((socket) => !socket.destroyed).length, 3);
});

test('when a few addresses fill every slot, a newcomer still gets one, and the flood cannot take it back', async () => {
  const { port, lines } = await serve({ total: 8, perSource: 8 });
  for (let i = 0; i < 6; i++) await idle(port, '127.0.0.1');
  for (let i = 0; i < 2; i++) await idle(port, '127.0.0.3');
  const newcomer = await idle(port, '127.0.0.2');
  // The flood's address now holds 5 and would hold no more than the newcomer's after a swap.
  await closed(await idle(port, '127.0.0.1'));
  assert.equal(newcomer.destroyed, false);
  assert.match(lines.join('\n'), /event=test-connections-refused connection_limit=1 total=8 perSource=8/);
});

test('a connection that never sends a request, or never finishes one, gives its slot back', async () => {
  const { port } = await serve({ total: 2, perSource: 2 }, { ...SLOW, headersMs: 200, idleMs: 60_000 });
  const silent = await idle(port, '127.0.0.1');
  const partial = await idle(port, '127.0.0.1');
  partial.write('GET / HTTP/1.1\r\nHost: x\r\n');
  await Promise.all([closed(silent), closed(partial)]);
  assert.equal(await get(port, '127.0.0.1'), 'license\n');
});
