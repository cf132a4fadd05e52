// What a desktop user sees when things break, with real engines and a base server in the network
// lab (issue 18): a peer whose hnetd stops turns unreachable on screen within 5 s, never left
// "Tunnelled"; a base server that dies is shown as the server unreachable while direct peers keep
// working (they do: pings flow meanwhile), never as the whole network offline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab } from '../lab/index.js';
import {
  introduce,
  makeScratch,
  ping,
  pingsReceived,
  removeScratch,
  startBase,
  startNode,
  stopNode,
  type BaseServer,
  type HnetNode,
} from '../scenarios/hnet-node.js';
import type { Page } from 'playwright-core';
import type { LabProcess } from '../lab/process.js';
import { startLabUiNode, type LabUiNode } from './lab-ui-node.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { peerRow, serverLine, waitForPath } from './ui-page.js';

const UNREACHABLE_WITHIN_MS = 5_000;

/** Waits until the peer's row reads `text`, as a user reads it; on time out, says what it read. */
async function rowSays(page: Page, address: string, text: string | RegExp, timeoutMs: number): Promise<void> {
  const row = peerRow(page, address);
  try {
    await row.filter({ hasText: text }).waitFor({ timeout: timeoutMs });
  } catch {
    const shown = (await row.count()) > 0 ? await row.innerText() : 'no row';
    assert.fail(`after ${timeoutMs} ms the row of ${address} still reads: ${shown}`);
  }
}

describe('peer and server states on screen, with real engines', () => {
  let lab: Lab;
  let scratch: string;
  let base: BaseServer;
  let alpha: LabUiNode;
  let bravo: HnetNode;
  let charlie: HnetNode;
  let browser: UiBrowser;
  const pinging: LabProcess[] = [];

  before(async () => {
    const built = buildRenderer();
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const baseHost = await lab.host('base', { on: inet });
    const [hostA, hostB, hostC] = await Promise.all(
      ['alpha', 'bravo', 'charlie'].map((name) => lab.host(name, { on: inet })),
    );
    base = await startBase(baseHost);
    const baseServers = [base.server];
    [alpha, bravo, charlie] = await Promise.all([
      startLabUiNode(hostA!, scratch, { baseServers }),
      startNode(hostB!, scratch, { baseServers }),
      startNode(hostC!, scratch, { baseServers }),
    ]);
    await introduce([alpha.node, bravo, charlie]);
    await built;
    browser = await openBrowser({ namespace: hostA!.namespace });
    await browser.page.goto(alpha.ui.url);
    // Traffic to both peers all along: what a user does while something breaks.
    for (const peer of ['bravo', 'charlie'])
      pinging.push(alpha.node.host.spawn(['ping', '-6', '-i', '0.2', peer]));
  });

  after(async () => {
    await Promise.all(pinging.map((p) => p.stop()));
    await browser?.close();
    await alpha?.ui.stop();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('a peer whose hnetd stops shows unreachable within 5 s, its path no longer shown as working', async () => {
    const page = browser.page;
    await rowSays(page, bravo.address, /Direct/, 20_000);

    await stopNode(bravo);
    // Pings go out every 0.2 s: the first unanswered packet leaves right after hnetd has gone.
    const stopped = Date.now();
    await rowSays(page, bravo.address, 'Unreachable', UNREACHABLE_WITHIN_MS + 2_000);
    const took = Date.now() - stopped;
    assert.ok(took <= UNREACHABLE_WITHIN_MS, `unreachable on screen after ${took} ms`);
    assert.equal(await peerRow(page, bravo.address).getAttribute('data-reach'), 'unreachable');
    const row = await peerRow(page, bravo.address).innerText();
    assert.match(row, /Unreachable\s+No answer/);
    assert.doesNotMatch(row, /Tunnelled|Direct/);
    await page.getByRole('heading', { name: /^2 peers: 1 online \(1 direct\), 1 unreachable$/ }).waitFor();
    await browser.screenshot('lab-peer-unreachable');
  });

  test('the base dies: the window says the server is unreachable while direct pings keep flowing', async () => {
    const page = browser.page;
    await rowSays(page, charlie.address, /Direct/, 20_000);
    await page.getByText(/^Connected to /).waitFor();
    const count = 75;
    const during = ping(alpha.node.host, 'charlie', { count, intervalS: 0.2 });

    base.process.signal('SIGKILL');
    const banner = page.getByText('Server unreachable — direct peers keep working', { exact: true });
    try {
      await banner.waitFor({ timeout: 12_000 });
    } catch {
      assert.fail(`no server banner; the window reads:\n${await page.locator('main').innerText()}`);
    }
    assert.equal(await serverLine(page).getAttribute('data-tone'), 'warn', 'a warning, not a red Offline');
    await waitForPath(page, charlie.address, 'direct', 1_000);
    await browser.screenshot('lab-server-unreachable');

    const output = await during;
    assert.equal(pingsReceived(output), count, `direct pings kept flowing:\n${output}`);
    assert.ok(await banner.isVisible(), 'still said once the pings are done');
  });
});
