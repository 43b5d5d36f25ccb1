import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard is built on its own (not through the root config vitest reads) into dist/web,
// which the daemon serves at /ui/. Relative asset URLs keep the bundle independent of the prefix.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
});
