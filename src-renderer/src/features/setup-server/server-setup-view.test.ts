import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostingProgress, setupCommand, useServerAction } from './server-setup-view.js';

describe('hosting a server and using one, as the window words them', () => {
  test('while hosting starts, the steps before are done, the current one is under way, the rest to come', () => {
    const steps = hostingProgress({ state: 'working', step: 'starting', since: '2026-11-22T09:00:00Z' });
    assert.deepEqual(
      steps?.map((s) => s.state),
      ['done', 'now', 'next'],
    );
    assert.match(steps?.[1]?.text ?? '', /Starting hnet-server/);
    assert.equal(hostingProgress({ state: 'idle' }), undefined);
  });

  test('the command for other devices carries the fingerprint quoted, as the CLI reads it', () => {
    assert.equal(
      setupCommand('http://192.168.1.20:5580', 'ab12 cd34'),
      "hnet setup-server http://192.168.1.20:5580 --fingerprint 'ab12 cd34'",
    );
  });

  test('a pasted fingerprint switches; without one the window only checks the server’s key', () => {
    assert.equal(useServerAction('  '), 'Check server');
    assert.equal(useServerAction('ab12 cd34'), 'Use this server');
  });
});
