import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { decodeLicenseKey, keyFingerprint } from '../../src-protocol/license-key.js';
import {
  baseServerTargets,
  parseLicense,
  serializeLicense,
  verifyLicense,
} from '../../src-protocol/license.js';
import { issueLicense } from './license-issuer.js';
import { loadOrCreateSigningKey } from './signing-key.js';

const issuedAt = new Date('2026-11-22T08:00:00.123Z');

const settings = {
  name: 'Example lab',
  dashboardUrl: 'http://198.18.0.1:8080',
  websetupHost: 'fc94:1111:2222:3333:4444:5555:6666:7777',
  baseServers: ['198.18.0.1'],
  maxDevices: 100,
};

describe('license issuing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-license-'));
  before(() => initCrypto());
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the server keeps one signing key across restarts, readable by it alone', async () => {
    const file = join(dir, 'license-key');
    const first = await loadOrCreateSigningKey(file);
    const second = await loadOrCreateSigningKey(file);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(first.fingerprint, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  });

  test('a damaged key file stops the server instead of being replaced', async () => {
    const file = join(dir, 'damaged-key');
    writeFileSync(file, 'not a key\n');
    await assert.rejects(
      loadOrCreateSigningKey(file),
      /is not a license signing key\. Restore it from a backup/,
    );
  });

  test('license.json verifies with the published key and names this server', async () => {
    const key = await loadOrCreateSigningKey(join(dir, 'license-key'));
    const issued = issueLicense(settings, key, issuedAt);
    assert.ok(issued.ok);
    const parsed = parseLicense(issued.value.json);
    assert.ok(parsed.ok);
    const published = decodeLicenseKey(issued.value.keyText);
    assert.ok(published);
    assert.equal(keyFingerprint(published), key.fingerprint);
    assert.ok(verifyLicense(parsed.value, published, issuedAt).ok);
    assert.ok(parsed.value.hnet_signature, 'signed for hnet too, beside the stock signature_v2');
    assert.deepEqual(parsed.value.base_server_addresses, ['198.18.0.1']);
    assert.equal(parsed.value.websetup_host, settings.websetupHost);
    assert.equal(parsed.value.issued, '2026-11-22T08:00:00Z');
    assert.equal(parsed.value.valid_until, '2036-11-22T08:00:00Z');
    const other = await loadOrCreateSigningKey(join(dir, 'other-key'));
    assert.equal(
      verifyLicense(parsed.value, other.publicKey, issuedAt).ok,
      false,
      'another key does not verify it',
    );
  });

  test('a base server given as a host name is refused with the reason', async () => {
    const key = await loadOrCreateSigningKey(join(dir, 'license-key'));
    const issued = issueLicense({ ...settings, baseServers: ['base.example.org'] }, key);
    assert.equal(issued.ok, false);
    assert.match(issued.ok ? '' : issued.error.message, /not an IP address/);
  });

  test('a base server off port 443 is named with its port for hnet, under the signature, and 443 stays stock', async () => {
    const key = await loadOrCreateSigningKey(join(dir, 'license-key'));
    const stock = issueLicense({ ...settings, baseTcpPort: 443 }, key);
    assert.ok(stock.ok);
    assert.equal('hnet_base_servers' in stock.value.license, false);
    assert.deepEqual(baseServerTargets(stock.value.license), ['198.18.0.1']);

    const moved = issueLicense({ ...settings, baseTcpPort: 5443 }, key, issuedAt);
    assert.ok(moved.ok);
    const parsed = parseLicense(moved.value.json);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.base_server_addresses, ['198.18.0.1'], 'stock field keeps bare IPs');
    assert.ok(verifyLicense(parsed.value, key.publicKey, issuedAt).ok);
    assert.deepEqual(baseServerTargets(parsed.value), ['198.18.0.1:5443']);

    const redirected = parseLicense(
      serializeLicense({ ...parsed.value, hnet_base_servers: ['198.51.100.66:5443'] }),
    );
    assert.ok(redirected.ok);
    assert.equal(
      verifyLicense(redirected.value, key.publicKey, issuedAt).ok,
      false,
      'the port list is signed',
    );
  });
});
