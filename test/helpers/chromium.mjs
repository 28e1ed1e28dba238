// Debian's Chromium and the launch flags that work on the CI machines (no browser is ever downloaded).
// Shared by web-test-runner.config.mjs, the end-to-end tests and the browser benchmark.
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
