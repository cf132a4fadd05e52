// The setup-server flow against a real HTTP server publishing a license and its key, the way an
// hnet server does: what the dialog shows, and each refusal, which must change nothing.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { initCrypto, wasmSodium } from '../../src-protocol/crypto.js';
import { serializeLicense, signLicense, type UnsignedLicense } from '../../src-protocol/license.js';
import type { EngineLink } from './engine-link.js';
import { keyFingerprint, LICENSE_KEY_PATH, LICENSE_PATH } from '../../src-protocol/license-key.js';
import { previewServer, useServer } from './server-setup.js';

const sodium = await wasmSodium();

const unsigned: UnsignedLicense = {
  installation_id: 'test-installation',
  license_id: 'test-license',
  name: 'Test hnet server',
  max_devices: 100,
  dashboard_url: 'http://127.0.0.1/',
  websetup_host: 'fc94:b01d:1803:8dd8:b293:5c7d:7639:932a',
  base_server_addresses: ['10.77.0.1', '2001:db8::1'],
  api_servers: [],
  eb_servers: [],
  issued: '2026-11-22T07:00:00Z',
  valid_until: '2036-11-22T07:00:00Z',
};

/** Serves whatever `routes` holds now, so each test can change what the "server" publishes. */
function publish(routes: Map<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
    res.end(body ?? 'not found');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  );
}

/** Records whether the engine was asked to switch, and answers as an engine that did. */
function recordingLink(): Pick<EngineLink, 'call'> & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    call: (async (name: string, params: unknown) => {
      calls.push([name, params]);
      return {
        ok: true,
        value: {
          switched: true,
          name: unsigned.name,
          fingerprint: '',
          baseServers: unsigned.base_server_addresses,
        },
      };
    }) as EngineLink['call'],
  };
}

describe('setting up a server', () => {
  const routes = new Map<string, string>();
  let url: string;
  let server: Server;
  let keys: { publicKey: Uint8Array; privateKey: Uint8Array };
  let other: { publicKey: Uint8Array; privateKey: Uint8Array };
  const signedBy = (secret: Uint8Array) => {
    const license = signLicense(unsigned, secret);
    assert.ok(license.ok);
    return serializeLicense(license.value);
  };
  const publishKey = (key: Uint8Array) => routes.set(LICENSE_KEY_PATH, Buffer.from(key).toString('base64'));

  before(async () => {
    await initCrypto();
    keys = sodium.crypto_sign_keypair();
    other = sodium.crypto_sign_keypair();
    ({ url, server } = await publish(routes));
  });
  after(() => server?.close());

  test('shows the name, key fingerprint and base servers of a correctly signed license', async () => {
    routes.set(LICENSE_PATH, signedBy(keys.privateKey));
    publishKey(keys.publicKey);
    const preview = await previewServer(url);
    assert.ok(preview.ok, preview.ok ? '' : preview.error.message);
    assert.equal(preview.value.name, 'Test hnet server');
    assert.deepEqual(preview.value.baseServers, ['10.77.0.1', '2001:db8::1']);
    assert.equal(preview.value.fingerprint, keyFingerprint(keys.publicKey));
    assert.match(preview.value.fingerprint, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  });

  test('a license not signed by the key the server publishes is refused', async () => {
    routes.set(LICENSE_PATH, signedBy(other.privateKey));
    publishKey(keys.publicKey);
    const preview = await previewServer(url);
    assert.equal(preview.ok ? '' : preview.error.kind, 'BadSignature');
    assert.match(
      preview.ok ? '' : preview.error.message,
      /not signed by the key it publishes.*Nothing was changed/,
    );
  });

  test('a tampered license is refused, even with the right key', async () => {
    const text = signedBy(keys.privateKey).replace('10.77.0.1', '10.66.0.1');
    routes.set(LICENSE_PATH, text);
    publishKey(keys.publicKey);
    const preview = await previewServer(url);
    assert.equal(preview.ok ? '' : preview.error.kind, 'BadSignature');
  });

  test('a server without a license, and one nobody answers at, get their own sentences', async () => {
    routes.clear();
    const missing = await previewServer(url);
    assert.equal(missing.ok ? '' : missing.error.kind, 'BadLicense');
    assert.match(missing.ok ? '' : missing.error.message, /answered 404 .*does not look like an hnet server/);
    const closed = await publish(new Map());
    closed.server.close();
    const unreachable = await previewServer(closed.url);
    assert.equal(unreachable.ok ? '' : unreachable.error.kind, 'Unreachable');
    assert.match(
      unreachable.ok ? '' : unreachable.error.message,
      /^Could not reach 127\.0\.0\.1:\d+ \(.*\)\. Check the address/,
    );
  });

  test('the engine switches only if the key still has the fingerprint the user confirmed', async () => {
    routes.set(LICENSE_PATH, signedBy(keys.privateKey));
    publishKey(keys.publicKey);
    const link = recordingLink();
    const confirmed = await useServer(url, keyFingerprint(keys.publicKey), link);
    assert.ok(confirmed.ok);
    assert.deepEqual(link.calls, [['setupServer', { url, fingerprint: keyFingerprint(keys.publicKey) }]]);

    // The server's key changed after the user looked: nothing reaches the engine.
    routes.set(LICENSE_PATH, signedBy(other.privateKey));
    publishKey(other.publicKey);
    const changed = await useServer(url, keyFingerprint(keys.publicKey), link);
    assert.equal(changed.ok ? '' : changed.error.kind, 'KeyChanged');
    assert.equal(link.calls.length, 1);
  });
});
