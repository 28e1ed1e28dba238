// Vite builds the widget bundle and serves the demo. The widget and demo arrive with the widget issue (#4);
// until then this file only fixes where they will live.
export default {
  root: 'demo',
  build: { outDir: '../dist/demo', emptyOutDir: true },
};
