import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ControlClient } from '../engine/control/control-client.js';
import { hostTestEngine, type TestEngine } from './testing-hosted-engine.js';

const PEER = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';

describe('the desktop app’s engine', () => {
  let own: TestEngine;
  before(async () => {
    own = await hostTestEngine();
  });
  after(async () => {
    await own?.close();
  });

  test('with no hnetd on the machine, the app hosts an engine the CLI can reach on the user’s socket', async () => {
    assert.equal(own.host.mode, 'hosted');
    const cli = await ControlClient.connect(own.host.config.controlSocket);
    assert.ok(cli.ok);
    const status = await cli.value.call('status', {});
    cli.value.close();
    assert.ok(status.ok);
    assert.equal(status.value.hostname, 'shell-test');
  });

  test('with an hnetd answering, a second app attaches to it instead, and Quit leaves it running', async () => {
    const second = await hostTestEngine(own.host.config.controlSocket);
    try {
      assert.equal(second.host.mode, 'attached');
      const added = await second.host.link.call('whitelist.add', { address: PEER });
      assert.ok(added.ok, added.ok ? '' : added.error.message);
    } finally {
      await second.close();
    }
    const seen = await own.host.link.call('whitelist.list', {});
    assert.ok(
      seen.ok && seen.value.addresses.includes(PEER),
      'the change reached the hnetd the app attached to',
    );
  });

  test('Disconnect and Connect (the tray’s and the window’s connection.set) keep the engine and its link', async () => {
    const down = await own.host.link.call('connection.set', { connection: 'down' });
    assert.ok(down.ok, down.ok ? '' : down.error.message);
    assert.equal(down.value.connection, 'down');
    const still = await own.host.link.call('status', {});
    assert.ok(still.ok && still.value.connection === 'down', 'the engine still answers, disconnected');
    const up = await own.host.link.call('connection.set', { connection: 'up' });
    assert.ok(up.ok && up.value.connection === 'up');
  });
});
