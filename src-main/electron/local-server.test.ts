// "Host a server on this machine" when the server cannot come up: the user gets hnet-server's own
// last words, and nothing is left running.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalServer } from './local-server.js';
import { quietLog } from './testing/hosted-engine.js';

const root = new URL('../../', import.meta.url).pathname;

describe('hosting a server on this machine', () => {
  test('a server that stops at once is reported with its own message', async () => {
    const started = await LocalServer.start({
      command: [process.execPath, '--import', 'tsx', `${root}src-server/cli.ts`, 'no-such-command'],
      cwd: root,
      log: quietLog,
    });
    assert.equal(started.ok, false);
    assert.match(started.ok ? '' : started.error.message, /^hnet-server stopped: .+/);
  });

  test('a missing program is reported as such', async () => {
    const started = await LocalServer.start({ command: ['/nonexistent/hnet-server'], log: quietLog });
    assert.match(started.ok ? '' : started.error.message, /^hnet-server could not start: .*ENOENT/);
  });
});
