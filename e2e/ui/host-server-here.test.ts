// "Host a server on this machine", clicked by a desktop user who is not root: in the network lab,
// alpha runs its engine and browser UI (hnetd --ui) as uid 65534 with the root helper beside it.
// One click starts hnet-server as alpha's child on ports above 1024, advertising alpha's address,
// and moves alpha's engine to it; beta, another machine, sets the same server up with the
// fingerprint alpha's server printed and pings alpha through the overlay.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HnetNode } from '../scenarios/hnet-node.js';
import {
  introduce,
  makeScratch,
  ping,
  pingsReceived,
  removeScratch,
  startNode,
  stopNode,
  waitForStatus,
} from '../scenarios/hnet-node.js';
import { Lab, type Host, type LabProcess } from '../lab/index.js';
import { ownerAccountFromSetupLink } from './dashboard-page.js';
import { openBrowser, type UiBrowser } from './ui-browser.js';
import { buildRenderer, startUiNode, type UiNode } from './ui-node.js';
import { literally, showView } from './ui-page.js';

/** `nobody`: an ordinary user, no capabilities. */
const USER = 65534;
const HTTP_PORT = 5580;
const BASE_TCP_PORT = 5443;
const FINGERPRINT = /license key ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})/;

async function startHelperFor(host: Host, dir: string): Promise<{ socket: string; helper: LabProcess }> {
  await mkdir(dir, { recursive: true });
  await chown(dir, USER, USER);
  const socket = join(dir, 'helper.sock');
  const config = join(dir, 'helper.json');
  await writeFile(
    config,
    JSON.stringify({
      socketPath: socket,
      uids: [USER],
      hostsFile: '/etc/hosts',
      stateFile: join(dir, 'helper-state.json'),
    }),
  );
  const helper = host.spawnScript('src-helper/main.ts', ['--config', config]);
  await helper.waitForOutput(/"event":"listening"/);
  return { socket, helper };
}

