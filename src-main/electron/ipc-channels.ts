// Electron IPC channel names, used only by the preload bridge and the main-side handlers. Kept
// apart from contract/ui-bridge.ts so the sandboxed preload bundle carries no validators or engine code.
export const ipcChannels = {
  /** invoke(name, params) → BridgeOutcome */
  call: 'hnet:call',
  /** main → renderer: BridgeEvent */
  event: 'hnet:event',
  /** invoke() → BridgeEvent[]: the present, asked for once the renderer listens. */
  replay: 'hnet:replay',
} as const;
