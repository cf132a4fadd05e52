// What the tray shows, as data: its icon state and its menu, built from the engine's status. Pure
// (Electron's menu type only), so every line a user reads in the tray is unit-tested.
import type { MenuItemConstructorOptions } from 'electron';
import type { Status } from '../engine/status.js';
import type { LinkState, UiView } from './ipc-schema.js';
import { peerSummary } from './peer-paths.js';

export type TrayIconState = 'connected' | 'connecting' | 'offline';

export interface TrayState {
  link: LinkState;
  status: Status | undefined;
  /** Whether this app hosts the engine (it can then connect and disconnect it). */
  hosted: boolean;
  running: boolean;
  startAtLogin: boolean;
  notifications: boolean;
}

export interface TrayActions {
  open(view?: UiView): void;
  copy(text: string): void;
  setRunning(run: boolean): void;
  setStartAtLogin(on: boolean): void;
  setNotifications(on: boolean): void;
  quit(): void;
}

export function trayIconState(state: Pick<TrayState, 'link' | 'status' | 'running'>): TrayIconState {
  if (state.link.state !== 'up' || !state.status || !state.running) return 'offline';
  if (state.status.base.state === 'connected') return 'connected';
  // Peers found on the LAN count as connected even without a base server.
  if (state.status.peers.some((p) => p.path === 'direct')) return 'connected';
  return state.status.base.state === 'connecting' ? 'connecting' : 'offline';
}

export function trayTooltip(state: TrayState): string {
  const icon = trayIconState(state);
  if (!state.status || state.link.state !== 'up')
    return `hnet: ${state.link.state === 'up' ? 'starting' : 'not running'}`;
  return `hnet: ${icon} — ${peerSummary(state.status.peers)}`;
}

export function trayMenu(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const { status } = state;
  const items: MenuItemConstructorOptions[] = [
    { label: 'Open hnet', click: () => actions.open() },
    { type: 'separator' },
  ];
  if (status && state.link.state === 'up') {
    items.push(
      { label: `${status.hostname}`, enabled: false },
      { label: `${status.address}  (click to copy)`, click: () => actions.copy(status.address) },
      { label: peerSummary(status.peers), click: () => actions.open('peers') },
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
  if (state.hosted)
    items.push(
      state.running
        ? { label: 'Disconnect', click: () => actions.setRunning(false) }
        : { label: 'Connect', click: () => actions.setRunning(true) },
    );
  else items.push({ label: 'Connect/Disconnect: managed by the hnetd service', enabled: false });
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
