// The dashboard over real HTTP on loopback, as the web UI and API scripts use it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
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
import type { DashboardContext } from './api-routes.js';
import { DashboardServer, type DashboardOptions } from './dashboard-server.js';
import { LoginLimiter } from './login-limiter.js';

const WEBSETUP = 'fc94:aaaa:0000:0000:0000:0000:0000:0001';
const A = formatAddress(parseOverlayAddress('fc94::a')!);
const B = formatAddress(parseOverlayAddress('fc94::b')!);
const C = formatAddress(parseOverlayAddress('fc94::c')!);
const SETUP_TOKEN = 'the-setup-token-hnet-server-printed';
const PASSWORD = 'correct horse battery';

interface Answer {
  status: number;
  json: Record<string, unknown> & { error?: { kind: string; message: string } };
  headers: Record<string, string | string[] | undefined>;
}

/** One request from a chosen loopback address (127.0.0.0/8 is all ours) and with a chosen Host. */
function send(
  port: number,
  method: string,
  path: string,
  options: { body?: unknown; from?: string; host?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        localAddress: options.from,
        headers: {
          Host: options.host ?? `127.0.0.1:${port}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: Answer['json'];
          try {
            json = JSON.parse(text) as Answer['json'];
          } catch {
            json = { text };
          }
          resolve({ status: response.statusCode ?? 0, json, headers: response.headers });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const statuses = (answers: Answer[]): Record<number, number> => {
  const counted: Record<number, number> = {};
  for (const { status } of answers) counted[status] = (counted[status] ?? 0) + 1;
  return counted;
};

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
  /** The waits the login limiter asked for; the tests' limiter records them rather than sleeping. */
  const delays: number[] = [];
  let base = '';
  let context: DashboardContext;
  let issued: DashboardOptions['license'];
  const fresh: { store: Store; dashboard: DashboardServer }[] = [];

  /** A dashboard of its own, over a database with no account yet. */
  async function freshDashboard(name: string, allowSignup: boolean): Promise<number> {
    const ownStore = await Store.open(join(dir, `${name}.sqlite`));
    const own = await DashboardServer.start({
      host: '127.0.0.1',
      port: 0,
      context: { ...context, store: ownStore, allowSignup },
      license: issued,
      log: createLogger('error'),
    });
    fresh.push({ store: ownStore, dashboard: own });
    return own.port;
  }

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
    const response = await call({}, 'POST', '/api/signup', { email, password: PASSWORD });
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
    issued = license.value;
    context = {
      store,
      limiter: new LoginLimiter(Date.now, (ms) => {
        delays.push(ms);
        return Promise.resolve();
      }),
      websetup: parseOverlayAddress(WEBSETUP)!,
      allowSignup: true,
      setupToken: SETUP_TOKEN,
      secureCookies: false,
      facts: {
        name: settings.name,
        fingerprint: key.fingerprint,
        websetupHost: WEBSETUP,
        baseServers: settings.baseServers,
        dashboardUrl: settings.dashboardUrl,
      },
      devicesChanged: (addresses: string[]) => void changed.push([...addresses].sort()),
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
    const claimed = await call({}, 'POST', '/api/signup', {
      email: 'server-owner@example.org',
      password: PASSWORD,
      setupToken: SETUP_TOKEN,
    });
    assert.equal(claimed.status, 201, 'the first account, with the setup token');
  });
  after(async () => {
    await dashboard?.close();
    await closedDashboard?.close();
    for (const own of fresh) {
      await own.dashboard.close();
      await own.store.close();
    }
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('license.json is signed by the key the server publishes, whose fingerprint the dashboard shows', async () => {
    const license = parseLicense(await (await fetch(`${base}/license.json`)).text());
    const key = decodeLicenseKey(await (await fetch(`${base}/license.key`)).text());
    assert.ok(license.ok && key);
    assert.ok(verifyLicense(license.value, key, new Date()).ok);
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

  test('a sign-in try counts before its password is checked: of 60 parallel wrong ones, at most 10 are checked', async () => {
    await signUp('parallel@example.org');
    const tries = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        send(dashboard.port, 'POST', '/api/login', {
          from: '127.0.0.60',
          body: { email: 'parallel@example.org', password: `wrong password ${i}` },
        }),
      ),
    );
    const counted = statuses(tries);
    assert.ok((counted[401] ?? 0) <= 10, `checked ${counted[401]} of 60: ${JSON.stringify(counted)}`);
    const refused = tries.find((t) => t.status === 429);
    assert.match(refused?.json.error?.message ?? '', /from your address; try again in 15 minutes/);
    assert.ok(Number(refused?.headers['retry-after']) > 800);
  });

  test('strangers guessing from many addresses slow the owner down, boundedly, but never keep them out', async () => {
    await signUp('guessed@example.org');
    delays.length = 0;
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        send(dashboard.port, 'POST', '/api/login', {
          from: `127.0.1.${i + 1}`,
          body: { email: 'guessed@example.org', password: `guess number ${i}` },
        }),
      ),
    );
    assert.deepEqual(statuses(guesses), { 401: 40 });
    const owner = await send(dashboard.port, 'POST', '/api/login', {
      from: '127.0.0.1',
      body: { email: 'guessed@example.org', password: PASSWORD },
    });
    assert.equal(owner.status, 200, JSON.stringify(owner.json));
    assert.ok(delays.length > 0 && delays.at(-1)! > 0, 'later guesses, and the owner, had to wait');
    assert.ok(Math.max(...delays) <= 10_000, `no wait is longer than 10 s: ${Math.max(...delays)} ms`);
  });

  test('an address that keeps guessing is refused, even with the right password; the owner elsewhere signs in', async () => {
    await signUp('limited@example.org');
    const guesser = (password: string) =>
      send(dashboard.port, 'POST', '/api/login', {
        from: '127.0.2.1',
        body: { email: 'limited@example.org', password },
      });
    for (let i = 0; i < 10; i++) assert.equal((await guesser(`wrong password ${i}`)).status, 401);
    assert.equal((await guesser(PASSWORD)).status, 429, 'that address waits for its window');
    const elsewhere = await send(dashboard.port, 'POST', '/api/login', {
      from: '127.0.2.2',
      body: { email: 'limited@example.org', password: PASSWORD },
    });
    assert.equal(elsewhere.status, 200);
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

  test('a join code names websetup and is for a network; revoked, it stays listed with who joined', async () => {
    const client = await signUp('codes@example.org');
    const network = (await call(client, 'POST', '/api/networks', { name: 'home lab' })).json;
    const created = await call(client, 'POST', '/api/join-codes', { label: 'lab', networkId: network.id });
    assert.equal(created.status, 201);
    assert.equal(created.json.networkName, 'home lab');
    const parsed = parseJoinCode(created.json.joinCode as string);
    assert.ok(parsed.ok);
    assert.equal(formatAddress(parsed.value.websetup), WEBSETUP);
    const account = (await call(client, 'GET', '/api/session')).json.account as { id: string };
    const grant = await store.joinGrant(hashSecret(parsed.value.code));
    assert.deepEqual(grant, { accountId: account.id, codeId: created.json.id, networkId: network.id });
    const device = formatAddress(parseOverlayAddress('fc94::d')!);
    await store.claimDevice({ address: device, hostname: 'alpha', secret: 's'.repeat(24) }, grant!);

    const plain = await call(client, 'POST', '/api/join-codes', { label: 'account only' });
    assert.equal(plain.json.networkName, null, 'no network: the account only');
    const elsewhere = await call(client, 'POST', '/api/join-codes', { label: 'x', networkId: 'nope' });
    assert.equal(elsewhere.status, 404);
    assert.equal((await call(client, 'DELETE', `/api/join-codes/${created.json.id as string}`)).status, 200);
    const listed = (await call(client, 'GET', '/api/join-codes')).json as unknown as {
      label: string;
      revokedAt: number | null;
      devices: { hostname: string }[];
    }[];
    assert.deepEqual(
      listed.map((c) => [c.label, c.revokedAt !== null, c.devices.map((d) => d.hostname)]),
      [
        ['lab', true, ['alpha']],
        ['account only', false, []],
      ],
    );
    assert.equal(await store.joinGrant(hashSecret(parsed.value.code)), undefined);
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

  test('a malformed %-escape anywhere in the path is a 400 with a reason, escaped parts still decode once', async () => {
    const owner = await signUp('escapes@example.org');
    await signUp('50%@example.org');
    const id = (await call(owner, 'POST', '/api/networks', { name: 'escapes' })).json.id as string;
    for (const [client, method, path] of [
      [owner, 'DELETE', '/api/devices/%zz'],
      [{}, 'DELETE', '/api/devices/%zz'],
      [owner, 'PATCH', '/api/devices/fc94%3A%3Ab%'],
      [owner, 'DELETE', `/api/networks/${id}/devices/%E0%A4%A`],
      [owner, 'DELETE', `/api/networks/${id}/shares/a%zz`],
      [{}, 'GET', '/%zz'],
      [{}, 'GET', '/assets/%C3'],
    ] as const) {
      const answer = await call(client, method, path, method === 'PATCH' ? { hostname: 'x' } : undefined);
      assert.equal(answer.status, 400, `${method} ${path}`);
      assert.equal(answer.json.error?.kind, 'BadPath', `${method} ${path}`);
    }
    const email = '50%@example.org';
    assert.equal((await call(owner, 'POST', `/api/networks/${id}/shares`, { email })).status, 201);
    const unshared = await call(owner, 'DELETE', `/api/networks/${id}/shares/${encodeURIComponent(email)}`);
    assert.equal(unshared.status, 200, JSON.stringify(unshared.json));
    assert.deepEqual(unshared.json.sharedWith, []);
  });

  test('with no account yet, only the setup token creates one, and of 10 racing sign-ups exactly one wins', async () => {
    const port = await freshDashboard('unclaimed', false);
    const signUps = (setupToken?: string) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          send(port, 'POST', '/api/signup', {
            body: { email: `racer${i}@example.org`, password: PASSWORD, setupToken },
          }),
        ),
      );
    const without = await signUps();
    assert.deepEqual(statuses(without), { 403: 10 }, 'none without the setup token');
    assert.match(without[0]!.json.error?.message ?? '', /needs the setup token/);
    assert.deepEqual(statuses(await signUps('a-guessed-token')), { 403: 10 }, 'none with a wrong one');
    assert.equal((await send(port, 'GET', '/api/server')).json.claimed, false);
    const racing = await signUps(SETUP_TOKEN);
    assert.deepEqual(statuses(racing), { 201: 1, 409: 9 });
    const created = [];
    for (let i = 0; i < 10; i++)
      if (await fresh.at(-1)!.store.credentials(`racer${i}@example.org`)) created.push(i);
    assert.equal(created.length, 1, 'exactly one account exists');
    assert.equal((await send(port, 'GET', '/api/server')).json.claimed, true);
  });

  test('with open sign-up, the first account still needs the setup token', async () => {
    const port = await freshDashboard('open', true);
    const early = await send(port, 'POST', '/api/signup', {
      body: { email: 'early@example.org', password: PASSWORD },
    });
    assert.equal(early.status, 403);
    const owner = { email: 'owner@example.org', password: PASSWORD, setupToken: SETUP_TOKEN };
    assert.equal((await send(port, 'POST', '/api/signup', { body: owner })).status, 201);
    const again = await send(port, 'POST', '/api/signup', {
      body: { ...owner, email: 'second@example.org' },
    });
    assert.equal(again.status, 409, 'the token is spent');
    const later = await send(port, 'POST', '/api/signup', {
      body: { email: 'early@example.org', password: PASSWORD },
    });
    assert.equal(later.status, 201, 'then anyone may sign up');
  });

  test('a request naming another Host is refused, so a DNS-rebinding page cannot reach the API', async () => {
    const port = dashboard.port;
    const rebound = { host: `rebind.attacker.example:${port}` };
    const api = await send(port, 'GET', '/api/server', rebound);
    assert.equal(api.status, 421);
    assert.equal(api.json.error?.kind, 'UnknownHost');
    assert.match(
      api.json.error?.message ?? '',
      /does not answer to the name "rebind\.attacker\.example:\d+"/,
    );
    const signup = await send(port, 'POST', '/api/signup', {
      ...rebound,
      body: { email: 'rebound@example.org', password: PASSWORD },
    });
    assert.equal(signup.status, 421);
    assert.equal((await send(port, 'GET', '/', rebound)).status, 421, 'the page too');
    assert.equal((await send(port, 'GET', '/api/server', { host: `localhost:${port}` })).status, 200);
    assert.equal((await send(port, 'GET', '/api/server', { host: 'localhost' })).status, 200);
    assert.equal(
      (await send(port, 'GET', '/license.json', rebound)).status,
      200,
      'devices fetch the public license under any name',
    );
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
