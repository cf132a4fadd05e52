// What answers the UI's calls, whichever way they arrive (Electron IPC or browser-mode WebSocket):
// every request is checked against `bridgeCalls` before anything runs, then engine calls go over
// the engine link and shell calls to the shell's own handlers.
import { errorText, failure } from '../contract/errors.js';
import type { EngineLink } from './engine-link.js';
import {
  checkBridgeRequest,
  isEngineCall,
  type BridgeEvent,
  type BridgeOutcome,
  type BridgeParams,
  type BridgeResult,
  type ShellBridgeCall,
} from '../contract/ui-bridge.js';

export type ShellHandlers = {
  [K in ShellBridgeCall]: (params: BridgeParams<K>) => Promise<BridgeOutcome<BridgeResult<K>>>;
};

export interface BridgeBackend {
  /** Takes untrusted input: `name` and `params` come straight from the renderer or a socket. */
  call(name: unknown, params: unknown): Promise<BridgeOutcome<unknown>>;
  onEvent(listener: (event: BridgeEvent) => void): () => void;
  replay(): BridgeEvent[];
}

export function createBridgeBackend(link: EngineLink, shell: ShellHandlers): BridgeBackend {
  return {
    async call(name, params) {
      const request = checkBridgeRequest(name, params);
      if (!request.ok) return failure('BadParams', request.error);
      const { name: call, params: checked } = request.value;
      try {
        if (isEngineCall(call)) return await link.call(call, checked as never);
        const handler = shell[call] as (p: unknown) => Promise<BridgeOutcome<unknown>>;
        return await handler(checked);
      } catch (error) {
        return failure('Internal', `hnet failed while handling ${call}: ${errorText(error)}`);
      }
    },
    onEvent: (listener) => link.onEvent(listener),
    replay: () => link.replay(),
  };
}
