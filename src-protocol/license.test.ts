import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initCrypto } from './crypto.js';
import { generateIdentity, type Identity } from './identity.js';
import {
  licenseSigningBytes,
  parseLicense,
  serializeLicense,
  signLicense,
  verifyLicense,
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

before(async () => {
  await initCrypto();
  server = generateIdentity();
  stranger = generateIdentity();
});

function signed() {
  const license = signLicense(fields, server.secretKey);
  assert.ok(license.ok);
  return license.value;
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
    assert.deepEqual(verifyLicense(parsed.value, server.publicKey), { ok: true, value: license });
  });

  test('a license from another key, or with a changed field, is refused', () => {
    const license = signed();
    assert.equal(verifyLicense(license, stranger.publicKey).ok, false);
    const redirected = { ...license, base_server_addresses: ['203.0.113.66'] };
    const result = verifyLicense(redirected, server.publicKey);
    assert.equal(result.ok ? 'accepted' : result.error.kind, 'BadSignature');
    assert.equal(verifyLicense({ ...license, max_devices: 101 }, server.publicKey).ok, false);
    assert.equal(verifyLicense({ ...license, signature_v2: 'AAAA' }, server.publicKey).ok, false);
  });

  test('the unsigned version field may change without breaking the signature', () => {
    assert.equal(verifyLicense({ ...signed(), version: 2 }, server.publicKey).ok, true);
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
    ]) {
      const parsed = parseLicense(text);
      assert.equal(parsed.ok ? 'accepted' : parsed.error.kind, 'BadFormat', text);
    }
  });
});
