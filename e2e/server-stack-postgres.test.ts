// Two whole `hnet-server` stacks (base, dashboard, websetup) on two hosts, sharing one PostgreSQL
// (a throwaway cluster started here). Server 2 will not start with a license key of its own; with
// the copy of server 1's it does, and both serve a license that lists both bases and verifies with
// that one key. An account made on server 1 signs in on server 2, and a session of either works on
// the other. Alpha joins through server 1 and bravo through server 2, into one network, and each
// holds the other within 5 s; a rename and a removal made on server 2 reach alpha, whose websetup
// is server 1's, within 5 s too.
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Status } from '../src-main/contract/status.js';
import { initCrypto } from '../src-protocol/crypto.js';
import { decodeLicenseKey, keyFingerprint } from '../src-protocol/license-key.js';
import { parseLicense, verifyLicense } from '../src-protocol/license.js';
import {
  postgresUnavailable,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../src-server/store/throwaway-postgres.js';
import { bearer, dashboardRequest, type DashboardAnswer } from './clients/dashboard-http.js';
import { Lab, type Host } from './lab/index.js';
import {
  makeScratch,
  ping,
  pingsReceived,
  removeScratch,
  setupTokenOf,
  startNode,
  startServerStack,
  waitForStatus,
  type HnetNode,
  type ServerStack,
} from './scenarios/hnet-node.js';

/** Websetup must bring a dashboard change to the devices within this. */
const PUSH_DEADLINE_MS = 5_000;

/** The `name=value` part of a Set-Cookie header, as a browser sends it back. */
const cookieOf = (answer: DashboardAnswer): string => (answer.cookie ?? '').split(';')[0]!;

/** `other` is whitelisted and named in the host table. */
const holds = (status: Status, other: HnetNode, hostname = other.hostname): boolean =>
  status.whitelist.addresses.includes(other.address) &&
  status.hosts.some((h) => h.hostname === hostname && h.address === other.address);

const unavailable = postgresUnavailable();

describe('two hnet-server stacks on one PostgreSQL', { skip: unavailable }, () => {
  let postgres: ThrowawayPostgres;
  let lab: Lab;
  let scratch: string;
  let one: Host;
  let two: Host;
  let stack1: ServerStack;
  let fingerprint = '';
  let setupUrl = '';
  let alpha: HnetNode;
  let bravo: HnetNode;
  let token = '';
  let networkId = '';

  before(async () => {
    await initCrypto();
    postgres = await startThrowawayPostgres();
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    [one, two] = await Promise.all([lab.host('one', { on: inet }), lab.host('two', { on: inet })]);
    stack1 = startServerStack(one, join(scratch, 'one'), { database: postgres.url });
    [fingerprint, setupUrl] = await Promise.all([stack1.fingerprint, stack1.setupUrl]);
    const [alphaHost, bravoHost] = await Promise.all([
      lab.host('alpha', { on: inet }),
      lab.host('bravo', { on: inet }),
    ]);
    [alpha, bravo] = await Promise.all([
      startNode(alphaHost, scratch, { baseServers: [`${one.ip}:443`] }),
      startNode(bravoHost, scratch, { baseServers: [`${two.ip}:443`] }),
    ]);
  });

  after(async () => {
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
    await postgres?.stop();
  });

  test('server 2 refuses to sign with a key of its own; with the copy of server 1’s it starts', async () => {
    const own = startServerStack(two, join(scratch, 'two-alone'), { database: postgres.url });
    own.fingerprint.catch(() => undefined);
    const exited = await Promise.race([
      own.process.exited,
      own.fingerprint.then(
        () => undefined,
        () => own.process.exited,
      ),
    ]);
    if (!exited) await own.process.stop();
    assert.ok(exited, 'server 2 started with a license key of its own');
    assert.match(own.process.stderr, /license-key is missing, and the servers of this database sign/);
    assert.ok(own.process.stderr.includes(fingerprint), 'it names the key to copy');

    // The documented copy step (README, "Several servers on PostgreSQL").
    await mkdir(join(scratch, 'two'), { mode: 0o700 });
    await copyFile(join(scratch, 'one', 'license-key'), join(scratch, 'two', 'license-key'));
    const stack2 = startServerStack(two, join(scratch, 'two'), { database: postgres.url });
    assert.equal(await stack2.fingerprint, fingerprint);
  });

  test('both licenses list both bases and verify with the one key', async () => {
    const ips = [one.ip, two.ip].sort();
    for (const host of [one, two]) {
      // Server 1 started first: it learns of server 2 through the database and issues its license again.
      const deadline = Date.now() + PUSH_DEADLINE_MS;
      let listed: string[] = [];
      for (;;) {
        const license = parseLicense((await dashboardRequest(host, 'GET', '/license.json')).text);
        assert.ok(license.ok);
        const key = decodeLicenseKey((await dashboardRequest(host, 'GET', '/license.key')).text.trim());
        assert.ok(key);
        assert.equal(keyFingerprint(key), fingerprint, `${host.name} serves the one key`);
        assert.ok(verifyLicense(license.value, key, new Date()).ok, `${host.name}'s license verifies`);
        listed = [...license.value.base_server_addresses].sort();
        if (JSON.stringify(listed) === JSON.stringify(ips) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.deepEqual(listed, ips, `${host.name}'s license lists both bases`);
    }
  });

  test('an account made on server 1 signs in on server 2, and a session of either works on both', async () => {
    const account = { email: 'ops@example.org', password: 'correct horse battery staple' };
    const signup = await dashboardRequest(
      one,
      'POST',
      '/api/signup',
      {},
      { ...account, setupToken: setupTokenOf(setupUrl) },
    );
    assert.equal(signup.status, 201, signup.text);
    const fromOne = { Cookie: cookieOf(signup) };
    const seen = await dashboardRequest(two, 'GET', '/api/session', fromOne);
    assert.equal(seen.status, 200, seen.text);
    assert.equal((seen.body.account as { email: string }).email, account.email);

    const login = await dashboardRequest(two, 'POST', '/api/login', {}, account);
    assert.equal(login.status, 200, login.text);
    const csrf = login.body.csrfToken as string;
    const made = await dashboardRequest(
      one,
      'POST',
      '/api/tokens',
      { Cookie: cookieOf(login), 'X-CSRF-Token': csrf },
      { name: 'e2e' },
    );
    assert.equal(made.status, 201, made.text);
    token = made.body.token as string;
  });

  test('alpha joins through dashboard 1, bravo through dashboard 2: within 5 s each holds the other', async () => {
    const network = await dashboardRequest(one, 'POST', '/api/networks', bearer(token), { name: 'fleet' });
    assert.equal(network.status, 201, network.text);
    networkId = network.body.id as string;
    const codes = await Promise.all(
      [one, two].map((host) =>
        dashboardRequest(host, 'POST', '/api/join-codes', bearer(token), { label: host.name, networkId }),
      ),
    );
    for (const code of codes) assert.equal(code.status, 201, code.text);
    assert.match(
      await alpha.hnet(['join', codes[0]!.body.joinCode as string]),
      /^joined as alpha in "fleet"/,
    );
    assert.match(
      await bravo.hnet(['join', codes[1]!.body.joinCode as string]),
      /^joined as bravo in "fleet"/,
    );
    const joined = Date.now();
    await waitForStatus(bravo, (s) => (holds(s, alpha) ? true : undefined), PUSH_DEADLINE_MS);
    await waitForStatus(
      alpha,
      (s) => (holds(s, bravo) ? true : undefined),
      PUSH_DEADLINE_MS - (Date.now() - joined),
    );
    const websetups = await Promise.all(
      [alpha, bravo].map(async (node) => (await node.status()).networks[0]?.websetup),
    );
    assert.notEqual(
      websetups[0],
      websetups[1],
      'each device has the websetup of the server it joined through',
    );
  });

  test('alpha and bravo ping each other by name, whichever server’s base each is on', async () => {
    for (const [from, to] of [
      [alpha, bravo],
      [bravo, alpha],
    ] as const) {
      const output = await ping(from.host, to.hostname, { count: 5 });
      assert.ok(pingsReceived(output) >= 5, output);
    }
    assert.match(stack1.process.stderr, /base cluster joined/, 'the stacks’ bases form one cluster');
  });

  test('a rename and a removal made on server 2 reach alpha, managed by server 1, within 5 s', async () => {
    const renamed = await dashboardRequest(
      two,
      'PATCH',
      `/api/devices/${encodeURIComponent(alpha.address)}`,
      bearer(token),
      { hostname: 'alpha-prime' },
    );
    assert.equal(renamed.status, 200, renamed.text);
    await waitForStatus(alpha, (s) => (s.hostname === 'alpha-prime' ? true : undefined), PUSH_DEADLINE_MS);
    await waitForStatus(bravo, (s) => (holds(s, alpha, 'alpha-prime') ? true : undefined), PUSH_DEADLINE_MS);

    const removed = await dashboardRequest(
      two,
      'DELETE',
      `/api/networks/${networkId}/devices/${encodeURIComponent(bravo.address)}`,
      bearer(token),
    );
    assert.equal(removed.status, 200, removed.text);
    await waitForStatus(
      alpha,
      (s) =>
        !s.whitelist.addresses.includes(bravo.address) && !s.hosts.some((h) => h.hostname === 'bravo')
          ? true
          : undefined,
      PUSH_DEADLINE_MS,
    );
  });
});
