// The browser finder's order, on real executables and PATH directories in a temp dir: CHROME_PATH, then
// chromium, chromium-browser, google-chrome on the PATH (by name first, then PATH order), then the macOS apps.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findChromium, NOT_FOUND_MESSAGE } from '../helpers/chromium.mjs';

const root = mkdtempSync(join(tmpdir(), 'avatar-chromium-finder-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file at root/relative (an executable unless told otherwise) and returns its path. */
function file(relative: string, { executable = true } = {}): string {
  const path = join(root, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, executable ? 0o755 : 0o644);
  return path;
}

const dir = (relative: string) => {
  const path = join(root, relative);
  mkdirSync(path, { recursive: true });
  return path;
};

const pathOf = (...dirs: string[]) => dirs.join(delimiter);

test('finds nothing on an empty PATH without macOS apps, and says what to install', () => {
  assert.equal(findChromium({ env: { PATH: pathOf(dir('empty')) }, macApps: [join(root, 'missing.app/Chromium')] }), null);
  assert.match(NOT_FOUND_MESSAGE, /install/);
  assert.doesNotMatch(NOT_FOUND_MESSAGE, /\n/);
});

test('takes the names in order: chromium, then chromium-browser, then google-chrome, wherever on the PATH they are', () => {
  const early = dir('order/early');
  const late = dir('order/late');
  const env = { PATH: pathOf(early, late) };
  const chrome = file('order/early/google-chrome');
  assert.equal(findChromium({ env, macApps: [] }), chrome);
  const browser = file('order/late/chromium-browser');
  assert.equal(findChromium({ env, macApps: [] }), browser);
  const chromium = file('order/late/chromium');
  assert.equal(findChromium({ env, macApps: [] }), chromium);
  // Of two of the same name, the earlier PATH entry wins.
  const earlyChromium = file('order/early/chromium');
  assert.equal(findChromium({ env, macApps: [] }), earlyChromium);
});

test('skips a name that is not an executable file', () => {
  const bin = dir('skip/bin');
  file('skip/bin/chromium', { executable: false });
  dir('skip/bin/chromium-browser'); // a directory, even with its x bit
  const chrome = file('skip/bin/google-chrome');
  assert.equal(findChromium({ env: { PATH: bin }, macApps: [] }), chrome);
});

test('falls back to the macOS applications, in order, only when the PATH has none', () => {
  const empty = dir('mac/empty-bin');
  const chromiumApp = file('mac/Chromium.app/Contents/MacOS/Chromium');
  const chromeApp = file('mac/Google Chrome.app/Contents/MacOS/Google Chrome');
  const macApps = [join(root, 'mac/Missing.app/Contents/MacOS/Missing'), chromeApp, chromiumApp];
  assert.equal(findChromium({ env: { PATH: empty }, macApps }), chromeApp);
  assert.equal(findChromium({ env: { PATH: empty }, macApps: macApps.slice(2) }), chromiumApp);
  const onPath = file('mac/bin/chromium-browser');
  assert.equal(findChromium({ env: { PATH: pathOf(empty, join(root, 'mac/bin')) }, macApps }), onPath);
});

test('CHROME_PATH comes first, and a wrong one is an error rather than a silent fallback', () => {
  const bin = dir('env/bin');
  file('env/bin/chromium');
  const chosen = file('env/custom/my-chrome');
  assert.equal(findChromium({ env: { PATH: bin, CHROME_PATH: chosen }, macApps: [] }), chosen);
  const notExecutable = file('env/custom/not-executable', { executable: false });
  assert.throws(() => findChromium({ env: { PATH: bin, CHROME_PATH: notExecutable }, macApps: [] }), /CHROME_PATH=.*not-executable is not an executable file/);
  assert.throws(() => findChromium({ env: { PATH: bin, CHROME_PATH: join(root, 'env/none') }, macApps: [] }), /is not an executable file/);
});

test('`node test/helpers/chromium.mjs` (npm test runs it first) names the browser, or fails with one line', () => {
  const helper = fileURLToPath(new URL('../helpers/chromium.mjs', import.meta.url));
  const run = (env: Record<string, string>) => spawnSync(process.execPath, [helper], { env, encoding: 'utf8' });
  const chosen = file('cli/my-chrome');
  const found = run({ PATH: dir('cli/empty'), CHROME_PATH: chosen });
  assert.equal(found.status, 0, found.stderr);
  assert.equal(found.stdout, `# browser for the tests: ${chosen}\n`);
  const missing = run({ PATH: dir('cli/empty'), CHROME_PATH: join(root, 'cli/none') });
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, `CHROME_PATH=${join(root, 'cli/none')} is not an executable file. ${NOT_FOUND_MESSAGE}\n`);
});
