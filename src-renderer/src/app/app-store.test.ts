import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BridgeOutcome, HostedServer, HostingState } from '../../../src-main/contract/ui-bridge.js';
import type { UiBridge } from '../bridge/ui-bridge.js';
import { useApp } from './app-store.js';

const hosted: HostedServer = {
  url: 'http://192.168.1.20:5580',
  fingerprint: 'ab12 '.repeat(15) + 'ab12',
  setupUrl: 'http://192.168.1.20:5580/#setup=abc',
  baseServers: ['192.168.1.20'],
  logFile: '/tmp/hnet-server.log',
};

/** A bridge whose hostHere answers when `finish` is called, and whose shell reports `shell.hosting`. */
function fakeBridge(answer: BridgeOutcome<HostedServer>) {
  const shell = { hosting: { state: 'working', step: 'starting', since: '' } as HostingState };
  let finish: () => void = () => undefined;
  const bridge = {
    call: async (name: string) => {
      if (name === 'server.hosting') return { ok: true, value: shell.hosting };
      if (name === 'server.hostHere') {
        await new Promise<void>((resolve) => (finish = resolve));
        shell.hosting = answer.ok ? { state: 'running', server: answer.value } : { state: 'idle' };
        return answer;
      }
      throw new Error(`unexpected call ${name}`);
    },
    onEvent: () => () => undefined,
    copyText: async () => ({ ok: true, value: undefined }),
  } as unknown as UiBridge;
  return { bridge, finish: () => finish() };
}

describe('“Host a server on this machine” in the window', () => {
  test('shows progress at once, and ends on the Server view with the server running', async () => {
    const fake = fakeBridge({ ok: true, value: hosted });
    useApp.setState({ bridge: fake.bridge, view: 'peers', hosting: { state: 'idle' }, feedback: {} });
    const done = useApp.getState().hostHere();
    assert.equal(useApp.getState().hosting.state, 'working');
    assert.equal(useApp.getState().busy['hosting'], true);
    await new Promise((resolve) => setImmediate(resolve));
    fake.finish();
    await done;
    assert.equal(useApp.getState().view, 'server');
    assert.deepEqual(useApp.getState().hosting, { state: 'running', server: hosted });
    assert.equal(useApp.getState().feedback['hosting']?.kind, 'done');
  });

  test('a failure leaves its sentence where the button is, and the view where it was', async () => {
    const fake = fakeBridge({
      ok: false,
      error: { kind: 'NotAvailable', message: 'port 5580 on this machine is already in use' },
    });
    useApp.setState({ bridge: fake.bridge, view: 'peers', hosting: { state: 'idle' }, feedback: {} });
    const done = useApp.getState().hostHere();
    await new Promise((resolve) => setImmediate(resolve));
    fake.finish();
    await done;
    assert.equal(useApp.getState().view, 'peers');
    assert.deepEqual(useApp.getState().hosting, { state: 'idle' });
    assert.deepEqual(useApp.getState().feedback['hosting'], {
      kind: 'error',
      text: 'Port 5580 on this machine is already in use.',
    });
  });
});
