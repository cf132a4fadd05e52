// The browser-mode UI server when local processes flood or abuse it: bounded, and never crashed.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { createLogger } from '../engine/log.js';
import { BRIDGE_PATH, serveUi, type UiServer } from './serve-ui.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Resolves once `socket` is connected, or closed without connecting. */
const opened = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });

/** The status of GET / on a connection of its own, or 'closed' when the server closes it unanswered. */
function statusOf(port: number): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: `127.0.0.1:${port}` } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('closed'));
    req.end();
  });
}

describe('the browser UI server under abuse by local processes', () => {
  let dir: string;
  let ui: UiServer;
  const timeouts = { headersMs: 300, requestMs: 600, idleMs: 1_000 };

  const startUi = async (): Promise<UiServer> => {
    const served = await serveUi({
      controlSocket: join(dir, 'no-engine.sock'),
      helperSocket: join(dir, 'no-helper.sock'),
      log: createLogger('error', () => undefined),
      rendererDir: dir,
      timeouts,
    });
    assert.ok(served.ok, JSON.stringify(served));
    return served.value;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-ui-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>hnet</title>');
    ui = await startUi();
  });

  after(async () => {
    await ui?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a flood of idle connections gets 32 of them, the rest are closed at once, and the page answers after', async () => {
    const before = openFds();
    const flood: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 200; i++) {
      const socket = connect(ui.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('close', () => closedByServer++);
      flood.push(socket);
      await opened(socket);
    }
    // Connections are accepted in order: once this one is dealt with, so are the 200 before it.
    assert.equal(await statusOf(ui.port), 'closed', 'the UI is full while the flood holds its places');
    assert.equal(closedByServer, 200 - 32);
    // The flood's own 200 client ends and the server's 32 ends, nothing more.
    assert.ok(openFds() - before <= 200 + 32 + 2, `${openFds() - before} more descriptors`);
    for (const socket of flood) socket.destroy();
    let status: number | 'closed' = 'closed';
    for (let tries = 0; tries < 50 && status === 'closed'; tries++) {
      await new Promise((r) => setTimeout(r, 20));
      status = await statusOf(ui.port);
    }
    assert.equal(status, 401, 'answered again (401: no token) once the flood has gone');
  });

  test(
    'connections that send nothing, or their headers a byte at a time, give their place back',
    // Only a guard against hanging the whole run: without timeouts nothing ever ends.
    { timeout: 30_000 },
    async () => {
      const silent = connect(ui.port, '127.0.0.1');
      const slow = connect(ui.port, '127.0.0.1');
      for (const socket of [silent, slow]) socket.on('error', () => undefined);
      await Promise.all([opened(silent), opened(slow)]);
      const header = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${ui.port}\r\nX-Slow: ${'a'.repeat(100)}`;
      let sent = 0;
      const trickle = setInterval(() => slow.writable && slow.write(header[sent++ % header.length]!), 50);
      await Promise.all([silent, slow].map((socket) => new Promise((r) => socket.once('close', r))));
      clearInterval(trickle);
    },
  );

  test('refused WebSocket upgrades whose clients reset at once never crash the server', async () => {
    // A server of its own, so that an unhandled error in it fails this test and no other.
    const own = await startUi();
    try {
      for (let i = 0; i < 50; i++) {
        const socket = connect(own.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await opened(socket);
        socket.write(
          `GET ${BRIDGE_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${own.port}\r\nOrigin: http://evil.example\r\n` +
            'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
        socket.resetAndDestroy();
      }
      // The server writes each refusal to a connection already reset; give those writes time to
      // fail while this test still runs.
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(await statusOf(own.port), 401);
      }
    } finally {
      await own.close();
    }
  });

  test('a WebSocket from another site gets its 403 and nothing more', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${ui.port}${BRIDGE_PATH}`, {
      headers: { origin: 'http://evil.example' },
    });
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('error', () => resolve(0));
    });
    assert.equal(status, 403);
  });
});
