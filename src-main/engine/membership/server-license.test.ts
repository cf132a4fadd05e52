// Fetching a server's license as `hnet setup-server` and the app do, from a real HTTP server on
// loopback: what is refused and why, and that a server sending an endless body is cut off early.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { initCrypto, signKeyPair } from '../../../src-protocol/crypto.js';
import { encodeLicenseKey, LICENSE_KEY_PATH, LICENSE_PATH } from '../../../src-protocol/license-key.js';
import { serializeLicense, signLicense, type UnsignedLicense } from '../../../src-protocol/license.js';
import { parseServerAddress } from '../../../src-shared/server-address.js';
import { boundedGet, fetchServerLicense as fetchAt, type HttpGet } from './server-license.js';
import { listenOnBadPort } from '../control/test-bad-ports.js';

/** The license at an address typed as a person types it. */
function fetchServerLicense(typed: string, get?: HttpGet): ReturnType<typeof fetchAt> {
  const address = parseServerAddress(typed);
  assert.ok(address.ok, address.ok ? '' : address.error);
  return fetchAt(address.value, get);
}

const fields: UnsignedLicense = {
  installation_id: 'inst-1',
  license_id: 'lic-1',
  name: 'Test server',
  max_devices: 100,
  dashboard_url: 'http://127.0.0.1/',
  websetup_host: 'fc94:b01d:1803:8dd8:b293:5c7d:7639:932a',
  base_server_addresses: ['10.77.0.1'],
  api_servers: [],
  eb_servers: [],
  issued: '2026-11-22T07:00:00Z',
  valid_until: '2036-11-22T07:00:00Z',
};

/** Far more than any license: what a hostile server sends. */
const HUGE_BODY_BYTES = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, ' ');

/** Resolves when `response` can take more, or is gone. */
const writable = (response: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });

interface Hostile {
  /** Bytes of the body handed to the socket before the reader went away (or all of it). */
  sent(): Promise<number>;
}

