// Bundles the preload script into one CommonJS file: Electron's sandbox gives a preload only
// `require('electron')`, so everything else it uses must be inside the bundle.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  build: {
    outDir: here('../../dist/src-main/electron'),
    emptyOutDir: false,
    minify: false,
    target: 'node20',
    lib: { entry: here('preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
