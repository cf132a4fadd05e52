import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { controlCalls } from './control-calls.js';
import { bridgeCalls, bridgeCallNames, checkBridgeRequest, isEngineCall } from './ui-bridge.js';

const PEER = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';

describe('the UI call schema', () => {
  test('every engine call the UI may make is the engine’s own declaration, validator and all', () => {
    for (const name of bridgeCallNames.filter(isEngineCall)) {
      assert.ok(Object.hasOwn(controlCalls, name), `${name} is not a control call`);
      assert.equal(bridgeCalls[name].params, controlCalls[name as keyof typeof controlCalls].params);
    }
  });

  test('the window sets a server up with the engine’s own call, so it reads an address as the CLI does', () => {
    assert.equal(bridgeCalls.setupServer.site, 'engine');
    assert.equal(bridgeCalls.setupServer.params, controlCalls.setupServer.params);
    assert.equal(checkBridgeRequest('server.use', { url: 'https://hnet.example.com' }).ok, false);
  });

  test('an unknown call or a bad argument is refused with a reason', () => {
    const unknown = checkBridgeRequest('shell.exec', { command: 'rm -rf /' });
    assert.equal(unknown.ok, false);
    assert.match(unknown.ok ? '' : unknown.error, /no call named "shell\.exec"/);
    const bad = checkBridgeRequest('whitelist.add', { address: '10.0.0.1' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /fc94::\/16/);
    const extra = checkBridgeRequest('whitelist.add', { address: PEER, force: true });
    assert.equal(extra.ok, false);
    assert.equal(checkBridgeRequest(42, {}).ok, false);
  });

  test('Connect / Disconnect is the engine’s connection.set, up or down and nothing else', () => {
    assert.equal(bridgeCalls['connection.set'].site, 'engine');
    assert.deepEqual(checkBridgeRequest('connection.set', { connection: 'down' }), {
      ok: true,
      value: { name: 'connection.set', params: { connection: 'down' } },
    });
    assert.equal(checkBridgeRequest('connection.set', { connection: 'sideways' }).ok, false);
    assert.equal(checkBridgeRequest('connection.set', {}).ok, false);
  });

  test('a good call comes back with its checked, canonical arguments', () => {
    const checked = checkBridgeRequest('whitelist.add', {
      address: 'FC94:B01D:1803:C477:1F5E:8B63:FD2A:E40C',
    });
    assert.deepEqual(checked, { ok: true, value: { name: 'whitelist.add', params: { address: PEER } } });
  });
});
