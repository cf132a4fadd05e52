import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkStatus } from '../../../../src-main/engine/status.js';
import { describeNetwork } from './network-view.js';

const WEBSETUP = 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c';
const joined: NetworkStatus = {
  websetup: WEBSETUP,
  server: 'http://hnet.example.org/',
  dashboardUrl: 'http://hnet.example.org',
  hostname: 'laptop',
  state: 'joined',
  reach: 'online',
  lastContact: '2026-11-22T09:00:00.000Z',
  managed: { addresses: 3, hostnames: 1 },
};

test('a joined network names the device, its server and what leaving would take away', () => {
  assert.deepEqual(describeNetwork(joined), {
    heading: 'Joined as laptop',
    managedBy: `websetup ${WEBSETUP} of http://hnet.example.org/`,
    detail: 'It looks after 3 whitelist entries and 1 name here; leaving removes them and keeps your own.',
  });
});

test('a join still waiting says the device keeps asking; without a server set up only websetup is named', () => {
  const view = describeNetwork({
    ...joined,
    state: 'joining',
    server: null,
    managed: { addresses: 1, hostnames: 0 },
  });
  assert.equal(view.heading, 'Joining as laptop');
  assert.equal(view.managedBy, `websetup ${WEBSETUP}`);
  assert.match(view.detail, /asks again every 5 seconds/);
});
