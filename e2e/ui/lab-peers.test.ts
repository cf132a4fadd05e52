// The window of a desktop user (alpha, behind a home NAT) while it talks to bravo behind another
// one, with real engines and a base server in the network lab: the peers table follows the path
// as it really is, and a whitelist edit made on screen really lets bravo in or shuts it out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Lab, type Cut, type Host, type Router } from '../lab/index.js';
import {
  introduce,
  makeScratch,
  pingsReceived,
  removeScratch,
  startBase,
  startNode,
  type HnetNode,
} from '../scenarios/hnet-node.js';
import { startLabUiNode, type LabUiNode } from './lab-ui-node.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { literally, peerRow, showView, waitForPath } from './ui-page.js';

describe('the peers a desktop user sees, with real engines behind NATs', () => {
  let lab: Lab;
  let scratch: string;
  let baseHost: Host;
  let natB: Router;
  let blockedDirect: Cut;
  let alpha: LabUiNode;
  let bravo: HnetNode;
  let browser: UiBrowser;

  before(async () => {
    const built = buildRenderer();
    lab = await Lab.create();
    scratch = await makeScratch();
    const inet = await lab.segment('inet');
    const lan1 = await lab.segment('lan1');
    const lan2 = await lab.segment('lan2');
    const natA = await lab.router('nat1', { wan: inet, lan: lan1, mode: 'cone' });
    natB = await lab.router('nat2', { wan: inet, lan: lan2, mode: 'cone' });
    baseHost = await lab.host('base', { on: inet });
    const hostA = await lab.host('alpha', { on: lan1 });
    const hostB = await lab.host('bravo', { on: lan2 });
    // Until the first test opens it, the NATs cannot reach each other: only the base relays.
    blockedDirect = await inet.cut(natA.publicIp, natB.publicIp);
    const { server } = await startBase(baseHost);
    [alpha, bravo] = await Promise.all([
      startLabUiNode(hostA, scratch, { baseServers: [server] }),
      startNode(hostB, scratch, { baseServers: [server] }),
    ]);
    await introduce([alpha.node, bravo]);
    await built;
    browser = await openBrowser({ namespace: hostA.namespace });
    await browser.page.goto(alpha.ui.url);
  });

  after(async () => {
    await browser?.close();
    await alpha?.ui.stop();
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('bravo shows as tunnelled through the base, and turns direct on screen once the NATs can meet', async () => {
    const page = browser.page;
    // Traffic keeps the peer active while its path settles.
    const pinging = alpha.node.host.spawn(['ping', '-6', '-i', '0.2', 'bravo']);
    try {
      await waitForPath(page, bravo.address, 'tunnelled');
      const row = peerRow(page, bravo.address);
      assert.match(await row.innerText(), new RegExp(`Tunnelled.*\\s+base ${literally(baseHost.ip)}:443`));
      assert.match(await row.innerText(), /^bravo\b/);
      await browser.screenshot('lab-peer-tunnelled');

      // Probing goes on for ~10 s after traffic starts: opening the path now lets it succeed.
      await blockedDirect.heal();
      await waitForPath(page, bravo.address, 'direct', 15_000);
      assert.match(await row.innerText(), new RegExp(`Direct\\s+${literally(natB.publicIp)}:\\d+`));
      await page.getByRole('heading', { name: '1 peer: 1 online (1 direct)' }).waitFor();
      await browser.screenshot('lab-peer-direct');
    } finally {
      await pinging.stop();
    }
  });

  test('removing bravo from the whitelist on screen stops its pings; allowing it again lets them through', async () => {
    const page = browser.page;
    const allowed = page.getByRole('list', { name: 'Allowed addresses' });
    const pingAlpha = async (deadlineS: number) => {
      const { stdout } = await bravo.host.exec(
        ['ping', '-6', '-c', '3', '-i', '0.2', '-w', String(deadlineS), 'alpha'],
        { allowFailure: true },
      );
      return pingsReceived(stdout);
    };
    assert.equal(await pingAlpha(10), 3, 'bravo reaches alpha while whitelisted');

    await showView(page, 'whitelist');
    await page.getByRole('button', { name: `Remove ${bravo.address}` }).click();
    await allowed.getByText(bravo.address).waitFor({ state: 'detached' });
    assert.equal(await pingAlpha(4), 0, 'bravo no longer reaches alpha');
    await browser.screenshot('lab-whitelist-removed');

    await page.getByLabel('Address to allow').fill(bravo.address);
    await page.getByRole('button', { name: 'Allow' }).click();
    await allowed.getByText(bravo.address).waitFor();
    assert.equal(await pingAlpha(10), 3, 'bravo reaches alpha again');
  });
});
