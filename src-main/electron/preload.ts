// Runs in the sandboxed renderer before the page; bundled to preload.cjs (vite.preload.config.ts)
// because a sandboxed preload cannot load modules of its own.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './preload-bridge.js';

contextBridge.exposeInMainWorld('hnet', createPreloadBridge(ipcRenderer));
