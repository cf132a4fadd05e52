// A team's own hnet service in the lab: `hnet-server` (base, dashboard, websetup in one process) on
// one host and devices running hnetd. The dashboard UI signs up and hands out a join code for a
// network; two devices join with `hnet join` and websetup pushes each the other's address and name
// at once, with no dashboard step. A wrong code is answered in words within 2 s, and a machine
// whose hostname is taken joins under a numbered name. A third device, joined to the account only,
// cannot reach them; taking one out of the network revokes it. A fourth device, configured with no
// base server at all, is moved to the stack with `hnet setup-server <url> --fingerprint …`, joins,
// and leaves again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { shortAddress } from '../src-main/cli/text.js';
import type { Status } from '../src-main/contract/status.js';
import { Lab, type Host } from './lab/index.js';
import {
  makeScratch,
  pingsReceived,
  removeScratch,
  startNode,
  startMeasuredNode,
  startServerStack,
  waitForStatus,
  type HnetNode,
  type StartedNode,
} from './scenarios/hnet-node.js';
import { bearer, dashboardRequest } from './clients/dashboard-http.js';
import { ownerAccountFromSetupLink } from './ui/dashboard-page.js';
import { openBrowser, type UiBrowser } from './ui/ui-browser.js';

/** Websetup must bring a dashboard change to the devices within this. */
const PUSH_DEADLINE_MS = 5_000;

/** A dashboard API call with the account's token. */
const request = (host: Host, method: string, path: string, token: string, body?: unknown) =>
  dashboardRequest(host, method, path, bearer(token), body);

/** `hnet <args>` on `node`, for commands expected to fail: resolves with exit code, stdout and stderr. */
const hnetMayFailOn = (node: HnetNode, scratch: string, args: string[]) =>
  node.host.runScript(
    'src-main/cli/hnet.ts',
    [...args, '--socket', join(scratch, node.host.name, 'run', 'control.sock')],
    { allowFailure: true },
  );

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
  /** A machine whose hostname is alpha's too, as two VMs made from one image would have. */
  let echo: StartedNode;
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
      ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((name) => lab.host(name, { on: inet })),
    );
    const stack = startServerStack(server, join(scratch, 'server'));
    [fingerprint, setupUrl] = await Promise.all([stack.fingerprint, stack.setupUrl]);
    const baseServers = [`${server.ip}:443`];
    [alpha, bravo, charlie, delta, echo] = (await Promise.all([
      ...hosts
        .slice(0, 4)
        .map((host) => startNode(host, scratch, { baseServers: host.name === 'delta' ? [] : baseServers })),
      startMeasuredNode(hosts[4]!, scratch, { baseServers, hostname: 'alpha' }),
    ])) as [HnetNode, HnetNode, HnetNode, HnetNode, StartedNode];
    browser = await openBrowser({ namespace: server.namespace });
  });

  after(async () => {
    await browser?.close();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('the dashboard UI signs up the first account and hands out a join code for a network and an API token', async () => {
    const { page } = browser;
    assert.equal(new URL(setupUrl).origin, `http://${server.ip}`, 'the link names the dashboard URL');
    await page.goto(setupUrl);
    await ownerAccountFromSetupLink(page, 'ops@example.org');
    await page.getByLabel('Label', { exact: true }).fill('lab machines');
    await page.getByLabel('Network', { exact: true }).fill('home lab');
    await page.getByRole('button', { name: 'Create join code' }).click();
    joinCode = (await page.locator('[data-secret="join-code"]').textContent()) ?? '';
    assert.match(joinCode, /^fc94:[0-9a-f:]+\/[A-Za-z0-9]{22}$/);
    const networks = page.getByRole('region', { name: 'Networks' });
    await networks.getByRole('heading', { name: 'home lab' }).waitFor();
    await networks.getByText('No devices yet.').waitFor();
    assert.equal(await page.getByText('All your devices are in this network').count(), 0, 'it is empty');
    await page.getByLabel('Token name').fill('lab test');
    await page.getByRole('button', { name: 'Create token' }).click();
    token = (await page.locator('[data-secret="api-token"]').textContent()) ?? '';
    assert.match(token, /^hnet_/);
    await browser.screenshot('dashboard-signed-up');
  });

  test('A and B join with the network’s code: within 5 s each holds the other by name and ping works, no dashboard click', async () => {
    for (const node of [alpha, bravo])
      assert.match(
        await node.hnet(['join', joinCode]),
        new RegExp(`^joined as ${node.hostname} in "home lab";`),
      );
    const joined = Date.now();
    await waitForStatus(alpha, (s) => (holds(s, bravo) ? true : undefined), PUSH_DEADLINE_MS);
    await waitForStatus(
      bravo,
      (s) => (holds(s, alpha) ? true : undefined),
      PUSH_DEADLINE_MS - (Date.now() - joined),
    );
    const { stdout } = await alpha.host.exec(['ping', '-6', '-c', '3', '-i', '0.2', '-w', '10', 'bravo']);
    assert.ok(pingsReceived(stdout) >= 3, stdout);
  });

  test('a wrong code is answered within 2 s and asked no more; a taken hostname is numbered, and hnet join says so', async () => {
    const wrong = `${joinCode.split('/')[0]!}/${'x'.repeat(22)}`;
    const asked = Date.now();
    await assert.rejects(echo.call('join', { code: wrong }), /unknown or revoked join code/);
    assert.ok(Date.now() - asked < 2000, `answered after ${Date.now() - asked} ms`);
    const cli = await hnetMayFailOn(echo, scratch, ['join', wrong]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /unknown or revoked join code: .*this device stopped asking/);
    assert.equal((await echo.status()).networks[0]?.state, 'refused');
    assert.match(
      await echo.hnet(['join', joinCode]),
      /^joined as alpha-2 \("alpha" is taken in this account or network\) in "home lab";/,
    );
  });

  test('C joins with a code for the account only; the dashboard lists who joined with which code', async () => {
    const plain = await request(server, 'POST', '/api/join-codes', token, { label: 'account only' });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    assert.match(await charlie.hnet(['join', plain.body.joinCode as string]), /^joined as charlie; /);
    const codes = await request(server, 'GET', '/api/join-codes', token);
    const listed = codes.body as unknown as {
      label: string;
      networkName: string | null;
      devices: { hostname: string }[];
    }[];
    assert.deepEqual(
      listed.map((c) => [c.label, c.networkName, c.devices.map((d) => d.hostname)]),
      [
        ['lab machines', 'home lab', ['alpha', 'alpha-2', 'bravo']],
        ['account only', null, ['charlie']],
      ],
    );
    const networks = await request(server, 'GET', '/api/networks', token);
    networkId = (networks.body as unknown as { id: string; name: string }[]).find(
      (n) => n.name === 'home lab',
    )!.id;
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
    const hnetMayFail = (args: string[]) => hnetMayFailOn(delta, scratch, args);
    const url = `http://${server.ip}`;
    assert.equal((await delta.status()).base.server, null);

    const shown = await hnetMayFail(['setup-server', url]);
    assert.equal(shown.code, 1);
    assert.ok(shown.stdout.includes(`hnet setup-server ${url} --fingerprint '${fingerprint}'`), shown.stdout);
    const wrong = await hnetMayFail(['setup-server', url, '--fingerprint', 'ffff '.repeat(16)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not the one you confirmed\. Nothing was changed\./);
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
    assert.equal(network.server, url, 'the network belongs to the server set up here');
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
