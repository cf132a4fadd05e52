// The browser UI against a real hnetd on this machine: it opens only with the run's token, only
// for its own Host and Origin, shows the engine's status, and its whitelist edits reach the engine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { serverLine, showView } from './ui-page.js';
import { buildRenderer, startUiNode, type UiNode } from './ui-node.js';

// A valid overlay address that is not this node's.
const PEER = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';

describe('browser UI served by hnetd', () => {
  let node: UiNode;
  let browser: UiBrowser;

  before(async () => {
    await buildRenderer();
    node = await startUiNode({ hostname: 'ui-test' });
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await node?.stop();
  });

  test('without the token the page is refused, with a wrong one too', async () => {
    const bare = await browser.page.goto(`${node.origin}/`);
    assert.equal(bare?.status(), 401);
    assert.match(await browser.page.innerText('body'), /address "hnet ui" prints/);
    const wrong = await browser.page.goto(`${node.origin}/?token=not-the-token`);
    assert.equal(wrong?.status(), 403);
    const asset = await fetch(`${node.origin}/index.html`);
    assert.equal(asset.status, 401);
  });

  test('a request naming another Host is refused, even with the token (DNS rebinding)', async () => {
    const url = new URL(node.url);
    const answer = await new Promise<number>((resolve, reject) => {
      import('node:http')
        .then(({ get }) =>
          get(
            {
              host: '127.0.0.1',
              port: url.port,
              path: `/${url.search}`,
              headers: { Host: `evil.example:${url.port}` },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          ).on('error', reject),
        )
        .catch(reject);
    });
    assert.equal(answer, 403);
  });

  test('opens with the token, drops it from the address bar, and shows this device', async () => {
    await browser.page.goto(node.url);
    assert.equal(browser.page.url(), `${node.origin}/`);
    const own = browser.page.getByRole('region', { name: 'This device' });
    await own.getByRole('heading', { name: 'ui-test' }).waitFor();
    const status = JSON.parse((await node.hnet(['status', '--json'])).stdout) as { address: string };
    await own.getByText(status.address).waitFor();
    // No base server is configured: the UI must say so rather than pretend.
    assert.equal(await serverLine(browser.page).innerText(), 'No server set up');
    await browser.page.getByText('Root helper not installed').waitFor();
    await browser.screenshot('status-no-helper');
  });

  test('the page may open no connection but its own WebSocket (CSP)', async () => {
    const blocked = await browser.page.evaluate(async () => {
      try {
        await fetch('http://127.0.0.1:9/');
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(blocked, true);
  });

  test('a WebSocket from another origin is refused, even carrying the cookie', async () => {
    const cookies = await browser.context.cookies(node.origin);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    assert.ok(cookie.length > 0, 'the UI set its session cookie');
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${node.origin.replace('http', 'ws')}/bridge`, {
        headers: { Cookie: cookie, Origin: 'http://evil.example' },
      });
      ws.on('open', () => {
        ws.close();
        resolve('opened');
      });
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    assert.equal(refused, '403');
  });

  test('adding and removing a whitelist address in the UI changes the engine', async () => {
    const page = browser.page;
    await showView(page, 'whitelist');
    await page.getByLabel('Address to allow').fill('not-an-address');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page
      .getByRole('alert')
      .getByText(/bad address/i)
      .waitFor();

    await page.getByLabel('Address to allow').fill(PEER);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('list', { name: 'Allowed addresses' }).getByText(PEER).waitFor();
    assert.match((await node.hnet(['whitelist', 'ls'])).stdout, new RegExp(PEER));
    await browser.screenshot('whitelist-added');

    await page.getByRole('button', { name: `Remove ${PEER}` }).click();
    await page.getByText('No device is allowed yet.').waitFor();
    assert.doesNotMatch((await node.hnet(['whitelist', 'ls'])).stdout, new RegExp(PEER));
  });

  test('a change made with the CLI appears in the open window', async () => {
    await node.hnet(['whitelist', 'add', PEER]);
    await browser.page.getByRole('list', { name: 'Allowed addresses' }).getByText(PEER).waitFor();
  });

  test('a hostname added in the UI is in the engine’s host table', async () => {
    const page = browser.page;
    await showView(page, 'hosts');
    await page.getByLabel('Hostname', { exact: true }).fill('desk');
    await page.getByLabel('Address', { exact: true }).fill(PEER);
    await page.getByRole('button', { name: 'Add name' }).click();
    await page.getByText(`desk now points at ${PEER}.`).waitFor();
    assert.match((await node.hnet(['hosts', 'ls'])).stdout, new RegExp(`desk\\s+${PEER}|${PEER}\\s+desk`));
    await page.getByRole('button', { name: 'Remove desk' }).click();
    await page.getByText('No names yet.').waitFor();
  });

  test('joining a network checks the code before anything is sent', async () => {
    const page = browser.page;
    await showView(page, 'networks');
    await page.getByLabel('Join code').fill('not-a-code');
    await page.getByRole('button', { name: 'Join' }).click();
    await page
      .getByRole('alert')
      .getByText(/join code.*not-a-code|not-a-code.*join code/i)
      .waitFor();
  });

  test('the WebSocket bridge refuses what the UI may not ask, like IPC does', async () => {
    const cookies = await browser.context.cookies(node.origin);
    const ws = new WebSocket(`${node.origin.replace('http', 'ws')}/bridge`, {
      headers: { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), Origin: node.origin },
    });
    const answers = new Map<number, { ok: boolean; error?: { kind: string } }>();
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; ok: boolean; error?: { kind: string } };
      if (typeof message.id === 'number') answers.set(message.id, message);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 1, call: 'netcheck', params: {} }));
    ws.send(JSON.stringify({ id: 2, call: 'whitelist.add', params: { address: PEER, extra: true } }));
    ws.send(JSON.stringify({ id: 3, call: 'status' }));
    const deadline = Date.now() + 5000;
    while (answers.size < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();
    assert.equal(answers.get(1)?.error?.kind, 'BadParams');
    assert.equal(answers.get(2)?.error?.kind, 'BadParams');
    assert.equal(answers.get(3)?.ok, true);
  });

  test('the setup-server dialog refuses a bad address and an unreachable server, changing nothing', async () => {
    const page = browser.page;
    await showView(page, 'server');
    await page.getByLabel('Server address').fill('ftp://example.com');
    await page.getByRole('button', { name: 'Check server' }).click();
    await page
      .getByRole('alert')
      .getByText(/http:\/\/ or https:\/\//)
      .waitFor();
    await page.getByLabel('Server address').fill('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Check server' }).click();
    await page
      .getByRole('alert')
      .getByText(/Nothing listens on port 9 of 127\.0\.0\.1 \(connection refused\)/)
      .waitFor();
    await browser.screenshot('setup-server-unreachable');
    assert.equal(await page.getByRole('dialog', { name: 'Confirm server' }).count(), 0);
  });
});
