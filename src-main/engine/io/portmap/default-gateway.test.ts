import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseIpv4Routes, parseIpv6Routes, readDefaultGateways } from './default-gateway.js';

const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';

describe('default gateway from the kernel route tables', () => {
  test('IPv4: the default route with the lowest metric, its address read in host byte order', () => {
    const table = [
      header,
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    assert.deepEqual(parseIpv4Routes(table), { ip: '192.0.2.1', interfaceName: 'eth0' });
  });

  test('IPv4: routes that are down, rejecting, not via a gateway or not default do not count', () => {
    const table = [
      header,
      'eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t00000000\t0101A8C0\t0203\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t0000000A\t0101A8C0\t0003\t0\t0\t0\t000000FF\t0\t0\t0',
      'garbage line',
      'eth0\t00000000\t0101A8',
    ].join('\n');
    assert.equal(parseIpv4Routes(table), undefined);
    assert.equal(parseIpv4Routes(''), undefined);
  });

  test('IPv6: the default route via a next hop, lowest metric; loopback and unreachable entries skipped', () => {
    const zero = '0'.repeat(32);
    const table = [
      `${zero} 00 ${zero} 00 ${zero} ffffffff 00000001 00000000 00200200       lo`,
      `${zero} 00 ${zero} 00 fe800000000000000000000000000001 00000400 00000003 00000000 00000003     eth0`,
      `${zero} 00 ${zero} 00 fe800000000000000000000000000002 00000100 00000003 00000000 00000003    wlan0`,
      `fd000000000000000000000000000000 40 ${zero} 00 ${zero} 00000100 00000001 00000000 00000001     eth0`,
    ].join('\n');
    assert.deepEqual(parseIpv6Routes(table), { ip: 'fe80::2', interfaceName: 'wlan0' });
    assert.equal(parseIpv6Routes(table.split('\n')[0]!), undefined);
  });

  test("this machine's own tables are read as parsing them whole says", async () => {
    const gateways = await readDefaultGateways();
    assert.deepEqual(gateways.ipv4, parseIpv4Routes(readFileSync('/proc/net/route', 'latin1')));
  });
});
