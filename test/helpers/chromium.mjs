// The Chrome or Chromium that the widget tests, the end-to-end tests and the browser benchmark launch, and the
// flags that work on the CI machines. No browser is ever downloaded: one installed on the machine is found.
// `node test/helpers/chromium.mjs` prints the one found, or what to install (npm test checks this first).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Names looked up on the PATH, in this order (Debian's package, Ubuntu's and Fedora's, Google's). */
export const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Where the macOS applications keep their executables, in this order. */
export const MAC_APPS = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export const NOT_FOUND_MESSAGE =
  'No Chrome or Chromium found: install one (Debian/Ubuntu: `apt-get install chromium`; macOS: Google Chrome, or `brew install --cask chromium`) or set CHROME_PATH to its executable.';

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The browser's executable: CHROME_PATH (which must then be one), else the first of PATH_NAMES on the PATH, else
 * the first of `macApps` that exists; null when there is none.
 */
export function findChromium({ env = process.env, macApps = MAC_APPS } = {}) {
  if (env.CHROME_PATH) {
    if (isExecutableFile(env.CHROME_PATH)) return env.CHROME_PATH;
    throw new Error(`CHROME_PATH=${env.CHROME_PATH} is not an executable file. ${NOT_FOUND_MESSAGE}`);
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of PATH_NAMES) {
    for (const dir of dirs) {
      if (isExecutableFile(join(dir, name))) return join(dir, name);
    }
  }
  return macApps.find(isExecutableFile) ?? null;
}

let found;

/** The browser to launch; throws NOT_FOUND_MESSAGE when there is none. */
export function chromiumPath() {
  found ??= findChromium();
  if (!found) throw new Error(NOT_FOUND_MESSAGE);
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(`# browser for the tests: ${chromiumPath()}`);
  } catch (error) {
    console.error(error.message);
    process.exitCode = 1;
  }
}
