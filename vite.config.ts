// Vite builds the widget (`vite build`: one self-contained ES module, worker and styles inlined) and serves
// the demo over HTTPS (`vite`: demo/ as the root, the widget imported from source).
import basicSsl from '@vitejs/plugin-basic-ssl';
import { defineConfig } from 'vite';

export default defineConfig(({ command }) => ({
  root: command === 'serve' ? 'demo' : '.',
  plugins: command === 'serve' ? [basicSsl()] : [],
  server: {
    // Listen on every loopback name: the demo's "third-party" page is the same server on another host name.
    host: true,
    port: 5173,
    strictPort: false,
    fs: { allow: ['.'] },
  },
  worker: { format: 'es' },
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    target: 'es2022',
    // Map files for debugging, but no sourceMappingURL comments (the inlined worker's would point nowhere).
    sourcemap: 'hidden',
    minify: true,
    // The bundle must work when imported from any origin: no extra chunks, no asset files.
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    lib: {
      entry: 'widget/index.ts',
      formats: ['es'],
      fileName: () => 'avatar-editor.js',
    },
    // Lib mode keeps whitespace in ES output; this file is served to browsers as is, so minify it fully.
    rolldownOptions: { output: { codeSplitting: false, minify: true } },
  },
}));
