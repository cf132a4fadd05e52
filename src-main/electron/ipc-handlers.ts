// Main-side IPC: the three channels of ipc-channels.ts, each refusing any sender but the top
// frame of one of our own windows showing our own page. Arguments are then checked against
// `bridgeCalls` by the backend before anything runs. Electron objects are passed in (only their
// types are imported), so all of this is tested under plain Node.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Logger } from '../engine/client.js';
import type { BridgeBackend } from '../ui-host/bridge-backend.js';
import { ipcChannels } from './ipc-channels.js';
import type { BridgeEvent, BridgeOutcome } from '../contract/ui-bridge.js';

/** Where our pages load from (main.ts registers the app:// protocol). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hnet';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export type SenderEvent = Pick<IpcMainInvokeEvent, 'senderFrame'> & { sender: Pick<WebContents, 'id'> };

/**
 * The call must come from a window we opened (by its webContents id), from its top frame (no
 * iframe, not even our own), and that frame must show our page, not something it navigated to.
 */
export function isTrustedSender(event: SenderEvent, trustedContents: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame || !trustedContents.has(event.sender.id) || frame.parent !== null) return false;
  try {
    // Compared by parts: URL.origin is "null" for a scheme Node does not know.
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export interface IpcHandlerOptions {
  backend: BridgeBackend;
  /** webContents ids of the windows we created; the set may grow and shrink. */
  trustedContents: ReadonlySet<number>;
  log: Logger;
}

const refused: BridgeOutcome<never> = {
  ok: false,
  error: { kind: 'NotPermitted', message: 'this page may not use hnet' },
};

/** Registers the handlers; the returned function removes them. */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  options: IpcHandlerOptions,
): () => void {
  const { backend, trustedContents, log } = options;
  const guard = (event: SenderEvent, channel: string): boolean => {
    if (isTrustedSender(event, trustedContents)) return true;
    log.warn('ipc-refused', { channel, sender: event.sender.id, url: event.senderFrame?.url ?? null });
    return false;
  };
  ipcMain.handle(ipcChannels.call, (event, name: unknown, params: unknown) =>
    guard(event, ipcChannels.call) ? backend.call(name, params) : refused,
  );
  ipcMain.handle(ipcChannels.replay, (event): BridgeEvent[] =>
    guard(event, ipcChannels.replay) ? backend.replay() : [],
  );
  return () => {
    ipcMain.removeHandler(ipcChannels.call);
    ipcMain.removeHandler(ipcChannels.replay);
  };
}

/** Pushes every engine event to the windows we trust. */
export function forwardEvents(
  backend: BridgeBackend,
  windows: () => Iterable<Pick<WebContents, 'id' | 'send' | 'isDestroyed'>>,
): () => void {
  return backend.onEvent((event) => {
    for (const contents of windows()) if (!contents.isDestroyed()) contents.send(ipcChannels.event, event);
  });
}
