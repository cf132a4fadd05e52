// The first ten minutes, as a person clicks them (issue 17): two fresh devices in the network lab,
// each window 800 px wide; alpha started the way the README starts a fresh clone (the start path:
// its root helper and an unprivileged `hnetd --ui`, the address read from the block it prints), beta
// with the same two processes started one by one. Alpha hosts a server from its
// first-run screen; its owner creates the network "home lab" and a join code in the dashboard;
// beta, shown the server's address and fingerprint, sets it up from its own first-run screen and
// joins with the code; both reach each other by name. On the way, the four mistakes people make are
// answered on screen: a wrong fingerprint, a bare IP (which works), a wrong code, a name taken.
// Every step leaves a screenshot in the folder the test prints.
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Lab } from '../lab/index.js';
import { runStartPath, type StartPathRun } from '../start-path-run.js';
import { makeScratch, removeScratch } from '../scenarios/hnet-node.js';
import { networkWithJoinCode, ownerAccountFromSetupLink } from './dashboard-page.js';
import { startLabUiNode, type LabUiNode } from './lab-ui-node.js';
import { artifacts, openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { literally, peerRow, showView } from './ui-page.js';

const shots = join(artifacts, 'first-ten-minutes');
const NETWORK = 'home lab';
const WIDTH = 800;

describe('the first ten minutes: two fresh devices, one hosts, both reach each other by name', () => {
  let lab: Lab;
  let scratch: string;
  let alpha: StartPathRun;
  let beta: LabUiNode;
  let alphaIp: string;
  let a: UiBrowser;
  let b: UiBrowser;
  let step = 0;
  /** Saves a numbered screenshot of the page, so the folder reads as the walk-through. */
  const shot = async (page: Page, name: string) => {
    await mkdir(shots, { recursive: true });
    await page.screenshot({
      path: join(shots, `${String(++step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
  const feedback = (page: Page, role: 'status' | 'alert', text: RegExp) =>
    page.getByRole(role).filter({ hasText: text }).first();
  let fingerprint = '';
  let code = '';
  let betaName = '';

  before(async () => {
    await rm(shots, { recursive: true, force: true });
    console.log(`screenshots: ${shots}`);
    const built = buildRenderer();
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const alphaHost = await lab.host('alpha', { on: inet });
    const betaHost = await lab.host('beta', { on: inet });
    alphaIp = alphaHost.ip;
    // No base server, no network, no peer: what a person has after installing.
    [alpha, beta] = await Promise.all([runStartPath(alphaHost, scratch), startLabUiNode(betaHost, scratch)]);
    await built;
    const viewport = { width: WIDTH, height: 900 };
    a = await openBrowser({ namespace: alphaHost.namespace, viewport });
    b = await openBrowser({ namespace: betaHost.namespace, viewport });
    await Promise.all([a.page.goto(alpha.url), b.page.goto(beta.ui.url)]);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    // hnetd stops the server it started when it stops.
    await alpha?.stop();
    await beta?.ui.stop();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('a fresh device opens on three ways forward, with the devices heard on its LAN', async () => {
    for (const browser of [a, b]) await browser.page.getByRole('region', { name: 'Get started' }).waitFor();
    // No server at all, yet beta's beacon is heard on alpha's LAN.
    await a.page
      .getByRole('list', { name: 'Devices heard on this network' })
      .getByText(beta.node.address)
      .waitFor({ timeout: 20_000 });
    await shot(a.page, 'alpha-first-run');
    await shot(b.page, 'beta-first-run');
  });

  test('“Host a server here” shows each step, then the server in use with its fingerprint and dashboard', async () => {
    const page = a.page;
    await page.getByRole('button', { name: 'Host a server on this machine' }).click();
    await page.getByRole('list', { name: 'Hosting a server here' }).waitFor();
    await shot(a.page, 'alpha-hosting-progress');
    await feedback(page, 'status', /hnet-server runs on this machine and hnet now uses it/).waitFor({
      timeout: 60_000,
    });
    const server = page.getByRole('region', { name: 'Server in use' });
    fingerprint = await server.locator('code.fingerprint').innerText();
    assert.match(fingerprint, /^(?:[0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    assert.match(
      (await server.getByRole('link', { name: 'Open the dashboard' }).getAttribute('href')) ?? '',
      new RegExp(`^https?://${literally(alphaIp)}(?:[:/]|$)`),
    );
    await shot(a.page, 'alpha-hosting-done');
  });

  test('the owner creates the network and a join code in the dashboard the window links to', async () => {
    const link = a.page.getByRole('group', { name: 'Server on this machine' }).getByRole('link', {
      name: 'Create the owner account',
    });
    const [dashboard] = await Promise.all([a.context.waitForEvent('page'), link.click()]);
    await dashboard.setViewportSize({ width: WIDTH, height: 900 });
    await ownerAccountFromSetupLink(dashboard, 'owner@example.org');
    code = await networkWithJoinCode(dashboard, NETWORK);
    assert.match(code, /^fc94:[0-9a-f:]+\/[A-Za-z0-9_-]{22}$/);
    await shot(dashboard, 'dashboard-join-code');
    await dashboard.close();
  });

  test('alpha joins its own network with the code and is named after the machine', async () => {
    const page = a.page;
    await page.bringToFront();
    await showView(page, 'networks');
    await page.getByLabel('Join code').fill(code);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await feedback(page, 'status', new RegExp(`Joined as alpha in “${NETWORK}”`)).waitFor({
      timeout: 15_000,
    });
    await shot(a.page, 'alpha-joined');
  });

  test('beta: a fingerprint that is not the server’s is refused, and nothing changes', async () => {
    const page = b.page;
    const wrong = fingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await page.getByLabel('Server address').fill(`http://${alphaIp}:5580`);
    await page.getByLabel('Key fingerprint').fill(wrong);
    await page.getByRole('button', { name: 'Use this server' }).click();
    await feedback(page, 'alert', /not the one you confirmed/).waitFor();
    await shot(b.page, 'beta-wrong-fingerprint');
    assert.equal((await beta.node.status()).server ?? null, null);
  });

  test('beta: the bare IP the owner said finds the server and shows its key; then it switches', async () => {
    const page = b.page;
    await page.getByLabel('Server address').fill(alphaIp);
    await page.getByLabel('Key fingerprint').fill('');
    await page.getByRole('button', { name: 'Check server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm server' });
    await dialog.waitFor({ timeout: 15_000 });
    assert.equal(await dialog.locator('code.fingerprint').innerText(), fingerprint);
    await shot(b.page, 'beta-bare-ip-key-shown');
    await dialog.getByRole('button', { name: 'Use this server' }).click();
    await feedback(page, 'status', /hnet now uses/).waitFor({ timeout: 15_000 });
    await page
      .getByRole('region', { name: 'Server in use' })
      .getByText(fingerprint, { exact: true })
      .waitFor();
    await shot(b.page, 'beta-server-in-use');
  });

  test('beta: a code the server does not know is answered at once', async () => {
    const page = b.page;
    await showView(page, 'networks');
    const unknown = `${code.split('/')[0]}/${'A'.repeat(22)}`;
    await page.getByLabel('Join code').fill(unknown);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    // Whatever the window answers is kept on screen and in the folder, then checked.
    const answer = page.getByRole('alert').first();
    await answer.waitFor({ timeout: 35_000 });
    await shot(b.page, 'beta-wrong-code');
    assert.match(await answer.innerText(), /^unknown or revoked join code/i);
  });

  test('beta: joining under a name already taken gets another, and says so', async () => {
    const page = b.page;
    await page.getByLabel('Join code').fill(code);
    await page.getByLabel('Name for this device').fill('alpha');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    const joined = feedback(page, 'status', /“alpha” is taken/);
    await joined.waitFor({ timeout: 15_000 });
    const text = await joined.innerText();
    const given = new RegExp(
      `Joined as (\\S+) \\(“alpha” is taken in this account or network\\) in “${NETWORK}”`,
    ).exec(text);
    assert.ok(given, text);
    betaName = given[1] ?? '';
    assert.notEqual(betaName, 'alpha');
    await page.getByRole('article', { name: NETWORK }).getByText(`Joined as ${betaName}`).waitFor();
    await shot(b.page, 'beta-joined-renamed');
  });

  test('both reach each other by name, and each window shows the other in the network', async () => {
    type Hnet = StartPathRun['hnet'];
    const pingByName = async (hnet: Hnet, name: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const result = await hnet(['ping', name, '--count', '2']);
        if (result.code === 0) return result.stdout;
        if (Date.now() > deadline) assert.fail(`hnet ping ${name}: ${result.stdout}${result.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    await pingByName((args) => beta.ui.hnet(args, { allowFailure: true }), 'alpha');
    await pingByName(alpha.hnet, betaName);
    for (const [browser, other] of [
      [a, betaName],
      [b, 'alpha'],
    ] as const) {
      await showView(browser.page, 'networks');
      await browser.page
        .getByRole('list', { name: `Devices in ${NETWORK}` })
        .getByText(other, { exact: true })
        .waitFor({ timeout: 15_000 });
      await shot(browser.page, `${browser === a ? 'alpha' : 'beta'}-network-members`);
    }
  });

  test('at 800 px the peers table keeps the path and its reason in view', async () => {
    const page = b.page;
    await showView(page, 'peers');
    const row = peerRow(page, alpha.address);
    await row.waitFor();
    for (const cell of [row.locator('.path'), row.locator('td.reason')]) {
      const box = await cell.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= WIDTH, `${await cell.innerText()} is in view`);
    }
    await shot(b.page, 'beta-peers-800px');
  });
});
