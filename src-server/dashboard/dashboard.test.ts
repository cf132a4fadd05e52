// The dashboard over real HTTP on loopback, as the web UI and API scripts use it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatAddress, parseOverlayAddress } from '../../src-protocol/address.js';
import { initCrypto } from '../../src-protocol/crypto.js';
import { decodeLicenseKey, keyFingerprint } from '../../src-protocol/license-key.js';
import { parseLicense, verifyLicense } from '../../src-protocol/license.js';
import { parseJoinCode } from '../../src-protocol/websetup-messages.js';
import { createLogger } from '../../src-main/engine/log.js';
import { issueLicense } from '../license/license-issuer.js';
import { loadOrCreateSigningKey } from '../license/signing-key.js';
import { hashSecret } from '../store/secret-hash.js';
import { Store } from '../store/store.js';
import { DashboardServer } from './dashboard-server.js';
import { LoginLimiter } from './login-limiter.js';

const WEBSETUP = 'fc94:aaaa:0000:0000:0000:0000:0000:0001';
const A = formatAddress(parseOverlayAddress('fc94::a')!);
const B = formatAddress(parseOverlayAddress('fc94::b')!);
const C = formatAddress(parseOverlayAddress('fc94::c')!);

interface Client {
  cookie?: string;
  csrf?: string;
  token?: string;
}

