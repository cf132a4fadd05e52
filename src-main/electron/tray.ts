// The tray icon and its menu, rebuilt from every status update. What it shows is decided in
// tray-menu.ts; this file only hands that to Electron.
import { Menu, Tray, nativeImage, nativeTheme } from 'electron';
import { findAppFile } from '../ui-host/app-files.js';
import {
  trayIconState,
  trayMenu,
  trayTooltip,
  type TrayActions,
  type TrayIconState,
  type TrayState,
} from './tray-menu.js';

/** assets/tray-<state>-<light|dark>.png; "dark" is the icon for a dark panel (a light glyph). */
export function trayIconPath(state: TrayIconState, darkPanel: boolean): string {
  const name = `assets/tray-${state}-${darkPanel ? 'dark' : 'light'}.png`;
  return findAppFile(name) ?? name;
}

export class TrayController {
  private readonly tray: Tray;
  private state: TrayState;

  constructor(
    initial: TrayState,
    private readonly actions: TrayActions,
  ) {
    this.state = initial;
    this.tray = new Tray(this.image());
    // Linux panels open the menu on click; elsewhere a click opens the window.
    this.tray.on('click', () => actions.open());
    nativeTheme.on('updated', () => this.render());
    this.render();
  }

  update(change: Partial<TrayState>): void {
    this.state = { ...this.state, ...change };
    this.render();
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(): Electron.NativeImage {
    return nativeImage.createFromPath(
      trayIconPath(trayIconState(this.state), nativeTheme.shouldUseDarkColors),
    );
  }

  private render(): void {
    this.tray.setImage(this.image());
    this.tray.setToolTip(trayTooltip(this.state));
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenu(this.state, this.actions)));
  }
}
