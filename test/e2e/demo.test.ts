// The demo host app as a newcomer first sees it (issue 18 §1.2): Vite serves demo/ (the widget from source) against
// a real server; the page signs in with the dev-mode token route, setting token and endpoint after the elements
// are in the page. Its first screen shows no error and fires no avatar-error, and in dark mode the page around
// the widgets is dark too.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/chromium.mjs';
import { startServer, type RunningServer } from '../helpers/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the demo', { timeout: 60_000 }, () => {
  let server: RunningServer;
  let vite: ViteDevServer;
  let demoUrl = '';
  let browser: Browser;

  before(async () => {
    server = await startServer({ env: { AVATAR_LOG_LEVEL: 'info' } });
    process.env.VITE_AVATAR_SERVER = server.url;
    vite = await createServer({ configFile: join(root, 'vite.config.ts'), logLevel: 'error', server: { port: 0, host: '127.0.0.1', strictPort: false } });
    await vite.listen();
    demoUrl = vite.resolvedUrls!.local[0]!;
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 20_000 });
  });

  after(async () => {
    await browser?.close();
    await vite?.close();
    delete process.env.VITE_AVATAR_SERVER;
    await server?.stop();
  });

  test('offline (issue 18 §1.6): the editor says the browser is offline, not that the service is not answering', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(demoUrl);
    await page.locator('#editor [part~="choose"]').waitFor();
    await context.setOffline(true);
    // The host points the editor at its server again (as after signing in): it loads the current avatar anew.
    await page.evaluate(() => {
      const editor = document.querySelector('#editor') as HTMLElement & { endpoint: string };
      editor.endpoint = `${editor.endpoint}/`;
    });
    const status = page.locator('#editor [part="status"]');
    await status.filter({ hasText: /\S/ }).waitFor();
    assert.equal((await status.textContent())!.trim(), 'You are offline. Check your connection.');
    assert.equal(await page.locator('#editor [part~="retry"]').count(), 1, 'Try again is offered');
    await context.setOffline(false);
    await page.locator('#editor [part~="retry"]').click();
    await page.locator('#editor [part~="retry"]').waitFor({ state: 'detached' });
    await status.filter({ hasText: /^\s*$/ }).waitFor();
    await context.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`first screen (${colorScheme}): signed in, no error shown, no avatar-error, the page follows the scheme`, async () => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, colorScheme, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.addInitScript(() => {
        (window as unknown as { widgetErrors: unknown[] }).widgetErrors = [];
        document.addEventListener('avatar-error', (event) => (window as unknown as { widgetErrors: unknown[] }).widgetErrors.push((event as CustomEvent).detail));
      });
      await page.goto(demoUrl);
      await page.locator('#who', { hasText: 'alice' }).waitFor();
      // Signed in: the emote panel has loaded the user's quota, the avatar editor its picker.
      await page.locator('#emotes [part="quota"]').waitFor();
      await page.locator('#editor [part~="choose"]').waitFor();
      assert.deepEqual(await page.evaluate(() => (window as unknown as { widgetErrors: unknown[] }).widgetErrors), []);
      const statuses = await page.locator('avatar-editor [part="status"]').allTextContents();
      assert.deepEqual(statuses.map((text) => text.trim()), ['', ''], 'no status line says anything on the first screen');
      assert.equal(await page.locator('#log li', { hasText: 'avatar-error' }).count(), 0);

      // What the user sees at the page's edge, away from every panel: the page's own background.
      const png = await page.screenshot();
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
      const lightness = Math.max(...at(info.width - 3, info.height - 3));
      if (colorScheme === 'dark') assert.ok(lightness < 80, `the page is dark around the widgets: ${at(info.width - 3, info.height - 3)}`);
      else assert.ok(lightness > 200, `the page is light: ${at(info.width - 3, info.height - 3)}`);
      await context.close();
    });
  }
});
