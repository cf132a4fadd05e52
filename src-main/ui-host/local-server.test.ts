// "Host a server on this machine" when the server cannot come up: the user gets a sentence that
// names the cause (hnet-server's own last words, or the busy port), and nothing is left running.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalServerHost } from './local-server-host.js';
import { LocalServer } from './local-server.js';
import { quietLog } from './testing-hosted-engine.js';

const root = new URL('../../', import.meta.url).pathname;
const hnetServer = [process.execPath, '--import', 'tsx', `${root}src-server/cli.ts`];

describe('hosting a server on this machine', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hnet-local-server-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a server that stops at once is reported with its own message, and its log keeps it', async () => {
    const logFile = join(dir, 'stops.log');
    const started = await LocalServer.start({
      command: [...hnetServer, 'no-such-command'],
      cwd: root,
      logFile,
      log: quietLog,
    });
    assert.equal(started.ok, false);
    assert.match(started.ok ? '' : started.error.message, /^hnet-server stopped: .+\(log: .*stops\.log\)$/);
    assert.match(await readFile(logFile, 'utf8'), /has no command "no-such-command"/);
  });

  test('a port another program holds is named, with what to do', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const started = await LocalServer.start({
        command: [
          ...hnetServer,
          ...['--state-dir', join(dir, 'busy'), '--public-ip', '127.0.0.1', '--no-metrics'],
          ...['--http', `127.0.0.1:${port}`, '--tcp', '127.0.0.1:0', '--udp', '127.0.0.1:0'],
        ],
        cwd: root,
        logFile: join(dir, 'busy.log'),
        log: quietLog,
      });
      assert.equal(started.ok, false);
      assert.match(
        started.ok ? '' : started.error.message,
        new RegExp(`^Port ${port} on this machine is already in use .*Stop that program and try again`),
      );
    } finally {
      holder.close();
    }
  });

  test('a missing program is reported as such', async () => {
    const started = await LocalServer.start({
      command: ['/nonexistent/hnet-server'],
      logFile: join(dir, 'missing.log'),
      log: quietLog,
    });
    assert.match(started.ok ? '' : started.error.message, /^hnet-server could not start: .*ENOENT/);
  });

  test('a machine with no address other devices could reach is told so, and nothing starts', async () => {
    const host = new LocalServerHost({
      stateDir: join(dir, 'no-address'),
      // Would fail loudly if it ran: nothing may start without an address to advertise.
      command: ['/nonexistent/hnet-server'],
      privileged: false,
      detectAddress: () => Promise.resolve(undefined),
      log: quietLog,
    });
    const started = await host.start();
    assert.match(
      started.ok ? '' : started.error.message,
      /^This machine has no network address other devices could reach .*nothing was changed\.$/,
    );
  });
});