describe('fetching a server license', () => {
  const routes = new Map<string, (response: ServerResponse) => void>();
  let server: Server;
  let url = '';
  const secret = () => signKeyPair(Buffer.alloc(32, 7)).secretKey;
  const publicKey = () => signKeyPair(Buffer.alloc(32, 7)).publicKey;

  const publish = (license: UnsignedLicense | string) => {
    let text = license;
    if (typeof text !== 'string') {
      const signed = signLicense(text, secret());
      assert.ok(signed.ok);
      text = serializeLicense(signed.value);
    }
    const body = text;
    routes.set(LICENSE_PATH, (response) => response.end(body));
    routes.set(LICENSE_KEY_PATH, (response) => response.end(encodeLicenseKey(publicKey())));
  };

  /** Serves HUGE_BODY_BYTES at `path`, counting what it manages to send. */
  const hostile = (path: string, announceLength: boolean): Hostile => {
    let sent = 0;
    let finished!: () => void;
    const closed = new Promise<void>((resolve) => (finished = resolve));
    routes.set(path, (response) => {
      response.once('close', finished);
      response.writeHead(200, announceLength ? { 'Content-Length': HUGE_BODY_BYTES } : {});
      void (async () => {
        while (sent < HUGE_BODY_BYTES && !response.destroyed) {
          sent += CHUNK.length;
          if (!response.write(CHUNK)) await writable(response);
        }
        response.end();
      })();
    });
    return { sent: async () => (await closed, sent) };
  };

  before(async () => {
    await initCrypto();
    server = createServer((request, response) => {
      const route = routes.get(request.url ?? '');
      if (route) route(response);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('a good license is accepted, and the answer says where it was found', async () => {
    publish(fields);
    const fetched = await fetchServerLicense(url);
    assert.ok(fetched.ok, fetched.ok ? '' : fetched.error.message);
    assert.deepEqual(fetched.value.license.base_server_addresses, ['10.77.0.1']);
    assert.equal(fetched.value.url, url);
  });

  test('a server on a port fetch() refuses ("bad port") is read like any other', async () => {
    publish(fields);
    const other = createServer((request, response) => {
      const route = routes.get(request.url ?? '');
      if (route) route(response);
      else response.writeHead(404).end();
    });
    const port = await listenOnBadPort(other);
    try {
      const fetched = await fetchServerLicense(`127.0.0.1:${port}`);
      assert.ok(fetched.ok, fetched.ok ? '' : fetched.error.message);
      assert.equal(fetched.value.url, `http://127.0.0.1:${port}`);
    } finally {
      other.close();
    }
  });

  test('a refused connection says nothing listens on that port and how to give another', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const fetched = await fetchServerLicense(`http://127.0.0.1:${port}`);
    assert.equal(fetched.ok ? 'accepted' : fetched.error.kind, 'Timeout');
    assert.equal(
      fetched.ok ? '' : fetched.error.message,
      `Nothing listens on port ${port} of 127.0.0.1 (connection refused): the server is not running, or its dashboard is on another port. Give the port too, as in 127.0.0.1:5580.`,
    );
  });

  test('https:// to a plain-HTTP server says to use http://, not a TLS error', async () => {
    publish(fields);
    const fetched = await fetchServerLicense(url.replace('http:', 'https:'));
    const message = fetched.ok ? '' : fetched.error.message;
    assert.match(
      message,
      new RegExp(
        `^${url.slice(7).replace(/\./g, '\\.')} answers in plain HTTP, not HTTPS\\. Use ${url.replace(/\./g, '\\.')} `,
      ),
    );
    assert.doesNotMatch(message, /SSL|ssl3|routines/);
  });

  test('http:// to something that is not HTTP says what it may speak instead', async () => {
    const raw = createNetServer((socket) => socket.end('\u0016\u0003\u0001 not http at all\r\n\r\n'));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const port = (raw.address() as AddressInfo).port;
    try {
      const fetched = await fetchServerLicense(`127.0.0.1:${port}`);
      assert.match(
        fetched.ok ? '' : fetched.error.message,
        new RegExp(
          `^127\\.0\\.0\\.1:${port} does not speak HTTP on port ${port} .*If the server uses HTTPS, type https://127\\.0\\.0\\.1:${port}\\.$`,
        ),
      );
    } finally {
      raw.close();
    }
  });

  test('a page that is not an hnet dashboard is named as such', async () => {
    routes.delete(LICENSE_PATH);
    const fetched = await fetchServerLicense(url);
    assert.equal(
      fetched.ok ? '' : fetched.error.message,
      `${url.slice(7)} answered 404 for license.json: it is not an hnet server's dashboard. Check the address and port.`,
    );
  });

  test('an address without a port is tried on the dashboard ports in turn, and the answer says which were assumed', async () => {
    publish(fields);
    const asked: string[] = [];
    const refusedBut5580: HttpGet = async (target) => {
      asked.push(target);
      if (target.startsWith('http://10.77.0.1:5580/'))
        return boundedGet(target.replace('http://10.77.0.1:5580', url));
      return { kind: 'failed', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' };
    };
    const found = await fetchServerLicense('10.77.0.1', refusedBut5580);
    assert.ok(found.ok, found.ok ? '' : found.error.message);
    assert.equal(found.value.url, 'http://10.77.0.1:5580');
    assert.deepEqual(asked.slice(0, 2), [
      'http://10.77.0.1/license.json',
      'http://10.77.0.1:5580/license.json',
    ]);

    const refused: HttpGet = async () => ({
      kind: 'failed',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED',
    });
    const none = await fetchServerLicense('10.77.0.1', refused);
    assert.match(
      none.ok ? '' : none.error.message,
      /^10\.77\.0\.1 names no port, so hnet tried http on port 80, http on port 5580 and https on port 443 \(hnet-server's dashboard is on port 80 unless told otherwise\)\. Nothing listens on port 80 of 10\.77\.0\.1/,
    );
  });

  test('an unreachable server is one sentence and no more ports are tried', async () => {
    const asked: string[] = [];
    const silent: HttpGet = async (target) => (asked.push(target), { kind: 'timeout' });
    const fetched = await fetchServerLicense('10.77.0.1', silent);
    assert.equal(asked.length, 1);
    assert.equal(
      fetched.ok ? '' : fetched.error.message,
      "10.77.0.1 names no port, so hnet tried http on port 80 (hnet-server's dashboard is on port 80 unless told otherwise). 10.77.0.1 did not answer within 8 s. Check the address, that the server is running, and that this device reaches it (a firewall may drop the connection).",
    );
    const unknown: HttpGet = async () => ({
      kind: 'failed',
      code: 'ENOTFOUND',
      message: 'getaddrinfo ENOTFOUND',
    });
    const named = await fetchServerLicense('https://hnet.invalid', unknown);
    assert.match(
      named.ok ? '' : named.error.message,
      /^No host is called hnet\.invalid \(the name does not resolve\)\./,
    );
  });

  for (const announceLength of [false, true])
    test(`an endless license.json is refused after reading little of it (${announceLength ? 'Content-Length announced' : 'streamed'})`, async () => {
      publish(fields);
      const body = hostile(LICENSE_PATH, announceLength);
      const fetched = await fetchServerLicense(url);
      assert.equal(fetched.ok ? 'accepted' : fetched.error.kind, 'BadParams');
      assert.match(fetched.ok ? '' : fetched.error.message, /more than \d+ bytes for license\.json/);
      // What the kernel's socket buffers took is all that left: a small part of the body.
      const sent = await body.sent();
      assert.ok(sent < HUGE_BODY_BYTES / 4, `the server got to send ${sent} bytes`);
    });

  test('an endless signing key is refused the same way', async () => {
    publish(fields);
    const body = hostile(LICENSE_KEY_PATH, false);
    const fetched = await fetchServerLicense(url);
    assert.match(fetched.ok ? '' : fetched.error.message, /more than \d+ bytes for its signing key/);
    assert.ok((await body.sent()) < HUGE_BODY_BYTES / 4);
  });

  test('an expired license is refused with a sentence saying so', async () => {
    publish({ ...fields, issued: '2020-01-01T00:00:00Z', valid_until: '2021-01-01T00:00:00Z' });
    const fetched = await fetchServerLicense(url);
    assert.equal(fetched.ok ? 'accepted' : fetched.error.kind, 'BadState');
    assert.match(fetched.ok ? '' : fetched.error.message, /expired at 2021-01-01T00:00:00Z/);
  });

  test('a license whose addresses were moved to another list is refused as not signed', async () => {
    const signed = signLicense(fields, secret());
    assert.ok(signed.ok);
    publish(serializeLicense({ ...signed.value, base_server_addresses: [], api_servers: ['10.77.0.1'] }));
    const fetched = await fetchServerLicense(url);
    assert.equal(fetched.ok ? 'accepted' : fetched.error.kind, 'NotPermitted');
  });

  test('a license from an hnet server older than the structural signature says to update it', async () => {
    const signed = signLicense(fields, secret());
    assert.ok(signed.ok);
    const { hnet_signature: _, ...old } = signed.value;
    publish(serializeLicense(old));
    const fetched = await fetchServerLicense(url);
    assert.match(fetched.ok ? '' : fetched.error.message, /Update hnet-server/);
  });
});
