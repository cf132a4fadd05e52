// The peers table as a user sees it, in Chromium, with the page loaded the way Electron loads it
// (our CSP, no connections) and `window.hnet` standing in for the preload bridge. The engine side
// is covered by the other UI tests; this one pins down what each row says and how it updates.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { readRendererFile, rendererDir, securityHeaders } from '../../src-main/ui-host/renderer-files.js';
import { network, peer, status } from '../../src-main/contract/status-fixture.js';
import type { Status } from '../../src-main/contract/status.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer } from './ui-node.js';
import { engineBanner, greyedOut, peerRow, serverLine, waitForPath, waitForReach } from './ui-page.js';

const A = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40a';
const B = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40b';
const C = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';
const D = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40d';
const WEBSETUP = 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c';

const first = status({
  peers: [
    peer(A, {
      hostname: 'desk',
      path: 'direct',
      endpoint: '[198.18.1.2]:5582',
      rttMs: 3,
      bytesSent: 1536,
      bytesReceived: 2 * 1024 * 1024,
      lastHeard: new Date(Date.now() - 2 * 60_000).toISOString(),
      reason: 'same LAN (beacon)',
    }),
    peer(B, {
      hostname: 'phone',
      reach: 'idle',
      path: 'tunnelled',
      rttMs: 41,
      reason: 'symmetric NAT on both sides',
    }),
    peer(C, { path: 'probing', reason: 'probing 2 candidates' }),
    peer(D, {
      hostname: 'nas',
      reach: 'unreachable',
      path: 'tunnelled',
      lastHeard: new Date(Date.now() - 30 * 60_000).toISOString(),
      reason: 'no reply for 4 s',
    }),
  ],
  networks: [network({ websetup: WEBSETUP, lastContact: new Date().toISOString() })],
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

  /** Pushes an event into the page, as main does over IPC. */
  const emit = (event: unknown) =>
    browser.page.evaluate(
      (e) => (window as unknown as { hnetEmit: (e: unknown) => void }).hnetEmit(e),
      event,
    );
  const show = (next: Status) => emit({ event: 'status', update: { status: next, changed: ['peers'] } });
  const calls = () => browser.page.evaluate(() => (window as unknown as { hnetCalls: unknown[] }).hnetCalls);

  test('each row says whether the peer answers, when it was last heard, how it is reached and why', async () => {
    const page = browser.page;
    await page
      .getByRole('heading', { name: '4 peers: 2 online (1 direct, 1 tunnelled), 1 idle, 1 unreachable' })
      .waitFor();
    const desk = page.locator(`tr[data-address="${A}"]`);
    assert.deepEqual(await desk.locator('td').allInnerTexts(), [
      'desk',
      `${A}\nCopy`,
      'Online',
      'Direct\n[198.18.1.2]:5582',
      '3.0 ms',
      '1.5 KiB',
      '2.0 MiB',
      '2 min ago',
      'same LAN (beacon)',
    ]);
    const phone = await page.locator(`tr[data-address="${B}"]`).locator('td').allInnerTexts();
    assert.deepEqual(
      [phone[2], phone[3], phone[8]],
      ['Idle', 'Tunnelled\nbase 198.18.0.2:443', 'symmetric NAT on both sides'],
    );
    const unnamed = await page.locator(`tr[data-address="${C}"]`).locator('td').allInnerTexts();
    assert.deepEqual(
      [unnamed[0], unnamed[3], unnamed[4], unnamed[7]],
      ['unnamed', 'Tunnelled, trying direct\nbase 198.18.0.2:443', '—', 'never'],
    );
    // A dead peer is never shown as tunnelled.
    const nas = await page.locator(`tr[data-address="${D}"]`).locator('td').allInnerTexts();
    assert.deepEqual(
      [nas[2], nas[3], nas[7]],
      ['Unreachable', 'No answer\nsent via base 198.18.0.2:443', '30 min ago'],
    );
    await browser.screenshot('peers-table');
  });

  test('the network’s websetup node is shown with the server, not as a peer', async () => {
    const page = browser.page;
    await page
      .getByRole('group', { name: 'Server' })
      .getByText(/^Websetup of http:\/\/hnet\.example\.org\/: answering, last contact (just now|\d+ s ago)$/)
      .waitFor();
    assert.equal(await peerRow(page, WEBSETUP).count(), 0);
  });

  test('filters by state and by text, and sorts by a column both ways', async () => {
    const page = browser.page;
    await page.getByLabel('State').selectOption('unreachable');
    assert.deepEqual(await addresses(), [D]);
    await page.getByLabel('State').selectOption('all');
    await page.getByLabel('Filter peers').fill('symmetric');
    assert.deepEqual(await addresses(), [B]);
    await page.getByLabel('Filter peers').fill('');
    await page.getByRole('button', { name: 'RTT' }).click();
    assert.deepEqual(await addresses(), [A, B, C, D]);
    await page.getByRole('button', { name: 'RTT' }).click();
    assert.deepEqual(await addresses(), [C, D, B, A]);
  });

  test('a peer turning direct, and another that stops answering, change on screen without a reload', async () => {
    const page = browser.page;
    const phone = peerRow(page, B);
    assert.equal(await phone.getAttribute('data-path'), 'tunnelled');
    await show({
      ...first,
      peers: first.peers.map((p) =>
        p.address === B
          ? {
              ...p,
              reach: 'online',
              path: 'direct',
              endpoint: '[203.0.113.7]:40112',
              reason: 'NAT traversal succeeded',
            }
          : p.address === A
            ? { ...p, reach: 'unreachable', reason: 'no reply for 3 s' }
            : p,
      ),
    });
    await waitForPath(page, B, 'direct');
    assert.match(await phone.innerText(), /Online\s+Direct\s+\[203\.0\.113\.7\]:40112/);
    await waitForReach(page, A, 'unreachable');
    assert.match(
      await peerRow(page, A).innerText(),
      /Unreachable\s+No answer\s+sent to \[198\.18\.1\.2\]:5582/,
    );
    await page
      .getByRole('heading', { name: '4 peers: 2 online (1 direct, 1 tunnelled), 2 unreachable' })
      .waitFor();
    await show(first);
  });

  test('a server outage reads as the server unreachable while direct peers keep working, never a red Offline', async () => {
    const page = browser.page;
    await show(
      status({
        ...first,
        base: {
          state: 'unreachable',
          transport: null,
          server: '198.18.0.2:443',
          reason: 'no answer for 5 s',
        },
      }),
    );
    await serverLine(page)
      .getByText('Server unreachable — direct peers keep working', { exact: true })
      .waitFor();
    assert.equal(await serverLine(page).getAttribute('data-tone'), 'warn');
    assert.match(await page.getByRole('group', { name: 'Server' }).innerText(), /no answer for 5 s/);
    await browser.screenshot('server-unreachable');
    await show(first);
    await serverLine(page).getByText('Connected to 198.18.0.2:443 over UDP').waitFor();
  });

  test('Disconnect in the window is the engine’s connection.set; once down the window offers Connect', async () => {
    const page = browser.page;
    await page.getByRole('group', { name: 'Server' }).getByRole('button', { name: 'Disconnect' }).click();
    assert.deepEqual((await calls()).at(-1), ['connection.set', { connection: 'down' }]);
    await show({ ...first, connection: 'down' });
    await serverLine(page).getByText('Disconnected', { exact: true }).waitFor();
    await page.getByRole('group', { name: 'Server' }).getByRole('button', { name: 'Connect' }).click();
    assert.deepEqual((await calls()).at(-1), ['connection.set', { connection: 'up' }]);
    await show(first);
  });

  test('when the link to the engine breaks the page says so at once and greys out; it comes back live', async () => {
    const page = browser.page;
    assert.equal(await greyedOut(page), false);
    await emit({ event: 'link', link: { state: 'down', reason: 'hnetd is not running' } });
    await engineBanner(page).getByText('hnet is not running').waitFor();
    assert.equal(await greyedOut(page), true);
    assert.match(await engineBanner(page).innerText(), /What this page shows is from \d\d:\d\d:\d\d/);
    await browser.screenshot('engine-lost');
    await emit({ event: 'link', link: { state: 'up' } });
    await engineBanner(page).waitFor({ state: 'detached' });
    assert.equal(await greyedOut(page), false);
  });

  test('Copy goes through the bridge to the shell’s clipboard', async () => {
    const page = browser.page;
    await page.getByRole('button', { name: `Copy ${A}` }).click();
    await page.getByText(`Copied ${A}`).waitFor();
    assert.deepEqual((await calls()).at(-1), ['clipboard.copy', { text: A }]);
  });
});
