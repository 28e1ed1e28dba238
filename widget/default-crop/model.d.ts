// The face detector's model, imported with Vite's `?inline`: the file's bytes as a data: URL string, inside the
// default-crop chunk (web-test-runner.config.mjs serves the same import as a module exporting that string).
declare module '*.tflite?inline' {
  const dataUrl: string;
  export default dataUrl;
}
