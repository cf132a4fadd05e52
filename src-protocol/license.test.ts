import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initCrypto, verifyDetached } from './crypto.js';
import { generateIdentity, type Identity } from './identity.js';
import {
  licenseSigningBytes,
  parseLicense,
  serializeLicense,
  signLicense,
  verifyLicense,
  type License,
  type UnsignedLicense,
} from './license.js';

let server: Identity;
let stranger: Identity;

const fields: UnsignedLicense = {
  installation_id: 'inst-1',
  license_id: 'lic-7',
  name: 'Lab network',
  max_devices: 100,
  dashboard_url: 'http://10.77.0.1',
  websetup_host: 'fc94:b01d:1803:8dd8:b293:5c7d:7639:932a',
  base_server_addresses: ['10.77.0.1', '2001:db8::1'],
  api_servers: ['10.77.0.1'],
  eb_servers: [],
  issued: '2026-11-22T07:00:00Z',
  valid_until: '2036-11-22T07:00:00Z',
  version: 1,
};

/** Inside the license's validity. */
const now = new Date('2026-12-07T08:00:00Z');
const hours = (n: number) => n * 60 * 60 * 1000;

before(async () => {
  await initCrypto();
  server = generateIdentity();
  stranger = generateIdentity();
});

function signed(changes: Partial<UnsignedLicense> = {}): License {
  const license = signLicense({ ...fields, ...changes }, server.secretKey);
  assert.ok(license.ok);
  return license.value;
}

/** The kind of refusal, or 'accepted'. */
function verdict(license: License, at = now): string {
  const result = verifyLicense(license, server.publicKey, at);
  return result.ok ? 'accepted' : result.error.kind;
}