describe('hosting a server on this machine, one click, without root', () => {
  let lab: Lab;
  let scratch: string;
  let alphaHost: Host;
  let betaHost: Host;
  let alphaHelper: LabProcess;
  let ui: UiNode;
  let alpha: HnetNode;
  let beta: HnetNode;
  let browser: UiBrowser;

  const hostHere = async () => {
    await browser.page.getByRole('button', { name: 'Host a server on this machine' }).click();
  };
  const uiDir = () => dirname(dirname(ui.controlSocket));
  /** The hnet-server alpha's hnetd started (found by its state directory), if it runs. */
  const serverProcess = async () => {
    const listed = await alphaHost.exec(['ps', '-eo', 'pid=,uid=,args=']);
    const line = listed.stdout
      .split('\n')
      .find((l) => l.includes('src-server/cli.ts') && l.includes(join(uiDir(), 'state', 'server')));
    const [pid, uid] = line?.trim().split(/\s+/).map(Number) ?? [];
    return pid === undefined ? undefined : { pid, uid };
  };
  const serverLog = () => readFile(join(uiDir(), 'state', 'server', 'hnet-server.log'), 'utf8');

  before(async () => {
    const built = buildRenderer();
    lab = await Lab.create();
    scratch = await makeScratch();
    await chmod(scratch, 0o755);
    const inet = await lab.segment('inet');
    alphaHost = await lab.host('alpha', { on: inet });
    betaHost = await lab.host('beta', { on: inet });
    const helper = await startHelperFor(alphaHost, join(scratch, 'alpha'));
    alphaHelper = helper.helper;
    ui = await startUiNode({
      runner: alphaHost,
      user: { uid: USER, gid: USER },
      hostname: 'alpha',
      env: { HNET_HELPER_SOCKET: helper.socket, HNET_LOG_LEVEL: 'debug' },
    });
    const hnet = async (args: readonly string[]) => (await ui.hnet(args)).stdout;
    alpha = {
      host: alphaHost,
      hostname: 'alpha',
      address: (await hnet(['ip'])).trim(),
      daemon: ui.process,
      hnet,
      status: async () =>
        JSON.parse(await hnet(['status', '--json'])) as Awaited<ReturnType<HnetNode['status']>>,
    };
    beta = await startNode(betaHost, scratch, { baseServers: [], hostname: 'beta' });
    await built;
    browser = await openBrowser({ namespace: alphaHost.namespace });
    await browser.page.goto(ui.url);
    await showView(browser.page, 'server');
  });

  after(async () => {
    await browser?.close();
    // hnetd stops the server it started when it stops.
    await ui?.stop();
    await alphaHelper?.stop();
    if (beta) await stopNode(beta);
    await lab?.destroy();
    if (scratch) await removeScratch(scratch);
  });

  test('a port another program holds is named, and the engine stays where it was', async () => {
    const holder = alphaHost.spawn([
      process.execPath,
      '-e',
      `require('net').createServer().listen(${HTTP_PORT}, () => console.log('holding'))`,
    ]);
    try {
      await holder.waitForOutput(/holding/);
      await hostHere();
      await browser.page
        .getByRole('alert')
        .getByText(new RegExp(`Port ${HTTP_PORT} on this machine is already in use.*nothing was changed`))
        .waitFor({ timeout: 40_000 });
      await browser.screenshot('host-here-port-in-use');
      const status = await alpha.status();
      assert.equal(status.base.server, null, 'no base server was set');
      assert.equal(await serverProcess(), undefined, 'no hnet-server is left running');
    } finally {
      await holder.stop();
    }
  });

  test('one click starts the stack as this user on ports above 1024 and the engine connects to its base', async () => {
    await hostHere();
    await browser.page
      .getByRole('status')
      .getByText('hnet-server runs on this machine and hnet now uses it.')
      .waitFor({ timeout: 60_000 });
    const base = `${alphaHost.ip}:${BASE_TCP_PORT}`;
    await waitForStatus(
      alpha,
      (s) => (s.base.state === 'connected' && s.base.server === base ? true : undefined),
      15_000,
    );
    await browser.screenshot('host-here-connected');

    // Other machines find it at alpha's own address, the base port in the signed hnet field.
    const fetched = await betaHost.exec([
      process.execPath,
      '-e',
      `fetch('http://${alphaHost.ip}:${HTTP_PORT}/license.json').then((r) => r.text()).then(console.log)`,
    ]);
    const license = JSON.parse(fetched.stdout) as {
      base_server_addresses: string[];
      hnet_base_servers?: string[];
    };
    assert.deepEqual(license.base_server_addresses, [alphaHost.ip]);
    assert.deepEqual(license.hnet_base_servers, [base]);

    const server = await serverProcess();
    assert.equal(server?.uid, USER, `hnet-server runs as uid ${USER}`);
  });

  test('a stranger on the network cannot take the new server; the window hands its owner the setup link', async () => {
    // beta reaches the dashboard first, as anyone on the LAN could: no setup token, no account.
    const taken = await betaHost.exec([
      process.execPath,
      '-e',
      `fetch('http://${alphaHost.ip}:${HTTP_PORT}/api/signup', { method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'stranger@example.org', password: 'correct horse battery' }) })
        .then(async (r) => console.log(r.status, await r.text()))`,
    ]);
    assert.match(taken.stdout, /^403 .*setup token/);

    const hosted = browser.page.getByRole('group', { name: 'Server on this machine' });
    const link = hosted.getByRole('link', { name: 'Create the owner account' });
    const setupUrl = (await link.getAttribute('href')) ?? '';
    assert.match(setupUrl, new RegExp(`^http://${literally(alphaHost.ip)}:${HTTP_PORT}/#setup=[\\w-]{43}$`));
    assert.ok((await serverLog()).includes(setupUrl), 'the same link is in hnet-server.log');
    const [dashboard] = await Promise.all([browser.context.waitForEvent('page'), link.click()]);
    await ownerAccountFromSetupLink(dashboard, 'owner@example.org');
    await browser.screenshot('host-here-owner-account');
    await dashboard.close();
  });

  test('another machine sets the server up with the fingerprint it printed and pings this one', async () => {
    // The window shows the command for other devices with the server in use; the log in the user's
    // data dir has the same key.
    const shown = await browser.page
      .getByRole('region', { name: 'Server in use' })
      .locator('code.command')
      .innerText();
    const command = /^hnet setup-server (\S+) --fingerprint '([0-9a-f ]+)'$/.exec(shown);
    assert.ok(command, `the window shows the setup command: ${shown}`);
    const [, url = '', fingerprint = ''] = command;
    assert.equal(url, `http://${alphaHost.ip}:${HTTP_PORT}`);
    assert.equal(FINGERPRINT.exec(await serverLog())?.[1], fingerprint);
    await beta.hnet(['setup-server', url, '--fingerprint', fingerprint]);
    const base = `${alphaHost.ip}:${BASE_TCP_PORT}`;
    await waitForStatus(
      beta,
      (s) => (s.base.state === 'connected' && s.base.server === base ? true : undefined),
      15_000,
    );
    await introduce([alpha, beta]);
    const replies = pingsReceived(await ping(beta.host, alpha.address, { count: 5 }));
    assert.ok(replies >= 3, `beta reached alpha through the overlay (${replies}/5 replies)`);
    assert.match(await alpha.hnet(['status']), new RegExp(literally('beta')));
  });

  test('when hnetd stops, the server it started stops with it', async () => {
    const server = await serverProcess();
    assert.ok(server, 'hnet-server is running before');
    process.kill(ui.process.pid, 'SIGTERM');
    await ui.process.exited;
    assert.equal(existsSync(`/proc/${server.pid}`), false, `hnet-server (pid ${server.pid}) is gone`);
  });
});
