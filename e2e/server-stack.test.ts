// A team's own hnet service in the lab: `hnet-server` (base, dashboard, websetup in one process) on
// one host and three devices running hnetd. The dashboard UI signs up and hands out a join code, the
// devices join with `hnet join`, the REST API puts two of them in a network and websetup pushes
// each the other's address and name; the third cannot reach them; taking one out revokes it. A
// fourth device, configured with no base server at all, is moved to the stack with
// `hnet setup-server <url> --fingerprint …`, joins, and leaves again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { shortAddress } from '../src-main/cli/text.js';
import type { Status } from '../src-main/engine/status.js';
import { Lab, type Host } from './lab/index.js';
import {
  makeScratch,
  pingsReceived,
  removeScratch,
  startNode,
  startServerStack,
  waitForStatus,
  type HnetNode,
} from './scenarios/hnet-node.js';
import { ownerAccountFromSetupLink } from './ui/dashboard-page.js';
import { openBrowser, type UiBrowser } from './ui/ui-browser.js';

/** Websetup must bring a dashboard change to the devices within this. */
const PUSH_DEADLINE_MS = 5_000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** An HTTP request from inside the server's namespace, where the dashboard listens. */
async function request(
  host: Host,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Answer> {
  const script = `const [m, u, t, b] = process.argv.slice(1);
fetch(u, { method: m, headers: { Authorization: 'Bearer ' + t, 'Content-Type': 'application/json' }, body: b || undefined })
  .then(async (r) => console.log(JSON.stringify({ status: r.status, body: JSON.parse(await r.text()) })));`;
  const result = await host.exec([
    process.execPath,
    '-e',
    script,
    method,
    `http://127.0.0.1${path}`,
    token,
    body === undefined ? '' : JSON.stringify(body),
  ]);
  return JSON.parse(result.stdout) as Answer;
}

/** `other` is whitelisted and named in the host table, and /etc/hosts holds that table. */
const holds = (status: Status, other: HnetNode): boolean =>
  status.whitelist.addresses.includes(other.address) &&
  status.hosts.some((h) => h.hostname === other.hostname && h.address === other.address) &&
  status.hostsFile.state === 'synced';

describe('self-hosted server stack', () => {
  let lab: Lab;
  let scratch: string;
  let server: Host;
  let alpha: HnetNode;
  let bravo: HnetNode;
  let charlie: HnetNode;
  let delta: HnetNode;
  /** The license key fingerprint hnet-server prints when it starts, as its owner would read it. */
  let fingerprint = '';
  /** The link hnet-server prints to create the first account, with its one-time setup token. */
  let setupUrl = '';
  let browser: UiBrowser;
  let joinCode = '';
  let token = '';
  let networkId = '';

  before(async () => {
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    server = await lab.host('server', { on: inet });
    const hosts = await Promise.all(
      ['alpha', 'bravo', 'charlie', 'delta'].map((name) => lab.host(name, { on: inet })),
    );
    const stack = startServerStack(server, join(scratch, 'server'));
    [fingerprint, setupUrl] = await Promise.all([stack.fingerprint, stack.setupUrl]);
    [alpha, bravo, charlie, delta] = (await Promise.all(
      hosts.map((host) =>
        startNode(host, scratch, { baseServers: host.name === 'delta' ? [] : [`${server.ip}:443`] }),
      ),
    )) as [HnetNode, HnetNode, HnetNode, HnetNode];
    browser = await openBrowser({ namespace: server.namespace });
  });

  after(async () => {
    await browser?.close();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('the dashboard UI signs up the first account and hands out a join code and an API token', async () => {
    const { page } = browser;
    assert.equal(new URL(setupUrl).origin, `http://${server.ip}`, 'the link names the dashboard URL');
    await page.goto(setupUrl);
    await ownerAccountFromSetupLink(page, 'ops@example.org');
    await page.getByLabel('Label', { exact: true }).fill('lab machines');
    await page.getByRole('button', { name: 'Create join code' }).click();
    joinCode = (await page.locator('[data-secret="join-code"]').textContent()) ?? '';
    assert.match(joinCode, /^fc94:[0-9a-f:]+\/[A-Za-z0-9]{22}$/);
    await page.getByLabel('Token name').fill('lab test');
    await page.getByRole('button', { name: 'Create token' }).click();
    token = (await page.locator('[data-secret="api-token"]').textContent()) ?? '';
    assert.match(token, /^hnet_/);
    await browser.screenshot('dashboard-signed-up');
  });

  test('three devices join with the code, each under its own name', async () => {
    for (const node of [alpha, bravo, charlie]) {
      const out = await node.hnet(['join', joinCode]);
      assert.match(out, new RegExp(`joined as ${node.hostname}`));
    }
    const devices = await request(server, 'GET', '/api/devices', token);
    assert.deepEqual((devices.body as unknown as { hostname: string }[]).map((d) => d.hostname).sort(), [
      'alpha',
      'bravo',
      'charlie',
    ]);
  });

  test('the API puts A and B in a network: within 5 s each whitelists the other and ping by name works', async () => {
    const network = await request(server, 'POST', '/api/networks', token, { name: 'lab' });
    assert.equal(network.status, 201);
    networkId = network.body.id as string;
    const started = Date.now();
    for (const node of [alpha, bravo]) {
      const added = await request(server, 'POST', `/api/networks/${networkId}/devices`, token, {
        address: node.address,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
    }
    await waitForStatus(alpha, (s) => (holds(s, bravo) ? true : undefined), PUSH_DEADLINE_MS);
    await waitForStatus(
      bravo,
      (s) => (holds(s, alpha) ? true : undefined),
      PUSH_DEADLINE_MS - (Date.now() - started),
    );
    const { stdout } = await alpha.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '10', 'bravo']);
    assert.ok(pingsReceived(stdout) >= 3, stdout);
  });

  test('C, not in the network, cannot reach A or B even when it whitelists them itself', async () => {
    for (const target of [alpha, bravo]) {
      await charlie.hnet(['whitelist', 'add', target.address]);
      const result = await charlie.host.exec(
        ['ping', '-6', '-c', '3', '-i', '0.2', '-w', '4', target.address],
        {
          allowFailure: true,
        },
      );
      assert.equal(pingsReceived(result.stdout), 0, result.stdout);
    }
  });

  test('taking B out of the network revokes it on A within 5 s', async () => {
    const removed = await request(
      server,
      'DELETE',
      `/api/networks/${networkId}/devices/${encodeURIComponent(bravo.address)}`,
      token,
    );
    assert.equal(removed.status, 200);
    await waitForStatus(
      alpha,
      (s) =>
        !s.whitelist.addresses.includes(bravo.address) && !s.hosts.some((h) => h.hostname === 'bravo')
          ? true
          : undefined,
      PUSH_DEADLINE_MS,
    );
    const result = await alpha.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '4', bravo.address], {
      allowFailure: true,
    });
    assert.equal(pingsReceived(result.stdout), 0, result.stdout);
  });

  test('the dashboard UI creates a network and adds devices to it, which then reach each other', async () => {
    const { page } = browser;
    await page.reload();
    const networks = page.getByRole('region', { name: 'Networks' });
    await networks.getByLabel('New network').fill('from the ui');
    await networks.getByRole('button', { name: 'Create network' }).click();
    await networks.getByRole('heading', { name: 'from the ui' }).waitFor();
    for (const node of [alpha, charlie]) {
      await networks.getByLabel('Device to add').selectOption(node.address);
      await networks.getByRole('button', { name: 'Add device' }).click();
      await networks.getByRole('cell', { name: node.hostname, exact: true }).waitFor();
    }
    await browser.screenshot('dashboard-network');
    await waitForStatus(alpha, (s) => (holds(s, charlie) ? true : undefined), PUSH_DEADLINE_MS);
    await waitForStatus(charlie, (s) => (holds(s, alpha) ? true : undefined), PUSH_DEADLINE_MS);
    const { stdout } = await charlie.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '10', 'alpha']);
    assert.ok(pingsReceived(stdout) >= 3, stdout);
  });

  test('a device with no base server moves to the stack only with its fingerprint, then joins and leaves', async () => {
    // Commands expected to fail are run directly, against the socket startNode gave delta.
    const hnetMayFail = (args: string[]) =>
      delta.host.runScript(
        'src-main/cli/hnet.ts',
        [...args, '--socket', join(scratch, 'delta', 'run', 'control.sock')],
        {
          allowFailure: true,
        },
      );
    const url = `http://${server.ip}`;
    assert.equal((await delta.status()).base.server, null);

    const shown = await hnetMayFail(['setup-server', url]);
    assert.equal(shown.code, 1);
    assert.ok(shown.stdout.includes(`hnet setup-server ${url} --fingerprint '${fingerprint}'`), shown.stdout);
    const wrong = await hnetMayFail(['setup-server', url, '--fingerprint', 'ffff '.repeat(16)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not the one you confirmed; nothing was changed/);
    assert.equal((await delta.status()).base.server, null, 'a wrong fingerprint changes nothing');

    const used = await delta.hnet(['setup-server', url, '--fingerprint', fingerprint]);
    assert.match(used, new RegExp(`base servers ${server.ip.replace(/\./g, '\\.')}`));
    assert.match(
      await delta.hnet(['wait', 'base', '--timeout', '15']),
      new RegExp(`connected to ${server.ip}`),
    );
    assert.equal((await delta.status()).base.server, server.ip);

    const code = await request(server, 'POST', '/api/join-codes', token, { label: 'delta' });
    assert.ok(code.status < 300, JSON.stringify(code.body));
    assert.match(await delta.hnet(['join', code.body.joinCode as string]), /joined as delta/);
    const [network] = (await delta.status()).networks;
    assert.ok(network, 'status lists the network joined');
    assert.equal(network.state, 'joined');
    assert.equal(network.server, `${url}/`, 'the network belongs to the server set up here');
    const websetup = network.websetup;
    assert.ok((await delta.status()).whitelist.addresses.includes(websetup));

    assert.match(
      await delta.hnet(['leave']),
      new RegExp(`left the network managed by ${shortAddress(websetup)}`),
    );
    const after = await delta.status();
    assert.deepEqual(after.networks, []);
    assert.ok(!after.whitelist.addresses.includes(websetup), 'websetup’s own entry goes with it');
    assert.equal(after.base.server, server.ip, 'leaving a network keeps the base server');
  });
});
