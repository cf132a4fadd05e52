import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOverlayAddress } from './address.js';
import { toHex } from './bytes.js';
import { decodeLanBeacon, encodeLanBeacon, isLanBeaconSource } from './lan-beacon.js';

const id = parseOverlayAddress('fc94:59d2:2c2e:85bd:6b5e:83f6:f916:7cb8')!;

describe('LAN beacon', () => {
  test('a beacon is the little-endian P2P port and the id', () => {
    const bytes = encodeLanBeacon({ port: 5582, id });
    assert.ok(bytes.ok);
    assert.equal(toHex(bytes.value), 'ce15fc9459d22c2e85bd6b5e83f6f9167cb8');
    assert.deepEqual(decodeLanBeacon(bytes.value), { ok: true, value: { port: 5582, id } });
  });

  test('wrong sizes, port 0 and non-overlay ids are refused', () => {
    const bytes = encodeLanBeacon({ port: 5582, id });
    assert.ok(bytes.ok);
    assert.equal(decodeLanBeacon(bytes.value.subarray(0, 17)).ok, false);
    assert.equal(decodeLanBeacon(Uint8Array.of(...bytes.value, 0)).ok, false);
    assert.equal(decodeLanBeacon(Uint8Array.of(0, 0, ...id)).ok, false);
    assert.equal(decodeLanBeacon(Uint8Array.of(0xce, 0x15, 0xfd, ...id.subarray(1))).ok, false);
    assert.equal(encodeLanBeacon({ port: 0, id }).ok, false);
    assert.equal(encodeLanBeacon({ port: 5582, id: id.subarray(1) }).ok, false);
  });

  test('only private and link-local sources are believed', () => {
    for (const ip of [
      '10.77.0.13',
      '172.16.0.1',
      '172.31.255.1',
      '192.168.1.2',
      '169.254.0.9',
      'fe80::1%eth0',
      'fd12::3',
    ])
      assert.equal(isLanBeaconSource(ip), true, ip);
    for (const ip of [
      '8.8.8.8',
      '172.32.0.1',
      '127.0.0.1',
      '2001:db8::1',
      'fc94::1',
      '::ffff:1.1.1.1',
      'garbage',
    ])
      assert.equal(isLanBeaconSource(ip), false, ip);
  });
});