describe('dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnet-dashboard-'));
  const dbFile = join(dir, 'hnet.sqlite');
  let store: Store;
  let dashboard: DashboardServer;
  let closedDashboard: DashboardServer;
  const changed: string[][] = [];
  let base = '';

  async function call(
    client: Client,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(base + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(client.cookie ? { Cookie: client.cookie } : {}),
        ...(client.csrf && method !== 'GET' ? { 'X-CSRF-Token': client.csrf } : {}),
        ...(client.token ? { Authorization: `Bearer ${client.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown> & {
      error?: { kind: string; message: string };
    };
    return { status: response.status, json, headers: response.headers };
  }

  async function signUp(email: string): Promise<Client> {
    const response = await call({}, 'POST', '/api/signup', { email, password: 'correct horse battery' });
    assert.equal(response.status, 201, JSON.stringify(response.json));
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    return { cookie, csrf: response.json.csrfToken as string };
  }

  before(async () => {
    await initCrypto();
    store = await Store.open(dbFile);
    const key = await loadOrCreateSigningKey(join(dir, 'license-key'));
    const settings = {
      name: 'Test lab',
      dashboardUrl: 'http://127.0.0.1',
      websetupHost: WEBSETUP,
      baseServers: ['127.0.0.1'],
      maxDevices: 10,
    };
    const license = issueLicense(settings, key);
    assert.ok(license.ok);
    const context = {
      store,
      limiter: new LoginLimiter(),
      websetup: parseOverlayAddress(WEBSETUP)!,
      allowSignup: true,
      secureCookies: false,
      facts: {
        name: settings.name,
        fingerprint: key.fingerprint,
        websetupHost: WEBSETUP,
        baseServers: settings.baseServers,
        dashboardUrl: settings.dashboardUrl,
      },
      devicesChanged: (addresses: string[]) => changed.push([...addresses].sort()),
    };
    const log = createLogger('error');
    dashboard = await DashboardServer.start({
      host: '127.0.0.1',
      port: 0,
      context,
      license: license.value,
      log,
    });
    closedDashboard = await DashboardServer.start({
      host: '127.0.0.1',
      port: 0,
      context: { ...context, allowSignup: false },
      license: license.value,
      log,
    });
    base = `http://127.0.0.1:${dashboard.port}`;
  });
  after(async () => {
    await dashboard?.close();
    await closedDashboard?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('license.json is signed by the key the server publishes, whose fingerprint the dashboard shows', async () => {
    const license = parseLicense(await (await fetch(`${base}/license.json`)).text());
    const key = decodeLicenseKey(await (await fetch(`${base}/license.key`)).text());
    assert.ok(license.ok && key);
    assert.ok(verifyLicense(license.value, key).ok);
    assert.equal(license.value.websetup_host, WEBSETUP);
    const server = await call({}, 'GET', '/api/server');
    assert.equal(server.json.fingerprint, keyFingerprint(key));
  });

  test('the web UI is served with a policy that allows only its own scripts', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/app\.js"/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
  });

  test('signing up gives an HttpOnly, SameSite session cookie, and the password is stored only as scrypt', async () => {
    const response = await call({}, 'POST', '/api/signup', {
      email: 'first@example.org',
      password: 'correct horse battery',
    });
    assert.equal(response.status, 201);
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const stored = await store.credentials('first@example.org');
    assert.match(stored?.passwordHash ?? '', /^scrypt\$/);
    assert.ok(!stored?.passwordHash.includes('correct horse'));
  });

  test('a change without the CSRF token, or from another site, is refused', async () => {
    const client = await signUp('csrf@example.org');
    const noToken = await call({ cookie: client.cookie }, 'POST', '/api/networks', { name: 'x' });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.json.error?.kind, 'BadCsrfToken');
    const foreign = await call(
      client,
      'POST',
      '/api/networks',
      { name: 'x' },
      { Origin: 'https://evil.example' },
    );
    assert.equal(foreign.status, 403);
    const form = await fetch(`${base}/api/networks`, {
      method: 'POST',
      headers: {
        Cookie: client.cookie!,
        'X-CSRF-Token': client.csrf!,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'name=x',
    });
    assert.equal(form.status, 415, 'only JSON bodies, which a cross-site form cannot send');
    const fine = await call(client, 'POST', '/api/networks', { name: 'x' });
    assert.equal(fine.status, 201);
    const signedOut = await call(client, 'POST', '/api/logout');
    assert.equal(signedOut.status, 200);
    assert.equal((await call(client, 'GET', '/api/networks')).status, 401, 'the session ended');
  });

  test('after five wrong passwords, sign-in is refused for a while, even with the right one', async () => {
    await signUp('limited@example.org');
    for (let i = 0; i < 5; i++) {
      const wrong = await call({}, 'POST', '/api/login', {
        email: 'limited@example.org',
        password: `wrong password ${i}`,
      });
      assert.equal(wrong.status, 401);
    }
    const right = await call({}, 'POST', '/api/login', {
      email: 'limited@example.org',
      password: 'correct horse battery',
    });
    assert.equal(right.status, 429);
    assert.match(right.json.error?.message ?? '', /try again in 15 minutes/);
    assert.ok(Number(right.headers.get('retry-after')) > 800);
  });

  test('an API token works as a bearer credential and is kept only as a hash', async () => {
    const client = await signUp('token@example.org');
    const created = await call(client, 'POST', '/api/tokens', { name: 'ci' });
    assert.equal(created.status, 201);
    const token = created.json.token as string;
    assert.match(token, /^hnet_/);
    const listed = await call({ token }, 'GET', '/api/tokens');
    assert.equal(listed.status, 200);
    assert.equal((listed.json as unknown as { name: string }[])[0]?.name, 'ci');
    assert.ok(!readFileSync(dbFile).includes(Buffer.from(token)), 'the token itself is not in the database');
    assert.equal((await call({ token: 'hnet_forged' }, 'GET', '/api/tokens')).status, 401);
  });

  test('a join code names websetup and claims devices for its account', async () => {
    const client = await signUp('codes@example.org');
    const created = await call(client, 'POST', '/api/join-codes', { label: 'lab' });
    assert.equal(created.status, 201);
    const parsed = parseJoinCode(created.json.joinCode as string);
    assert.ok(parsed.ok);
    assert.equal(formatAddress(parsed.value.websetup), WEBSETUP);
    const account = (await call(client, 'GET', '/api/session')).json.account as { id: string };
    assert.equal(await store.accountForJoinCode(hashSecret(parsed.value.code)), account.id);
  });

  test('networks: create, add devices, share, rename and remove — and websetup hears of each change', async () => {
    const owner = await signUp('owner@example.org');
    const friend = await signUp('friend@example.org');
    const ownerId = ((await call(owner, 'GET', '/api/session')).json.account as { id: string }).id;
    const friendId = ((await call(friend, 'GET', '/api/session')).json.account as { id: string }).id;
    const secret = 's'.repeat(24);
    await store.claimDevice({ address: A, hostname: 'alpha', secret }, ownerId);
    await store.claimDevice({ address: B, hostname: 'bravo', secret }, ownerId);
    await store.claimDevice({ address: C, hostname: 'charlie', secret }, friendId);

    const network = await call(owner, 'POST', '/api/networks', { name: 'lab' });
    const id = network.json.id as string;
    changed.length = 0;
    assert.equal((await call(owner, 'POST', `/api/networks/${id}/devices`, { address: A })).status, 201);
    assert.equal(
      (await call(owner, 'POST', `/api/networks/${id}/devices`, { address: 'fc94::b' })).status,
      201,
    );
    assert.deepEqual(changed.at(-1), [A, B]);

    const notShared = await call(friend, 'POST', `/api/networks/${id}/devices`, { address: C });
    assert.equal(notShared.status, 404);
    assert.equal(
      (await call(owner, 'POST', `/api/networks/${id}/shares`, { email: 'friend@example.org' })).status,
      201,
    );
    const seen = await call(friend, 'GET', `/api/networks/${id}`);
    assert.deepEqual(seen.json.sharedWith, ['friend@example.org']);
    assert.equal((await call(friend, 'POST', `/api/networks/${id}/devices`, { address: C })).status, 201);
    assert.deepEqual(changed.at(-1), [A, B, C]);

    const renamed = await call(owner, 'PATCH', `/api/devices/${encodeURIComponent(B)}`, {
      hostname: 'bravo-2',
    });
    assert.equal(renamed.status, 200);
    assert.deepEqual(changed.at(-1), [A, B, C], 'the renamed device and everyone who sees its name');
    for (const hostname of ['no spaces', '-bravo']) {
      const badName = await call(owner, 'PATCH', `/api/devices/${encodeURIComponent(B)}`, { hostname });
      assert.equal(badName.status, 400, hostname);
    }

    const removed = await call(owner, 'DELETE', `/api/networks/${id}/devices/${encodeURIComponent(B)}`);
    assert.equal(removed.status, 200);
    assert.deepEqual(changed.at(-1), [A, B, C]);
    assert.deepEqual(
      (removed.json.devices as { hostname: string }[]).map((d) => d.hostname),
      ['alpha', 'charlie'],
    );
    const forbidden = await call(friend, 'DELETE', `/api/networks/${id}`);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.json.error?.message ?? '', /owner@example.org/);
  });

  test('with sign-up closed, only the first account can be created', async () => {
    const closed = `http://127.0.0.1:${closedDashboard.port}`;
    const response = await fetch(`${closed}/api/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'late@example.org', password: 'correct horse battery' }),
    });
    assert.equal(response.status, 403);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /Sign-up is closed/,
    );
  });
});
