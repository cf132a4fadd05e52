// The IPC boundary under plain Node: Electron's ipcMain/ipcRenderer are stood in for by a small
// in-memory pair, while the engine behind the handlers is a real one.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { createBridgeBackend, type BridgeBackend } from '../ui-host/bridge-backend.js';
import { ipcChannels } from './ipc-channels.js';
import {
  APP_ORIGIN,
  forwardEvents,
  isTrustedSender,
  registerIpcHandlers,
  type SenderEvent,
} from './ipc-handlers.js';
import type { BridgeEvent, BridgeOutcome } from '../contract/ui-bridge.js';
import { createPreloadBridge, type PreloadIpc } from './preload-bridge.js';
import { createShellHandlers } from '../ui-host/shell-handlers.js';
import { hostTestEngine, quietLog, type TestEngine } from '../ui-host/testing-hosted-engine.js';

const PEER = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';
const OUR_WINDOW = 7;
type Handler = (event: SenderEvent, ...args: unknown[]) => unknown;

class InMemoryIpcMain {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, event: SenderEvent, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(handler(event, ...args));
  }
}

const frame = (url: string, parent: unknown = null) =>
  ({ url, parent }) as unknown as SenderEvent['senderFrame'];
const fromOurWindow: SenderEvent = {
  sender: { id: OUR_WINDOW },
  senderFrame: frame(`${APP_ORIGIN}/index.html`),
};

describe('main-side IPC handlers', () => {
  let engine: TestEngine;
  let backend: BridgeBackend;
  let ipcMain: InMemoryIpcMain;
  let unregister: () => void;

  before(async () => {
    engine = await hostTestEngine();
    const { link } = engine.host;
    backend = createBridgeBackend(
      link,
      createShellHandlers({
        link,
        helper: async () => ({
          ok: false,
          error: { kind: 'HelperNotRunning', message: 'the hnet helper is not running' },
        }),
      }),
    );
    ipcMain = new InMemoryIpcMain();
    unregister = registerIpcHandlers(ipcMain as never, {
      backend,
      trustedContents: new Set([OUR_WINDOW]),
      log: quietLog,
    });
  });
  after(async () => {
    unregister?.();
    await engine?.close();
  });

  const whitelist = async () => {
    const answer = await engine.host.link.call('whitelist.list', {});
    assert.ok(answer.ok);
    return answer.value.addresses;
  };

  test('our own window’s page can change the whitelist, and the engine has it', async () => {
    const answer = (await ipcMain.invoke(ipcChannels.call, fromOurWindow, 'whitelist.add', {
      address: PEER,
    })) as BridgeOutcome<unknown>;
    assert.equal(answer.ok, true);
    assert.ok((await whitelist()).includes(PEER));
    await ipcMain.invoke(ipcChannels.call, fromOurWindow, 'whitelist.remove', { address: PEER });
    assert.ok(!(await whitelist()).includes(PEER));
  });

  test('any other sender is refused and nothing changes', async () => {
    const strangers: [string, SenderEvent][] = [
      ['another window', { sender: { id: 99 }, senderFrame: frame(`${APP_ORIGIN}/index.html`) }],
      [
        'an iframe in our window',
        { sender: { id: OUR_WINDOW }, senderFrame: frame(`${APP_ORIGIN}/index.html`, {}) },
      ],
      [
        'our window navigated elsewhere',
        { sender: { id: OUR_WINDOW }, senderFrame: frame('https://evil.example/') },
      ],
      ['a file page', { sender: { id: OUR_WINDOW }, senderFrame: frame('file:///tmp/x.html') }],
      ['a frame already gone', { sender: { id: OUR_WINDOW }, senderFrame: null }],
    ];
    for (const [who, event] of strangers) {
      assert.equal(isTrustedSender(event, new Set([OUR_WINDOW])), false, who);
      const answer = (await ipcMain.invoke(ipcChannels.call, event, 'whitelist.add', {
        address: PEER,
      })) as BridgeOutcome<unknown>;
      assert.deepEqual(answer.ok ? undefined : answer.error.kind, 'NotPermitted', who);
      assert.deepEqual(await ipcMain.invoke(ipcChannels.replay, event), [], who);
    }
    assert.ok(!(await whitelist()).includes(PEER));
  });

  test('bad arguments and unknown calls are refused before anything runs', async () => {
    const cases: [unknown, unknown, RegExp][] = [
      ['whitelist.add', { address: '192.168.1.1' }, /fc94::\/16/],
      ['whitelist.add', { address: PEER, extra: 1 }, /unknown key "extra"/],
      ['hosts.add', { hostname: '-rf', address: PEER }, /bad hostname/],
      ['netcheck', {}, /no call named/],
      [{ toString: () => 'status' }, {}, /no call named/],
    ];
    for (const [name, params, reason] of cases) {
      const answer = (await ipcMain.invoke(
        ipcChannels.call,
        fromOurWindow,
        name,
        params,
      )) as BridgeOutcome<unknown>;
      assert.equal(answer.ok, false);
      assert.equal(answer.ok ? '' : answer.error.kind, 'BadParams');
      assert.match(answer.ok ? '' : answer.error.message, reason);
    }
  });

  test('the preload bridge gives the page the present at once, then every change', async () => {
    const toRenderer = new EventEmitter();
    const ipcRenderer = {
      invoke: (channel: string, ...args: unknown[]) => ipcMain.invoke(channel, fromOurWindow, ...args),
      on: toRenderer.on.bind(toRenderer),
      removeListener: toRenderer.removeListener.bind(toRenderer),
    } as unknown as PreloadIpc;
    const stopForwarding = forwardEvents(backend, () => [
      {
        id: OUR_WINDOW,
        isDestroyed: () => false,
        send: (channel: string, event: unknown) => toRenderer.emit(channel, {}, event),
      },
    ]);
    const bridge = createPreloadBridge(ipcRenderer);
    const seen: BridgeEvent[] = [];
    const stop = bridge.onEvent((event) => seen.push(event));
    try {
      const hasPeer = () =>
        seen.some((e) => e.event === 'status' && e.update.status.whitelist.addresses.includes(PEER));
      await until(() => seen.some((e) => e.event === 'link' && e.link.state === 'up'));
      await until(() => seen.some((e) => e.event === 'status'));
      const added = await bridge.call('whitelist.add', { address: PEER });
      assert.equal(added.ok, true);
      await until(hasPeer);
    } finally {
      stop();
      stopForwarding();
      await engine.host.link.call('whitelist.remove', { address: PEER });
    }
    assert.equal(toRenderer.listenerCount(ipcChannels.event), 0, 'the page’s listener is removed');
  });

  test('the shell answers from main: a missing helper is reported, and no clipboard exists here', async () => {
    const helper = (await ipcMain.invoke(
      ipcChannels.call,
      fromOurWindow,
      'helper.state',
      {},
    )) as BridgeOutcome<{
      installed: boolean;
      canInstall: boolean;
    }>;
    assert.ok(helper.ok);
    assert.equal(helper.value.installed, false);
    assert.equal(helper.value.canInstall, false);
    const copy = (await ipcMain.invoke(ipcChannels.call, fromOurWindow, 'clipboard.copy', {
      text: PEER,
    })) as BridgeOutcome<unknown>;
    assert.equal(copy.ok ? '' : copy.error.kind, 'NotAvailable');
  });
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
