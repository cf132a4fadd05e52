import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { peer, status } from '../contract/status-fixture.js';
import { trayIconState, trayMenu, trayTooltip, type TrayActions, type TrayState } from './tray-menu.js';

const A = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40c';
const B = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40d';
const C = 'fc94:b01d:1803:c477:1f5e:8b63:fd2a:e40e';

const base: TrayState = {
  link: { state: 'up' },
  status: status({
    peers: [peer(A, { path: 'direct' }), peer(B, { path: 'tunnelled' }), peer(C, { path: 'probing' })],
  }),
  hosted: true,
  startAtLogin: false,
  notifications: true,
};

function recorder(): { actions: TrayActions; done: string[] } {
  const done: string[] = [];
  return {
    done,
    actions: {
      open: (view) => done.push(`open ${view ?? 'window'}`),
      copy: (text) => done.push(`copy ${text}`),
      setConnection: (connection) => done.push(connection === 'up' ? 'connect' : 'disconnect'),
      setStartAtLogin: (on) => done.push(`login ${on}`),
      setNotifications: (on) => done.push(`notify ${on}`),
      quit: () => done.push('quit'),
    },
  };
}

const labels = (items: MenuItemConstructorOptions[]): string[] =>
  items.flatMap((i) => (i.label ? [i.label] : []));
const click = (items: MenuItemConstructorOptions[], label: string | RegExp): void => {
  const all = items.flatMap((i) => [i, ...((i.submenu as MenuItemConstructorOptions[] | undefined) ?? [])]);
  const item = all.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label ?? '')));
  assert.ok(item, `no menu item ${label}`);
  (item.click as () => void)();
};

describe('the tray', () => {
  test('shows the device, its address, and how its peers are reached', () => {
    const menu = trayMenu(base, recorder().actions);
    assert.deepEqual(labels(menu).slice(0, 4), [
      'Open hnet',
      'laptop',
      'fc94:2555:6ac2:585c:1473:d35d:e2fb:2c62  (click to copy)',
      '3 peers: 3 online (1 direct, 2 tunnelled)',
    ]);
  });

  test('every item does what it says', () => {
    const { actions, done } = recorder();
    const menu = trayMenu(base, actions);
    click(menu, 'Open hnet');
    click(menu, /click to copy/);
    click(menu, 'Join a network…');
    click(menu, 'Set up server…');
    click(menu, 'Disconnect');
    click(menu, 'Start at login');
    click(menu, 'Notify when peers connect or drop');
    click(menu, /^Quit/);
    assert.deepEqual(done, [
      'open window',
      'copy fc94:2555:6ac2:585c:1473:d35d:e2fb:2c62',
      'open networks',
      'open server',
      'disconnect',
      'login true',
      'notify false',
      'quit',
    ]);
  });

  test('offers Connect once disconnected, for a hosted engine and an hnetd service alike', () => {
    const down = { ...base, status: status({ connection: 'down' }) };
    for (const hosted of [true, false]) {
      const { actions, done } = recorder();
      const menu = trayMenu({ ...down, hosted }, actions);
      assert.ok(!labels(menu).includes('Disconnect'));
      click(menu, 'Connect');
      assert.deepEqual(done, ['connect']);
    }
    assert.equal(trayIconState(down), 'offline');
    assert.equal(trayTooltip(down), 'hnet: disconnected');
    assert.ok(labels(trayMenu({ ...base, hosted: false }, recorder().actions)).includes('Quit'));
  });

  test('a server outage is not the whole network down: direct peers keep the icon connected', () => {
    const outage = status({
      base: { state: 'unreachable', transport: null, server: '198.18.0.2:443', reason: 'no answer for 5 s' },
      peers: [peer(A, { path: 'direct' }), peer(B, { reach: 'unreachable', path: 'tunnelled' })],
    });
    assert.equal(trayIconState({ ...base, status: outage }), 'connected');
    assert.equal(
      trayTooltip({ ...base, status: outage }),
      'hnet: server unreachable, direct peers keep working — 2 peers: 1 online (1 direct), 1 unreachable',
    );
    const alone = status({ base: outage.base, peers: [peer(B, { reach: 'unreachable' })] });
    assert.equal(trayIconState({ ...base, status: alone }), 'connecting');
  });

  test('says why when the engine cannot be reached', () => {
    const menu = trayMenu(
      { ...base, link: { state: 'down', reason: 'hnetd is not running' }, status: undefined },
      recorder().actions,
    );
    assert.ok(labels(menu).includes('Not running: hnetd is not running'));
    assert.equal(menu.find((i) => i.label === 'Connect')?.enabled, false, 'nothing to connect');
    assert.equal(trayTooltip({ ...base, link: { state: 'down', reason: 'x' } }), 'hnet: not running');
  });

  test('the icon follows the base connection, and LAN peers count as connected', () => {
    assert.equal(trayIconState(base), 'connected');
    const connecting = status({ base: { state: 'connecting', transport: null, server: null, reason: '' } });
    assert.equal(trayIconState({ ...base, status: connecting }), 'connecting');
    const lanOnly = status({
      base: { state: 'offline', transport: null, server: null, reason: 'no base server configured' },
      peers: [peer(A, { path: 'direct' })],
    });
    assert.equal(trayIconState({ ...base, status: lanOnly }), 'connected');
    assert.equal(trayIconState({ ...base, link: { state: 'down', reason: '' } }), 'offline');
  });
});
