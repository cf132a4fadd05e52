// SIGTERM stops hnetd whatever its local clients are doing: holding every control connection it
// will give them and more, subscribed without reading, halfway through a request, or sitting on
// the browser UI's port.
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { connect, createConnection, type Socket } from 'node:net';
import { test } from 'node:test';
import { connectWhenListening } from './connect-when-listening.js';
import { startTestHnetd } from './test-hnetd.js';

/** Resolves once `socket` is connected, or closed without connecting. */
const opened = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });

test(
  'SIGTERM stops hnetd cleanly while local clients flood, stall and half-send',
  // Only a guard against hanging the whole run: the failure this catches is never exiting.
  { timeout: 60_000 },
  async () => {
    const { dir, socketPath, daemon, output } = await startTestHnetd('hnet-stop-', 'stopbox');
    const gone = new AbortController();
    const exited = new Promise<number | null>((resolve) =>
      daemon.once('exit', (code) => {
        gone.abort();
        resolve(code);
      }),
    );
    const clients: Socket[] = [];
    try {
      const first = await connectWhenListening(socketPath, {
        deadline: Date.now() + 30_000,
        signal: gone.signal,
      });
      assert.ok(first.ok, `hnetd did not start:\n${output()}`);
      first.value.close();

      // More control connections than this user may hold, never read: some are refused.
      for (let i = 0; i < 140; i++) {
        const socket = createConnection(socketPath);
        socket.on('error', () => undefined);
        socket.pause();
        clients.push(socket);
        await opened(socket);
      }
      const subscriber = createConnection(socketPath);
      subscriber.on('error', () => undefined);
      subscriber.write('{"id":1,"call":"subscribe"}\n');
      subscriber.pause();
      const half = createConnection(socketPath);
      half.on('error', () => undefined);
      half.write('{"id":2,"call":"sta');
      clients.push(subscriber, half);

      // The UI starts after the control socket: wait for its address (or for hnetd to exit).
      const uiAddress = /the UI is at http:\/\/127\.0\.0\.1:(\d+)\//;
      while (!uiAddress.test(output()) && !gone.signal.aborted && !/browser-ui-unavailable/.test(output()))
        await new Promise((r) => setTimeout(r, 20));
      const port = uiAddress.exec(output())?.[1];
      assert.ok(port, `hnetd --ui printed no address:\n${output()}`);
      for (let i = 0; i < 40; i++) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        clients.push(socket);
        await opened(socket);
      }

      daemon.kill('SIGTERM');
      assert.equal(await exited, 0, output());
      assert.match(output(), /event=stopped/);
      await assert.rejects(stat(socketPath), 'the control socket is gone');
    } finally {
      for (const socket of clients) socket.destroy();
      daemon.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  },
);
