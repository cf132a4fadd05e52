// What the tray shows, as data: its icon state and its menu, built from the engine's status. Pure
// (Electron's menu type only), so every line a user reads in the tray is unit-tested.
import type { MenuItemConstructorOptions } from 'electron';
import type { Status } from '../contract/status.js';
import type { LinkState, UiView } from '../contract/ui-bridge.js';
import { countPeers, peerSummary } from '../contract/peer-states.js';

export type TrayIconState = 'connected' | 'connecting' | 'offline';

export interface TrayState {
  link: LinkState;
  status: Status | undefined;
  /** Whether this app hosts the engine (Quit then stops it). */
  hosted: boolean;
  startAtLogin: boolean;
  notifications: boolean;
}

export interface TrayActions {
  open(view?: UiView): void;
  copy(text: string): void;
  /** Connect or Disconnect: the engine's `connection.set`, as the window and `hnet up|down` use it. */
  setConnection(connection: Status['connection']): void;
  setStartAtLogin(on: boolean): void;
  setNotifications(on: boolean): void;
  quit(): void;
}

export function trayIconState(state: Pick<TrayState, 'link' | 'status'>): TrayIconState {
  const { status } = state;
  if (state.link.state !== 'up' || !status || status.connection === 'down') return 'offline';
  if (status.base.state === 'connected') return 'connected';
  // Peers that answer directly (on the LAN, or through a hole punched earlier) need no base server.
  if (countPeers(status.peers).direct > 0) return 'connected';
  return status.base.state === 'offline' ? 'offline' : 'connecting';
}

export function trayTooltip(state: TrayState): string {
  const { status } = state;
  if (!status || state.link.state !== 'up')
    return `hnet: ${state.link.state === 'up' ? 'starting' : 'not running'}`;
  if (status.connection === 'down') return 'hnet: disconnected';
  const server = status.base.state === 'unreachable' ? 'server unreachable, direct peers keep working' : '';
  return `hnet: ${server || trayIconState(state)} — ${peerSummary(status.peers)}`;
}

export function trayMenu(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const { status } = state;
  const items: MenuItemConstructorOptions[] = [
    { label: 'Open hnet', click: () => actions.open() },
    { type: 'separator' },
  ];
  const live = status && state.link.state === 'up' ? status : undefined;
  if (live) {
    items.push(
      { label: `${live.hostname}`, enabled: false },
      { label: `${live.address}  (click to copy)`, click: () => actions.copy(live.address) },
      { label: peerSummary(live.peers), click: () => actions.open('peers') },
    );
  } else {
    items.push({
      label: state.link.state === 'up' ? 'Starting…' : `Not running: ${state.link.reason}`,
      enabled: false,
    });
  }
  items.push(
    { type: 'separator' },
    {
      label: 'Networks',
      submenu: [
        { label: 'Join a network…', click: () => actions.open('networks') },
        { label: 'Set up server…', click: () => actions.open('server') },
      ],
    },
    { type: 'separator' },
  );
  // Without a running engine there is nothing to connect; the item says what it would do.
  if (!live) items.push({ label: 'Connect', enabled: false });
  else if (live.connection === 'up')
    items.push({ label: 'Disconnect', click: () => actions.setConnection('down') });
  else items.push({ label: 'Connect', click: () => actions.setConnection('up') });
  items.push(
    { type: 'separator' },
    {
      label: 'Start at login',
      type: 'checkbox',
      checked: state.startAtLogin,
      click: () => actions.setStartAtLogin(!state.startAtLogin),
    },
    {
      label: 'Notify when peers connect or drop',
      type: 'checkbox',
      checked: state.notifications,
      click: () => actions.setNotifications(!state.notifications),
    },
    { type: 'separator' },
    { label: state.hosted ? 'Quit (stops the network)' : 'Quit', click: () => actions.quit() },
  );
  return items;
}
