// The browser UI across hnetd restarts: the same address and token while its port stays free, so an
// open page reconnects by itself; a fresh one when the port was taken meanwhile or the saved one may
// have been read by others. And the proof with which a reconnecting page checks who answers.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { createLogger } from '../engine/log.js';
import { cookieName } from './access.js';
import { ALIVE_PATH, BRIDGE_PATH, serveUi, type UiServer } from './serve-ui.js';
import { proveServer, serverKeyFor } from './server-proof.js';
import { uiSessionFile } from './ui-session.js';

const log = createLogger('error', () => undefined);

describe('the browser UI across restarts', () => {
  let dir: string;
  const controlSocket = () => join(dir, 'control.sock');
  const start = async (): Promise<UiServer> => {
    const served = await serveUi({
      controlSocket: controlSocket(),
      helperSocket: join(dir, 'no-helper.sock'),
      log,
      rendererDir: dir,
    });
    assert.ok(served.ok, JSON.stringify(served));
    return served.value;
  };
  const tokenOf = (ui: UiServer): string => new URL(ui.url).searchParams.get('token') ?? '';
  const withCookie = (ui: UiServer) =>
    fetch(`http://127.0.0.1:${ui.port}/`, { headers: { cookie: `${cookieName(ui.port)}=${tokenOf(ui)}` } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-ui-session-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>hnet</title>');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a restarted UI keeps its address and token, so the cookie an open page holds still works', async () => {
    const first = await start();
    await first.close();
    const second = await start();
    try {
      assert.equal(second.url, first.url);
      assert.equal((await withCookie(first)).status, 200);
      assert.equal((await stat(uiSessionFile(controlSocket()))).mode & 0o777, 0o600);
    } finally {
      await second.close();
    }
  });

  test('a port taken meanwhile gets a new port and a new token: whoever held it may have the cookie', async () => {
    const before = await start();
    await before.close();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(before.port, '127.0.0.1', resolve));
    try {
      const after = await start();
      try {
        assert.notEqual(after.port, before.port);
        assert.notEqual(tokenOf(after), tokenOf(before));
      } finally {
        await after.close();
      }
    } finally {
      squatter.close();
    }
  });

  test('a saved session others could have read is not reused', async () => {
    const before = await start();
    await before.close();
    await chmod(uiSessionFile(controlSocket()), 0o644);
    const after = await start();
    await after.close();
    assert.notEqual(tokenOf(after), tokenOf(before));
  });

  test('the page gets a key on its WebSocket, and /alive answers a nonce with it, no cookie needed', async () => {
    const ui = await start();
    try {
      const origin = `http://127.0.0.1:${ui.port}`;
      const ws = new WebSocket(`ws://127.0.0.1:${ui.port}${BRIDGE_PATH}`, {
        headers: { origin, cookie: `${cookieName(ui.port)}=${tokenOf(ui)}` },
      });
      const first = await new Promise<unknown>((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.once('error', reject);
      });
      ws.close();
      const serverKey = serverKeyFor(tokenOf(ui));
      assert.deepEqual(first, { serverKey });
      const nonce = 'n'.repeat(32);
      const alive = await fetch(`${origin}${ALIVE_PATH}?nonce=${nonce}`);
      assert.equal(alive.status, 200);
      assert.equal((await alive.text()).trim(), proveServer(serverKey, nonce));
      assert.match(alive.headers.get('content-security-policy') ?? '', /connect-src [^;]*\/alive/);
      assert.equal((await fetch(`${origin}${ALIVE_PATH}?nonce=short`)).status, 400);
    } finally {
      await ui.close();
    }
  });
});
