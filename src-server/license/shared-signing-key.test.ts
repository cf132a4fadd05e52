// Servers sharing a database sign with the key the first of them made: a server with no key or
// another one refuses to start, naming the key to copy, and makes no key file of its own.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initCrypto } from '../../src-protocol/crypto.js';
import { encodeLicenseKey } from '../../src-protocol/license-key.js';
import { Store } from '../store/store.js';
import { LicenseBook, clusterBases } from './license-book.js';
import { sharedSigningKey } from './shared-signing-key.js';
import { loadOrCreateSigningKey, newSigningKey } from './signing-key.js';

describe('one license key and one base list for the servers of a database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-shared-key-'));
  let store: Store;
  before(async () => {
    await initCrypto();
    store = await Store.open(join(dir, 'db.sqlite'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the first server makes the key; the others need a copy of it', async () => {
    const first = await sharedSigningKey(join(dir, 'one-key'), store);
    assert.equal(await store.licenseKey(), encodeLicenseKey(first.publicKey));
    assert.equal((await sharedSigningKey(join(dir, 'one-key'), store)).fingerprint, first.fingerprint);

    const missing = join(dir, 'two-key');
    await assert.rejects(
      sharedSigningKey(missing, store),
      (error: Error) =>
        /two-key is missing, and the servers of this database sign licenses with key/.test(error.message) &&
        error.message.includes(first.fingerprint),
    );
    assert.equal(existsSync(missing), false, 'no key of its own was written');

    const other = join(dir, 'other-key');
    await loadOrCreateSigningKey(other);
    await assert.rejects(
      sharedSigningKey(other, store),
      /other-key holds key .* but the servers of this database/,
    );

    copyFileSync(join(dir, 'one-key'), missing);
    assert.equal((await sharedSigningKey(missing, store)).fingerprint, first.fingerprint);
  });

  test('every license lists the registered bases, and is issued again when one registers', async () => {
    const key = newSigningKey();
    const settings = {
      name: 'fleet',
      dashboardUrl: 'http://198.18.0.1',
      websetupHost: 'fc94::1',
      baseServers: ['198.18.0.1'],
      maxDevices: 10,
    };
    assert.deepEqual(clusterBases([], ['198.18.0.1']), ['198.18.0.1'], 'alone: its own');
    await store.registerServer('one', ['198.18.0.1:443'], null);
    const book = await LicenseBook.open(settings, key, store);
    assert.deepEqual(book.current.license.base_server_addresses, ['198.18.0.1']);
    assert.equal(await book.refresh(), false, 'nothing changed');

    await store.registerServer('two', ['198.18.0.2:8443'], null);
    assert.equal(await book.refresh(), true);
    const { license } = book.current;
    assert.deepEqual(license.base_server_addresses, ['198.18.0.1', '198.18.0.2']);
    assert.deepEqual(license.hnet_base_servers, ['198.18.0.1:443', '198.18.0.2:8443'], 'each with its port');
  });
});
