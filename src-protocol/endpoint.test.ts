import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from './bytes.js';
import {
  decodeEndpoint,
  decodeEndpoints,
  encodeEndpoint,
  encodeEndpoints,
  formatEndpoint,
  formatIp,
  isUsableEndpoint,
  makeEndpoint,
  parseEndpoint,
  parseIp,
} from './endpoint.js';

describe('endpoint', () => {
  test('IPv4 travels as ::ffff:a.b.c.d with a little-endian port', () => {
    const bytes = encodeEndpoint({ ip: '10.77.0.12', port: 5582 });
    assert.ok(bytes.ok);
    assert.equal(toHex(bytes.value), '00000000000000000000ffff0a4d000cce15');
    assert.deepEqual(decodeEndpoint(bytes.value), { ok: true, value: { ip: '10.77.0.12', port: 5582 } });
  });

  test('IPv6 round-trips and is shown in RFC 5952 form', () => {
    const bytes = encodeEndpoint({ ip: '2001:DB8:0:0:0:0:0:1', port: 443 });
    assert.ok(bytes.ok);
    assert.equal(toHex(bytes.value), '20010db8000000000000000000000001bb01');
    assert.deepEqual(decodeEndpoint(bytes.value), { ok: true, value: { ip: '2001:db8::1', port: 443 } });
  });

  test('text forms of IPs', () => {
    const cases: [string, string][] = [
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
      ['::ffff:192.168.1.1', '192.168.1.1'],
      ['fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239', 'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239'],
    ];
    for (const [input, shown] of cases) {
      const bytes = parseIp(input);
      assert.ok(bytes, input);
      assert.equal(formatIp(bytes), shown, input);
    }
    for (const bad of ['', '1.2.3', '256.1.1.1', '1.2.3.4.5', 'localhost', '1::2::3', ':::'])
      assert.equal(parseIp(bad), undefined, bad);
  });

  test('endpoints from a dual-stack socket compare equal to decoded ones', () => {
    assert.deepEqual(makeEndpoint('::ffff:10.0.0.1', 5582), {
      ok: true,
      value: { ip: '10.0.0.1', port: 5582 },
    });
    assert.equal(makeEndpoint('10.0.0.1', 70000).ok, false);
    assert.equal(makeEndpoint('nonsense', 1).ok, false);
  });

  test('endpoint text parses back', () => {
    for (const text of ['1.2.3.4:5582', '[2001:db8::1]:443', '[::1]:0']) {
      const parsed = parseEndpoint(text);
      assert.ok(parsed.ok, text);
      assert.equal(formatEndpoint(parsed.value), text);
    }
    for (const bad of ['1.2.3.4', '2001:db8::1:443', '[::1]', '1.2.3.4:99999', 'a:b:c'])
      assert.equal(parseEndpoint(bad).ok, false, bad);
  });

  test('lists are concatenated 18-byte entries and must fill the buffer exactly', () => {
    const list = [
      { ip: '10.77.0.12', port: 5582 },
      { ip: '2001:db8::5', port: 6000 },
    ];
    const bytes = encodeEndpoints(list);
    assert.ok(bytes.ok);
    assert.equal(bytes.value.length, 36);
    assert.deepEqual(decodeEndpoints(bytes.value), { ok: true, value: list });
    const cut = decodeEndpoints(bytes.value.subarray(0, 35));
    assert.equal(cut.ok ? 'accepted' : cut.error.kind, 'BadLength');
    assert.deepEqual(decodeEndpoints(new Uint8Array(0)), { ok: true, value: [] });
  });

  test('an endpoint that cannot be encoded is an error, not garbage on the wire', () => {
    for (const endpoint of [
      { ip: 'example.com', port: 1 },
      { ip: '1.2.3.4', port: -1 },
      { ip: '1.2.3.4', port: 1.5 },
    ]) {
      const encoded = encodeEndpoints([{ ip: '1.2.3.4', port: 1 }, endpoint]);
      assert.equal(encoded.ok ? 'accepted' : encoded.error.kind, 'BadFormat');
    }
  });

  test('only endpoints another device could reach are usable', () => {
    const usable = ['10.77.0.12', '192.168.1.5', '8.8.8.8', '169.254.3.4', '2001:db8::1', 'fd00::1'];
    const unusable = [
      '127.0.0.1',
      '127.9.9.9',
      '0.0.0.0',
      '224.3.252.148',
      '239.1.1.1',
      '255.255.255.255',
      '::',
      '::1',
      '::10.0.0.1',
      'ff02::1',
      'fe80::1',
      'fc94:1350:1883:b7ff:3bd0:eb4f:2280:5239',
      'not an ip',
    ];
    for (const ip of usable) assert.equal(isUsableEndpoint({ ip, port: 5582 }), true, ip);
    for (const ip of unusable) assert.equal(isUsableEndpoint({ ip, port: 5582 }), false, ip);
    assert.equal(isUsableEndpoint({ ip: '10.0.0.1', port: 0 }), false, 'port 0');
    const decoded = decodeEndpoint(fromHex('00000000000000000000ffff7f000001ce15')!);
    assert.ok(decoded.ok);
    assert.equal(isUsableEndpoint(decoded.value), false, 'loopback as a stock client sends it');
  });
});
