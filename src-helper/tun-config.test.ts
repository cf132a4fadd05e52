import assert from 'node:assert/strict';
import { test } from 'node:test';
import { windowsPlan } from './tun-config.js';

test('on Windows the adapter gets the overlay address, both overlay routes and the MTU, all non-persistent', () => {
  const plan = windowsPlan({ name: 'hnet0', address: 'fc94:1:2:3:4:5:6:7', mtu: 1350 });
  assert.deepEqual(plan, [
    [
      'interface',
      'ipv6',
      'set',
      'interface',
      'hnet0',
      'mtu=1350',
      'dadtransmits=0',
      'routerdiscovery=disabled',
      'store=active',
    ],
    [
      'interface',
      'ipv6',
      'add',
      'address',
      'interface=hnet0',
      'address=fc94:1:2:3:4:5:6:7/128',
      'store=active',
    ],
    ['interface', 'ipv6', 'add', 'route', 'prefix=fc94::/16', 'interface=hnet0', 'store=active'],
    ['interface', 'ipv6', 'add', 'route', 'prefix=ff15:f2d3:a389::/48', 'interface=hnet0', 'store=active'],
  ]);
});
