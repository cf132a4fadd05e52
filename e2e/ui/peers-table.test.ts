// The peers table as a user sees it, in Chromium, with the page loaded the way Electron loads it
// (our CSP, no connections) and `window.hnet` standing in for the preload bridge. The engine side
// is covered by the other UI tests; this one pins down what each row says and how it updates.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readRendererFile, rendererDir, securityHeaders } from '../../src-main/electron/renderer-files.js';
import { peer, status } from '../../src-main/electron/testing/status-fixture.js';
import type { Status } from '../../src-main/engine/status.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { peerRow, waitForPath } from './ui-page.js';

const A = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40a';
const B = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40b';
const C = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';

const first = status({
  peers: [
    peer(A, {
      hostname: 'desk',
      path: 'direct',
      endpoint: '[198.18.1.2]:5582',
      rttMs: 3,
      bytesSent: 1536,
      bytesReceived: 2 * 1024 * 1024,
      lastHandshake: new Date().toISOString(),
      reason: 'same LAN (beacon)',
    }),
    peer(B, { hostname: 'phone', path: 'tunnelled', rttMs: 41, reason: 'symmetric NAT on both sides' }),
    peer(C, { path: 'probing', reason: 'probing 2 candidates' }),
  ],
});

/**
 * What preload.ts exposes, played by the test: answers every call with success, records it, and
 * lets the test push events as main would.
 */
const fakePreload = (initial: Status): string => `
  const calls = [];
  let listener;
  window.hnetCalls = calls;
  window.hnetEmit = (event) => listener && listener(event);
  window.hnet = {
    call: async (name, params) => {
      calls.push([name, params]);
      if (name === 'helper.state') return { ok: true, value: { installed: true, reason: 'running', canInstall: false } };
      return { ok: true, value: {} };
    },
    onEvent: (next) => {
      listener = next;
      next({ event: 'link', link: { state: 'up' } });
      next({ event: 'status', update: { status: ${JSON.stringify(initial)}, changed: [] } });
      return () => (listener = undefined);
    },
  };`;

/** Serves the built UI as Electron's app:// handler does: same files, same headers. */
function serveLikeElectron(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    void readRendererFile(dir, new URL(req.url ?? '/', 'http://x').pathname).then((file) => {
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { ...securityHeaders([]), 'Content-Type': file.contentType }).end(file.body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe('the peers table', () => {
  let browser: UiBrowser;
  let server: Server;

  before(async () => {
    await buildRenderer();
    const dir = rendererDir();
    assert.ok(dir, 'the renderer was built');
    const served = await serveLikeElectron(dir);
    server = served.server;
    browser = await openBrowser();
    // As text: tsx's transform of a function would reference helpers the page does not have.
    await browser.page.addInitScript({ content: fakePreload(first) });
    await browser.page.goto(`${served.origin}/index.html`);
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  const rows = () => browser.page.locator('table.peers tbody tr');
  const addresses = async () => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-address')));

  test('each row says how the peer is reached and why', async () => {
    const page = browser.page;
    await page.getByRole('heading', { name: '3 peers: 1 direct, 2 tunnelled' }).waitFor();
    const desk = page.locator(`tr[data-address="${A}"]`);
    assert.deepEqual(await desk.locator('td').allInnerTexts(), [
      'desk',
      `${A}\nCopy`,
      'Direct\n[198.18.1.2]:5582',
      '3.0 ms',
      '1.5 KiB',
      '2.0 MiB',
      'just now',
      'same LAN (beacon)',
    ]);
    const phone = await page.locator(`tr[data-address="${B}"]`).locator('td').allInnerTexts();
    assert.equal(phone[2], 'Tunnelled\nbase 198.18.0.2:443');
    assert.equal(phone[7], 'symmetric NAT on both sides');
    const unnamed = await page.locator(`tr[data-address="${C}"]`).locator('td').allInnerTexts();
    assert.deepEqual(
      [unnamed[0], unnamed[2], unnamed[3], unnamed[6]],
      ['unnamed', 'Tunnelled, trying direct\nbase 198.18.0.2:443', '—', 'never'],
    );
    await browser.screenshot('peers-table');
  });

  test('filters by path and by text, and sorts by a column both ways', async () => {
    const page = browser.page;
    await page.getByLabel('Path').selectOption('direct');
    assert.deepEqual(await addresses(), [A]);
    await page.getByLabel('Path').selectOption('all');
    await page.getByLabel('Filter peers').fill('symmetric');
    assert.deepEqual(await addresses(), [B]);
    await page.getByLabel('Filter peers').fill('');
    await page.getByRole('button', { name: 'RTT' }).click();
    assert.deepEqual(await addresses(), [A, B, C]);
    await page.getByRole('button', { name: 'RTT' }).click();
    assert.deepEqual(await addresses(), [C, B, A]);
  });

  test('a peer turning from tunnelled to direct changes on screen without a reload', async () => {
    const page = browser.page;
    const phone = peerRow(page, B);
    assert.equal(await phone.getAttribute('data-path'), 'tunnelled');
    const next = {
      ...first,
      peers: first.peers.map((p) =>
        p.address === B
          ? { ...p, path: 'direct', endpoint: '[203.0.113.7]:40112', reason: 'NAT traversal succeeded' }
          : p,
      ),
    };
    await page.evaluate(
      (update) => (window as unknown as { hnetEmit: (e: unknown) => void }).hnetEmit(update),
      {
        event: 'status',
        update: { status: next, changed: ['peers'] },
      },
    );
    await waitForPath(page, B, 'direct');
    assert.match(await phone.innerText(), /Direct\s+\[203\.0\.113\.7\]:40112/);
    await page.getByRole('heading', { name: '3 peers: 2 direct, 1 tunnelled' }).waitFor();
  });

  test('Copy goes through the bridge to the shell’s clipboard', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: `Copy ${A}` }).click();
    await page.getByText(`Copied ${A}`).waitFor();
    const calls = await page.evaluate(() => (window as unknown as { hnetCalls: unknown[] }).hnetCalls);
    assert.deepEqual(calls.at(-1), ['clipboard.copy', { text: A }]);
  });
});
