// The bridge the preload script hands to the renderer through contextBridge: three fixed channels
// and nothing else of ipcRenderer, so page script cannot send arbitrary IPC. Takes ipcRenderer as
// an argument so it is tested without Electron.
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { ipcChannels } from './ipc-channels.js';
import type { BridgeEvent, BridgeOutcome, HnetBridge } from '../contract/ui-bridge.js';

export type PreloadIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function createPreloadBridge(ipc: PreloadIpc): HnetBridge {
  return {
    call: (name, params) => ipc.invoke(ipcChannels.call, name, params) as Promise<BridgeOutcome<never>>,
    onEvent(listener) {
      const forward = (_event: IpcRendererEvent, event: BridgeEvent) => listener(event);
      ipc.on(ipcChannels.event, forward);
      void (ipc.invoke(ipcChannels.replay) as Promise<BridgeEvent[]>).then((events) =>
        events.forEach(listener),
      );
      return () => void ipc.removeListener(ipcChannels.event, forward);
    },
  };
}
