// Builds the UI into src-renderer/dist, served by Electron (app://) and by browser mode alike.
// Everything is emitted as files: the Content-Security-Policy allows no inline script or style.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { designCss } from '../src-shared/design-tokens.js';

/** `import 'virtual:design.css'`: the tokens and components the dashboard uses too, as a CSS file. */
function designTokens(): Plugin {
  const id = 'virtual:design.css';
  const resolved = `\0${id}`;
  return {
    name: 'hnet-design-tokens',
    resolveId: (source) => (source === id ? resolved : undefined),
    load: (source) => (source === resolved ? designCss : undefined),
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), designTokens()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Vite's modulepreload polyfill is an inline script, which the CSP refuses.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: true,
  },
});
