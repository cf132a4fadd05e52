import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeNearby } from './nearby-view.js';

const device = {
  address: 'fc94:1111:2222:3333:4444:5555:6666:7777',
  hostname: null,
  endpoint: '192.168.1.30:5582',
  lastHeard: '2026-11-22T09:00:00.000Z',
};
const now = Date.parse('2026-11-22T09:00:04.000Z');

const known = (whitelist: { enabled: boolean; addresses: string[] }) => ({
  whitelist,
  networks: [],
  server: null,
});

test('a device heard on the LAN shows where and when; one the whitelist keeps out says so', () => {
  assert.deepEqual(describeNearby(device, known({ enabled: true, addresses: [] }), now), {
    address: device.address,
    name: device.address,
    detail: 'at 192.168.1.30:5582, heard 4 s ago; not allowed to connect yet',
    allowed: false,
  });
  const named = describeNearby(
    { ...device, hostname: 'desk' },
    known({ enabled: true, addresses: [device.address] }),
    now,
  );
  assert.equal(named.name, 'desk');
  assert.equal(named.allowed, true);
  assert.equal(describeNearby(device, known({ enabled: false, addresses: [] }), now).allowed, true);
});

test('the websetup node of the server in use is named for what it is', () => {
  const server = { url: 'http://10.0.0.1', fingerprint: 'f', dashboardUrl: null, websetup: device.address };
  const view = describeNearby(device, { ...known({ enabled: true, addresses: [] }), server }, now);
  assert.equal(view.name, 'websetup of the server in use');
});
