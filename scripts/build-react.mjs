// dist/widget/react.js for `import … from 'avatar-editor/react'` (npm run build, after vite build): widget/react.ts
// with its import of the widget's entry pointing at the one-script-tag bundle beside it (./avatar-editor.js), so a
// page holds one copy of the elements, and with `react` and `@lit/react` left to the host app's bundler.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['widget/react.ts'],
  outfile: 'dist/widget/react.js',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  external: ['react', '@lit/react'],
  plugins: [
    {
      name: 'widget-bundle',
      setup(builder) {
        builder.onResolve({ filter: /^\.\/index\.ts$/ }, () => ({ path: './avatar-editor.js', external: true }));
      },
    },
  ],
  logLevel: 'warning',
});
