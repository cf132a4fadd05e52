// Which address a server hosted here advertises: the one other devices most likely reach.
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, test } from 'node:test';
import { chooseAdvertisedAddress, defaultRouteInterface, type Interfaces } from './advertised-address.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/24`,
});
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/64`,
  scopeid: 0,
});

const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;
const IPV6_ROUTES = `fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 wlan0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000003 00000000 00000003 wlan0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo
`;

describe('the default-route interface', () => {
  test('is the IPv4 default route with the lowest metric', () => {
    assert.equal(defaultRouteInterface(ROUTES, IPV6_ROUTES), 'eth0');
  });
  test('falls back to the IPv6 default route, never the unreachable one on lo', () => {
    assert.equal(defaultRouteInterface(ROUTES.split('\n')[0]!, IPV6_ROUTES), 'wlan0');
  });
  test('is unknown without any default route', () => {
    assert.equal(defaultRouteInterface('', ''), undefined);
  });
});

describe('the advertised address', () => {
  const machine: Interfaces = {
    lo: [v4('127.0.0.1', true), v6('::1', true)],
    docker0: [v4('172.17.0.1')],
    hnet0: [v6('fc94:1234:5678:9abc:def0:1234:5678:9abc')],
    eth0: [v6('fe80::1'), v6('2001:db8::5'), v4('10.0.0.5')],
  };

  test('is the IPv4 address of the default-route interface', () => {
    assert.equal(chooseAdvertisedAddress(machine, 'eth0'), '10.0.0.5');
  });

  test('without a default route, is the first address that is not loopback, link-local or overlay', () => {
    const noRoute: Interfaces = {
      lo: [v4('127.0.0.1', true)],
      hnet0: [v6('fc94:1234:5678:9abc:def0:1234:5678:9abc')],
      eth1: [v4('169.254.3.4'), v6('fe80::2')],
      eth2: [v6('2001:db8::7')],
    };
    assert.equal(chooseAdvertisedAddress(noRoute, undefined), '2001:db8::7');
  });

  test('passes over a default-route interface that has no usable address', () => {
    assert.equal(chooseAdvertisedAddress(machine, 'hnet0'), '172.17.0.1');
  });

  test('does not exist on a machine with only loopback and the overlay', () => {
    const isolated: Interfaces = {
      lo: [v4('127.0.0.1', true)],
      hnet0: [v6('fc94:1234:5678:9abc:def0:1234:5678:9abc')],
    };
    assert.equal(chooseAdvertisedAddress(isolated, 'lo'), undefined);
  });
});
