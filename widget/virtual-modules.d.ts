// Modules the build makes (vite.config.ts, widgetBuildUrls; web-test-runner.config.mjs serves the same ones in tests).

/** The default-crop chunk's URL (dist/widget/chunks/default-crop-<hash>.js), known to the page without loading it. */
declare module 'virtual:default-crop-chunk-url' {
  const url: string;
  export default url;
}

/** The compact face model's URL (dist/widget/assets/face-model-<hash>.bin), next to the default-crop chunk. */
declare module 'virtual:face-model-url' {
  const url: string;
  export default url;
}
