import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServerInUse } from '../contract/status.js';
import { Hosting, sameServer, type LocalServerControl } from './hosting.js';
import type { BridgeEvent, BridgeOutcome, HostingState } from '../contract/ui-bridge.js';
import type { HostedHere, LocalServerStep } from './local-server-host.js';
import { status } from '../contract/status-fixture.js';

const FINGERPRINT = 'ab12 '.repeat(15) + 'ab12';
const here: HostedHere = {
  url: 'http://192.168.1.20:5580',
  fingerprint: FINGERPRINT,
  setupUrl: 'http://192.168.1.20:5580/#setup=abc',
  logFile: '/tmp/hnet-server.log',
};
const using = (url: string): ServerInUse => ({
  url,
  fingerprint: FINGERPRINT,
  dashboardUrl: url,
  websetup: 'fc94:f68a:33e9:cf9d:3f5c:1449:68d5:104c',
});

/** A local server that starts when told to, and an engine link whose setupServer answers `answer`. */
function rig(answer: BridgeOutcome<{ baseServers: string[] }> = { ok: true, value: { baseServers: ['x'] } }) {
  const seen: HostingState[] = [];
  let finish: (() => void) | undefined;
  let stops = 0;
  let listener: ((event: BridgeEvent) => void) | undefined;
  const server: LocalServerControl = {
    async start(onStep: (step: LocalServerStep) => void) {
      onStep('address');
      seen.push(hosting.state());
      onStep('starting');
      seen.push(hosting.state());
      await new Promise<void>((resolve) => (finish = resolve));
      return { ok: true, value: here };
    },
    async stop() {
      stops++;
    },
  };
  const calls: unknown[] = [];
  const link = {
    call: async (_name: string, params: unknown) => {
      calls.push(params);
      seen.push(hosting.state());
      return answer;
    },
    onEvent: (l: (event: BridgeEvent) => void) => {
      listener = l;
      return () => undefined;
    },
  };
  const hosting = new Hosting(server, link as never, () => Date.parse('2026-11-22T09:00:00Z'));
  return {
    hosting,
    seen,
    calls,
    finish: () => finish?.(),
    stops: () => stops,
    status: (server: ServerInUse | null) =>
      listener?.({ event: 'status', update: { status: status({ server }), changed: [] } }),
  };
}

describe('hosting a server on this machine, as the window follows it', () => {
  test('each step shows while it runs, then the server, which the engine was moved to with its own key', async () => {
    const r = rig();
    const done = r.hosting.hostHere();
    await new Promise((resolve) => setImmediate(resolve));
    r.finish();
    const answer = await done;
    assert.deepEqual(
      r.seen.map((s) => (s.state === 'working' ? s.step : s.state)),
      ['address', 'starting', 'switching'],
    );
    assert.deepEqual(r.calls, [{ url: here.url, fingerprint: FINGERPRINT }]);
    assert.equal(answer.ok, true);
    assert.deepEqual(r.hosting.state(), {
      state: 'running',
      server: { ...here, baseServers: ['x'] },
    });
  });

  test('moving this device to another server stops the one hosted here; a status from before the switch does not', async () => {
    const r = rig();
    const done = r.hosting.hostHere();
    await new Promise((resolve) => setImmediate(resolve));
    r.finish();
    await done;
    // A status built before the switch still names the old server: the new one must live on.
    r.status(using('https://old.example.org/'));
    assert.equal(r.stops(), 0);
    r.status(using('http://192.168.1.20:5580/'));
    assert.equal(r.hosting.state().state, 'running');
    r.status(using('https://hnet.example.org/'));
    assert.equal(r.stops(), 1);
    assert.deepEqual(r.hosting.state(), {
      state: 'stopped',
      url: here.url,
      movedTo: 'https://hnet.example.org/',
    });
  });

  test('when the engine refuses the server, the user gets its sentence and nothing is left running', async () => {
    const r = rig({ ok: false, error: { kind: 'NotPermitted', message: 'the server’s key is not the one' } });
    const done = r.hosting.hostHere();
    await new Promise((resolve) => setImmediate(resolve));
    r.finish();
    const answer = await done;
    assert.equal(answer.ok, false);
    assert.equal(r.stops(), 1);
    assert.deepEqual(r.hosting.state(), { state: 'idle' });
  });

  test('one server however its address is written', () => {
    assert.equal(sameServer('http://192.168.1.20:5580', 'http://192.168.1.20:5580/'), true);
    assert.equal(sameServer('HTTP://Hnet.Example.org/base/', 'http://hnet.example.org/base'), true);
    assert.equal(sameServer('http://192.168.1.20:5580', 'https://192.168.1.20:5580'), false);
  });
});
