// Which of our addresses the base hears about, and which beacon sources count as neighbours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advertisedEndpoints, isOnLink, type LocalAddress } from './local-interfaces.js';

const addresses: LocalAddress[] = [
  { interfaceName: 'eth0', family: 'IPv4', ip: '198.18.0.2', scopeId: 0, prefixLength: 24 },
  { interfaceName: 'eth0', family: 'IPv6', ip: 'fe80::1', scopeId: 2, prefixLength: 64 },
  { interfaceName: 'eth1', family: 'IPv6', ip: '2001:db8:5::7', scopeId: 0, prefixLength: 64 },
];

test('INFO lists usable addresses with our UDP port, never link-local ones', () => {
  assert.deepEqual(advertisedEndpoints(addresses, 5583), [
    { ip: '198.18.0.2', port: 5583 },
    { ip: '2001:db8:5::7', port: 5583 },
  ]);
});

test('a beacon source on one of our subnets is a neighbour, even outside RFC 1918', () => {
  assert.equal(isOnLink('198.18.0.77', addresses), true);
  assert.equal(isOnLink('198.18.1.77', addresses), false);
  assert.equal(isOnLink('2001:db8:5::99', addresses), true);
  assert.equal(isOnLink('2001:db8:6::99', addresses), false);
  assert.equal(isOnLink('not an address', addresses), false);
});
