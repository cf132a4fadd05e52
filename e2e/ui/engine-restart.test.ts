// The window follows the engine (issue 18): when hnetd stops, the open page says so at once and
// greys out what it shows, never left green; when hnetd is back, at the same address and with the
// same token, the page reconnects by itself, with no reload, and is live again. While hnetd is down,
// another program that takes its port is never sent the page's cookie.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { cookieName } from '../../src-main/ui-server/access.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { engineBanner, greyedOut, showView } from './ui-page.js';
import { buildRenderer, startUiNode, type UiNode } from './ui-node.js';

const PEER = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';
// "At once": the page learns from its WebSocket closing, not from a timer.
const AT_ONCE_MS = 2_000;

describe('the page across an hnetd restart', () => {
  let node: UiNode;
  let browser: UiBrowser;

  before(async () => {
    await buildRenderer();
    node = await startUiNode({ hostname: 'restart-test' });
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.stop();
  });

  test('hnetd stops: the page says so at once and greys out; it starts again: the page is live, not reloaded', async () => {
    const page = browser.page;
    await page.goto(node.url);
    const own = page.getByRole('region', { name: 'This device' });
    await own.getByRole('heading', { name: 'restart-test' }).waitFor();
    assert.equal(await greyedOut(page), false);
    // Survives only if the page is never reloaded.
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));

    await node.stopDaemon();
    await engineBanner(page).getByText('hnet is not running').waitFor({ timeout: AT_ONCE_MS });
    assert.equal(await greyedOut(page), true, 'what the page shows is greyed out as stale');
    assert.match(await engineBanner(page).innerText(), /reconnects by itself/);
    await browser.screenshot('engine-stopped');

    await node.startDaemon();
    assert.equal((await node.hnet(['ui'])).stdout.trim(), node.url, 'the same address and token');
    await engineBanner(page).waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await greyedOut(page), false);
    assert.equal(
      await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce),
      true,
      'the page was not reloaded',
    );
    assert.equal(page.url(), `${node.origin}/`);
    // Live again both ways: a change made elsewhere shows, and one made on screen reaches the engine.
    await showView(page, 'whitelist');
    await node.hnet(['whitelist', 'add', PEER]);
    await page.getByRole('list', { name: 'Allowed addresses' }).getByText(PEER).waitFor();
    await page.getByRole('button', { name: `Remove ${PEER}` }).click();
    await page.getByText('No device is allowed yet.').waitFor();
    assert.doesNotMatch((await node.hnet(['whitelist', 'ls'])).stdout, new RegExp(PEER));
    await browser.screenshot('engine-back');
  });

  test('a program that takes the port while hnetd is down is asked who it is, never sent the cookie', async () => {
    const page = browser.page;
    const port = Number(new URL(node.origin).port);
    await node.stopDaemon();
    await engineBanner(page).getByText('hnet is not running').waitFor({ timeout: AT_ONCE_MS });
    const cookies: string[] = [];
    const impostor = createServer((req, res) => {
      cookies.push(req.headers.cookie ?? '');
      res.end('not hnet');
    });
    impostor.on('upgrade', (req, socket) => {
      cookies.push(req.headers.cookie ?? '');
      socket.destroy();
    });
    await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
    try {
      for (let waited = 0; cookies.length === 0 && waited < 5_000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(cookies.length > 0, 'the page did knock');
      // A few more knocks, any WebSocket attempt among them.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.deepEqual(
        cookies.filter((cookie) => cookie.includes(cookieName(port))),
        [],
        'the session cookie never reached it',
      );
      await engineBanner(page)
        .getByText(/Something other than the hnet that opened this page answers/)
        .waitFor();
      await browser.screenshot('engine-port-taken');
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
    await node.startDaemon();
    await engineBanner(page).waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await greyedOut(page), false);
  });
});
