// The one main window: created on demand, hidden (not destroyed) on close so the network and the
// tray keep running, locked down so it can show only our own page.
import { BrowserWindow } from 'electron';
import { fileURLToPath } from 'node:url';
import { ipcChannels } from './ipc-channels.js';
import { APP_ORIGIN } from './ipc-handlers.js';
import type { BridgeEvent, UiView } from '../contract/ui-bridge.js';

const preload = fileURLToPath(new URL('./preload.cjs', import.meta.url));

export class WindowController {
  private window: BrowserWindow | undefined;
  private quitting = false;
  /** webContents ids of our windows, for the IPC sender check. */
  readonly trustedContents = new Set<number>();

  /** `icon`: the app icon for the window (taskbar, Alt-Tab), when the build has one. */
  constructor(private readonly icon: string | undefined) {}

  /** Shows the window (creating it if needed), optionally on one view. */
  show(view?: UiView): void {
    const window = this.window ?? this.create();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (view) this.send({ event: 'show', view });
  }

  contents(): Electron.WebContents[] {
    return this.window && !this.window.isDestroyed() ? [this.window.webContents] : [];
  }

  /** From now on, closing the window really closes it (Quit). */
  allowClose(): void {
    this.quitting = true;
  }

  private send(event: BridgeEvent): void {
    for (const contents of this.contents()) contents.send(ipcChannels.event, event);
  }

  private create(): BrowserWindow {
    const window = new BrowserWindow({
      width: 1100,
      height: 720,
      show: false,
      title: 'hnet',
      ...(this.icon ? { icon: this.icon } : {}),
      autoHideMenuBar: true,
      webPreferences: {
        preload,
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    const id = window.webContents.id;
    this.trustedContents.add(id);
    window.on('close', (event) => {
      // Closing the window keeps the network up; Quit is in the tray.
      if (this.quitting) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      this.trustedContents.delete(id);
      this.window = undefined;
    });
    void window.loadURL(`${APP_ORIGIN}/index.html`);
    this.window = window;
    return window;
  }
}
