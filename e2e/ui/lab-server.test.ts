// A desktop user moving to their team's own server, in the network lab: a real `hnet-server` on
// one host, the user's engine (helper and `hnetd --ui`) on another, and the window in Chromium.
// The setup-server dialog shows what the server's owner sees and refuses what cannot be trusted;
// a join code from the dashboard, pasted into the window, joins the device to the server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Lab, type Host } from '../lab/index.js';
import { makeScratch, removeScratch, startServerStack } from '../scenarios/hnet-node.js';
import { joinCodeFromDashboard } from './dashboard-page.js';
import { startLabUiNode, type LabUiNode } from './lab-ui-node.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { literally, serverLine, showView } from './ui-page.js';

const TAMPERED_PORT = 8080;

async function checkServer(page: Page, url: string): Promise<void> {
  await page.getByLabel('Server address').fill(url);
  await page.getByRole('button', { name: 'Check server' }).click();
}

describe('the setup-server dialog and joining, against a real hnet-server', () => {
  let lab: Lab;
  let scratch: string;
  let server: Host;
  let serverUrl: string;
  let fingerprint: string;
  let setupUrl: string;
  let alpha: LabUiNode;
  let browser: UiBrowser;

  /** What a server change would touch: the base server in use and the joined networks. */
  const engineChoice = async () => {
    const status = await alpha.node.status();
    return { base: status.base.server, networks: status.networks };
  };
  const baseLine = () => serverLine(browser.page);

  before(async () => {
    const built = buildRenderer();
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    server = await lab.host('server', { on: inet });
    const alphaHost = await lab.host('alpha', { on: inet });
    serverUrl = `http://${server.ip}`;
    const stack = startServerStack(server, join(scratch, 'server'));
    // The engine starts with no base server, as on a laptop before its owner sets one up.
    [alpha, fingerprint, setupUrl] = await Promise.all([
      startLabUiNode(alphaHost, scratch),
      stack.fingerprint,
      stack.setupUrl,
    ]);
    const tampered = server.spawnScript('e2e/ui/fixtures/tampered-license-server.ts', [
      String(TAMPERED_PORT),
      'http://127.0.0.1',
    ]);
    await tampered.waitForOutput(/ready/);
    await built;
    browser = await openBrowser({ namespace: alphaHost.namespace });
    await browser.page.goto(alpha.ui.url);
    await showView(browser.page, 'server');
  });

  after(async () => {
    await browser?.close();
    await alpha?.ui.stop();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('the dialog shows the key fingerprint hnet-server printed and its base servers, changing nothing yet', async () => {
    const page = browser.page;
    const before = await engineChoice();
    await checkServer(page, serverUrl);
    const dialog = page.getByRole('dialog', { name: 'Confirm server' });
    await dialog.waitFor();
    assert.equal(await dialog.locator('code.fingerprint').innerText(), fingerprint);
    assert.match(await dialog.innerText(), new RegExp(`Base servers\\s+${literally(server.ip)}\\s`));
    await browser.screenshot('lab-setup-server-preview');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await engineChoice(), before);
    assert.equal(await baseLine().innerText(), 'No server set up');
  });

  test('a bad address, an unreachable server and a tampered license are each refused, saying why, changing nothing', async () => {
    const page = browser.page;
    const before = await engineChoice();
    const refusals: [string, RegExp][] = [
      [`ftp://${server.ip}`, /http:\/\/ or https:\/\//],
      [
        `http://${server.ip}:9`,
        new RegExp(`Nothing listens on port 9 of ${literally(server.ip)} \\(connection refused\\)`),
      ],
      [`http://${server.ip}:${TAMPERED_PORT}`, /not signed by the key it publishes.*Nothing was changed/],
    ];
    for (const [url, message] of refusals) {
      await checkServer(page, url);
      await page.getByRole('alert').getByText(message).waitFor();
      assert.equal(await page.getByRole('dialog', { name: 'Confirm server' }).count(), 0, url);
    }
    await browser.screenshot('lab-setup-server-tampered');
    assert.deepEqual(await engineChoice(), before);
    assert.equal(await baseLine().innerText(), 'No server set up');
  });

  test('“Use this server” moves the engine to the server’s base', async () => {
    const page = browser.page;
    await checkServer(page, serverUrl);
    await page.getByRole('button', { name: 'Use this server' }).click();
    await page.getByRole('status').getByText(`now uses hnet server (${serverUrl})`).waitFor();
    const serverIp = literally(server.ip);
    await baseLine()
      .getByText(new RegExp(`^Connected to ${serverIp}(:443)? over (UDP|TCP)$`))
      .waitFor({ timeout: 15_000 });
    assert.match((await engineChoice()).base ?? '', new RegExp(`^${serverIp}(:443)?$`));
    await browser.screenshot('lab-setup-server-used');
  });

  // After the test before: websetup answers only devices on its own base server.
  test('a join code from the dashboard, pasted into the window, joins this device to the server', async () => {
    const dashboard = await browser.context.newPage();
    const code = await joinCodeFromDashboard(dashboard, setupUrl);
    assert.match(code, /^fc94:[0-9a-f:]+\/[A-Za-z0-9]{22}$/);

    const page = browser.page;
    await page.bringToFront();
    await showView(page, 'networks');
    await page.getByLabel('Join code').fill(code);
    await page.getByRole('button', { name: 'Join' }).click();
    await page
      .getByRole('list', { name: 'Joined networks' })
      .getByRole('listitem')
      .filter({ hasText: 'Joined as alpha' })
      .waitFor({ timeout: 35_000 });
    await browser.screenshot('lab-joined');

    // The owner sees the device in the dashboard, under the name it joined with.
    await dashboard.reload();
    const devices = dashboard.getByRole('region', { name: 'Devices' });
    await devices.getByText(alpha.node.address).waitFor();
    assert.equal(await devices.getByLabel(`Hostname of ${alpha.node.address}`).inputValue(), 'alpha');
    await dashboard.close();
  });
});