describe('license.json', () => {
  test("the signed text is the stock daemon's, with empty lists leaving no line", () => {
    assert.equal(
      new TextDecoder().decode(licenseSigningBytes(fields)),
      '1\ninst-1\nlic-7\nLab network\n100\nhttp://10.77.0.1\nfc94:b01d:1803:8dd8:b293:5c7d:7639:932a\n' +
        '10.77.0.1,2001:db8::1\n10.77.0.1\n2026-11-22T07:00:00Z\n2036-11-22T07:00:00Z',
    );
  });

  test('a license signed by the server verifies after a trip through the file', () => {
    const license = signed();
    assert.equal(Buffer.from(license.signature_v2, 'base64').length, 64);
    const parsed = parseLicense(serializeLicense(license));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, license);
    assert.deepEqual(verifyLicense(parsed.value, server.publicKey, now), { ok: true, value: license });
  });

  test('a license from another key, or with a changed field, is refused', () => {
    const license = signed();
    assert.equal(verifyLicense(license, stranger.publicKey, now).ok, false);
    assert.equal(verdict({ ...license, base_server_addresses: ['203.0.113.66'] }), 'BadSignature');
    assert.equal(verdict({ ...license, max_devices: 101 }), 'BadSignature');
    assert.equal(verdict({ ...license, signature_v2: 'AAAA' }), 'BadSignature');
  });

  test('addresses moved from one list to another are refused, though the stock signature still holds', () => {
    const license = signed({ base_server_addresses: ['10.77.0.1'], api_servers: [], eb_servers: [] });
    for (const target of ['api_servers', 'eb_servers'] as const) {
      const moved = { ...license, base_server_addresses: [], [target]: ['10.77.0.1'] };
      const stockText = licenseSigningBytes(moved);
      const stockSignature = Buffer.from(moved.signature_v2, 'base64');
      assert.ok(verifyDetached(stockSignature, stockText, server.publicKey), 'the stock text cannot tell');
      assert.equal(verdict(moved), 'BadSignature', `moved to ${target}`);
    }
  });

  test('every field is covered, the hnet-only ones too', () => {
    const license = signed({ hnet_base_servers: ['10.77.0.1:5443'], eb_servers: ['10.77.0.2'] });
    assert.equal(verdict(license), 'accepted');
    const changes: Partial<License>[] = [
      { hnet_base_servers: ['10.77.0.1:5444'] },
      { hnet_base_servers: undefined },
      { version: 2 },
      { version: undefined },
      { eb_servers: [] },
      { api_servers: ['10.77.0.2'], eb_servers: ['10.77.0.1'] },
      { websetup_host: 'fc94:b01d:1803:8dd8:b293:5c7d:7639:932b' },
    ];
    for (const change of changes)
      assert.equal(verdict({ ...license, ...change }), 'BadSignature', JSON.stringify(change));
  });

  test('a license without the hnet signature, as older hnet servers sign it, is refused with what to do', () => {
    const { hnet_signature: _, ...old } = signed();
    const result = verifyLicense(old, server.publicKey, now);
    assert.equal(result.ok ? 'accepted' : result.error.kind, 'OldFormat');
    assert.match(result.ok ? '' : result.error.message, /Update hnet-server/);
  });

  test('signature_v2 stays what a stock daemon checks, whatever hnet adds to the file', () => {
    const license = signed({ hnet_base_servers: ['10.77.0.1:5443'] });
    const file = JSON.parse(serializeLicense(license)) as Record<string, unknown>;
    assert.equal(file['signature_v2'], license.signature_v2);
    const stockText = licenseSigningBytes({ ...license, version: 7 });
    assert.ok(verifyDetached(Buffer.from(license.signature_v2, 'base64'), stockText, server.publicKey));
  });

  test('an expired license is refused with the date, however good its signature', () => {
    const expired = signed({ issued: '2020-01-01T00:00:00Z', valid_until: '2021-01-01T00:00:00Z' });
    const result = verifyLicense(expired, server.publicKey, now);
    assert.equal(result.ok ? 'accepted' : result.error.kind, 'Expired');
    assert.match(result.ok ? '' : result.error.message, /expired at 2021-01-01T00:00:00Z/);
  });

  test('a license is valid from issued to valid_until, give or take a day of clock error', () => {
    const window = signed({ issued: '2026-12-07T08:00:00Z', valid_until: '2026-12-17T08:00:00Z' });
    const at = (iso: string, ms = 0) => new Date(Date.parse(iso) + ms);
    assert.equal(verdict(window, at('2026-12-07T08:00:00Z', -hours(23))), 'accepted', 'clock a bit behind');
    assert.equal(verdict(window, at('2026-12-07T08:00:00Z', -hours(25))), 'NotYetValid');
    assert.equal(verdict(window, at('2026-12-17T08:00:00Z', hours(23))), 'accepted', 'clock a bit ahead');
    assert.equal(verdict(window, at('2026-12-17T08:00:00Z', hours(25))), 'Expired');
  });

  test('fields that would make the signed text ambiguous are refused', () => {
    assert.equal(signLicense({ ...fields, name: 'a\n5' }, server.secretKey).ok, false);
    assert.equal(signLicense({ ...fields, api_servers: ['10.0.0.1,10.0.0.2'] }, server.secretKey).ok, false);
    assert.equal(
      signLicense({ ...fields, base_server_addresses: ['base.example.com'] }, server.secretKey).ok,
      false,
    );
    assert.equal(signLicense({ ...fields, websetup_host: '10.0.0.1' }, server.secretKey).ok, false);
    assert.equal(signLicense({ ...fields, max_devices: 1.5 }, server.secretKey).ok, false);
    assert.equal(signLicense({ ...fields, valid_until: 'next year' }, server.secretKey).ok, false);
  });

  test('malformed files are refused with a reason', () => {
    const good = JSON.parse(serializeLicense(signed())) as Record<string, unknown>;
    for (const text of [
      '',
      'null',
      '[]',
      JSON.stringify({ ...good, name: 5 }),
      JSON.stringify({ ...good, eb_servers: 'x' }),
      JSON.stringify({ ...good, max_devices: '100' }),
      JSON.stringify({ ...good, signature_v2: undefined }),
      JSON.stringify({ ...good, version: {} }),
      JSON.stringify({ ...good, hnet_signature: 5 }),
      JSON.stringify({ ...good, issued: '22 Nov 2026' }),
    ]) {
      const parsed = parseLicense(text);
      assert.equal(parsed.ok ? 'accepted' : parsed.error.kind, 'BadFormat', text);
    }
  });
});
