// End to end: a developer opens /docs of a real server in dev mode, in Chromium driven by playwright-core. Every
// request the page makes stays on the server's origin, the Content-Security-Policy is never violated, and the
// developer gets a dev token and tries GET /v1/users/me with it from the page, as they would: two clicks on Execute.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/chromium.mjs';
import { startServer, type RunningServer } from '../helpers/server.ts';

declare global {
  interface Window {
    cspViolations: string[];
  }
}

describe('/docs in a browser', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    [server, browser] = await Promise.all([startServer({ dev: true }), chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 20_000 })]);
    page = await browser.newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('loads from our origin only, under its CSP, and a dev token tries GET /v1/users/me', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.url}/docs`);
    const operation = (method: string, path: string) => page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });

    // The dev token's answer authorizes the page (docs-client.ts): no copying, no Authorize dialog.
    const devToken = operation('post', '/v1/dev/token');
    await devToken.locator('.opblock-summary').click();
    const tokenResponse = page.waitForResponse((res) => res.url() === `${server.url}/v1/dev/token` && res.request().method() === 'POST');
    await devToken.getByRole('button', { name: 'Execute' }).click();
    const { token } = await (await tokenResponse).json();
    assert.equal(typeof token, 'string');

    const me = operation('get', '/v1/users/me');
    await me.locator('.opblock-summary').click();
    const meResponse = page.waitForResponse((res) => res.url() === `${server.url}/v1/users/me`);
    await me.getByRole('button', { name: 'Execute' }).click();
    const answered = await meResponse;
    assert.equal(answered.status(), 200, await answered.text());
    assert.equal(answered.request().headers().authorization, `Bearer ${token}`);
    await me.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();

    // Swagger UI's dark styles follow the system's setting, as it changes.
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark-mode')), false);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.classList.contains('dark-mode'));

    const elsewhere = requested.filter((url) => !url.startsWith(`${server.url}/`) && !/^(data|blob):/.test(url));
    assert.deepEqual(elsewhere, [], 'every request goes to the server');
    assert.ok(requested.some((url) => /\/docs\/assets\/swagger-ui-bundle\.[0-9a-f]{16}\.js$/.test(url)), requested.join('\n'));
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    assert.deepEqual(consoleErrors, []);
  });
});
