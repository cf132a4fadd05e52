// The renderer's only way out: the bridge its host provides. Electron's preload puts one on
// `window.hnet`; in a browser the page opens a WebSocket back to the engine that served it.
import type { BridgeOutcome, HnetBridge } from '../../../src-main/contract/ui-bridge.js';
import { connectSocketBridge } from './socket-bridge.js';

export interface UiBridge extends HnetBridge {
  copyText(text: string): Promise<BridgeOutcome<unknown>>;
}

declare global {
  interface Window {
    hnet?: HnetBridge;
  }
}

export function chooseBridge(): UiBridge {
  const electron = window.hnet;
  if (electron) return { ...electron, copyText: (text) => electron.call('clipboard.copy', { text }) };
  const socket = connectSocketBridge(window.location.origin);
  return {
    ...socket,
    copyText: async (text) => {
      try {
        await navigator.clipboard.writeText(text);
        return { ok: true, value: undefined };
      } catch {
        return {
          ok: false,
          error: {
            kind: 'NotAvailable',
            message: 'the browser did not allow copying; select the text instead',
          },
        };
      }
    },
  };
}
