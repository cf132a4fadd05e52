import assert from 'node:assert/strict';
import { test } from 'node:test';
import { network, peer, status } from '../../../../src-main/contract/status-fixture.js';
import { isFirstRun } from './first-run.js';

const empty = status({
  base: { state: 'offline', transport: null, server: null, reason: 'no base server configured' },
  server: null,
});

test('a device with no server, no network and no peer starts on the first-run screen; any of them ends it', () => {
  assert.equal(isFirstRun(empty), true);
  assert.equal(isFirstRun({ ...empty, networks: [network()] }), false);
  assert.equal(isFirstRun({ ...empty, peers: [peer('fc94::1')] }), false);
  assert.equal(isFirstRun(status()), false, 'a base server from the config counts');
  assert.equal(
    isFirstRun({
      ...empty,
      server: { url: 'http://10.0.0.1', fingerprint: 'x', dashboardUrl: null, websetup: 'fc94::2' },
    }),
    false,
  );
});
