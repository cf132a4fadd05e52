import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linuxPlan, runIpBatch, windowsPlan } from './tun-config.js';

test('on Windows the adapter gets the overlay address, both overlay routes and the MTU, all non-persistent', () => {
  const plan = windowsPlan({ name: 'hnet0', address: 'fc94:1:2:3:4:5:6:7', mtu: 1350, overlayRoute: true });
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

describe('the Linux commands for one device run in a single ip -batch', () => {
  test('the command that failed is named with what ip said about it, as if it had run alone', async () => {
    await assert.rejects(
      runIpBatch([
        ['link', 'show', 'dev', 'lo'],
        ['link', 'show', 'dev', 'hnetabsent0'],
        ['link', 'show', 'dev', 'lo'],
      ]),
      (error: Error) => {
        assert.match(
          error.message,
          /^\/\S+\/ip -6 link show dev hnetabsent0: Device "hnetabsent0" does not exist\.$/,
        );
        return true;
      },
    );
  });

  test('an argument ip rejects before running anything names every command of the batch', async () => {
    await assert.rejects(
      runIpBatch([
        ['link', 'show', 'dev', 'lo'],
        ['route', 'show', 'table', 'nosuch'],
      ]),
      /ip -6 link show dev lo; \/\S+\/ip -6 route show table nosuch: .*"nosuch"/,
    );
  });

  test('a word that would split a batch line is refused before ip runs', async () => {
    for (const word of ['lo\nlink', 'lo up', 'lo#', '"lo"', '-force', '']) {
      await assert.rejects(
        runIpBatch([['link', 'show', 'dev', word]]),
        /refusing to pass/,
        JSON.stringify(word),
      );
    }
  });

  test('the device is configured in order: MTU and queue, address, up, then the routes that need it up', () => {
    const plan = linuxPlan({ name: 'hnet0', address: 'fc94:1:2:3:4:5:6:7', mtu: 1350, overlayRoute: true });
    assert.deepEqual(plan, [
      ['link', 'set', 'dev', 'hnet0', 'mtu', '1350', 'txqueuelen', '4096'],
      ['addr', 'replace', 'fc94:1:2:3:4:5:6:7/16', 'dev', 'hnet0', 'nodad', 'noprefixroute'],
      ['link', 'set', 'dev', 'hnet0', 'up'],
      ['route', 'replace', 'fc94::/16', 'dev', 'hnet0'],
      ['route', 'replace', 'multicast', 'ff15:f2d3:a389::/48', 'dev', 'hnet0', 'table', 'local'],
    ]);
  });

  test("a device opened while another carries the overlay gets its address and no route of the overlay's", () => {
    const plan = linuxPlan({ name: 'hnet1', address: 'fc94:1:2:3:4:5:6:7', mtu: 1350, overlayRoute: false });
    assert.deepEqual(plan, [
      ['link', 'set', 'dev', 'hnet1', 'mtu', '1350', 'txqueuelen', '4096'],
      ['addr', 'replace', 'fc94:1:2:3:4:5:6:7/16', 'dev', 'hnet1', 'nodad', 'noprefixroute'],
      ['link', 'set', 'dev', 'hnet1', 'up'],
    ]);
    assert.ok(
      !windowsPlan({ name: 'hnet1', address: 'fc94::7', mtu: 1350, overlayRoute: false })
        .flat()
        .some((w) => w.startsWith('prefix=')),
    );
  });
});
