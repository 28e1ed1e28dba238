// End to end: a hosted editor session (POST /v1/admin/sessions) in Chrome or Chromium. A host page on an allowed
// origin frames the session URL; the editor opens on the user's existing avatar, the user saves a new photo, and
// the host window hears {type: "avatar-changed", detail} from the avatar server's origin, then the frame goes to
// return_url. An avatar still processing is shown as progress first; a popup tells its opener the same way. A page
// on an origin that is not allowed cannot frame the editor at all.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { jpeg } from '../fixtures/images.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/chromium.mjs';
import { serverStorageEnv, startS3Server, type RunningS3 } from '../helpers/s3-server.ts';
import { api, startServer, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';
import { viteBuild } from '../helpers/vite-build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundlePath = join(root, 'dist', 'widget', 'avatar-editor.js');

interface HostMessage {
  origin: string;
  data: { type: string; detail: { file_id: string; user_id: string | null; version: number; url: string; urls: Record<string, string>; source: string } };
}
declare global {
  interface Window {
    messages: HostMessage[];
  }
}

/** Newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The host site: frames the session URL and records every message it gets. */
const hostHtml = (sessionUrl: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,">
<script>
  window.messages = [];
  window.addEventListener('message', (event) => window.messages.push({ origin: event.origin, data: event.data }));
</script></head>
<body><h1>Account settings</h1><iframe src="${sessionUrl}" width="900" height="1000" title="Avatar editor"></iframe></body></html>`;

// On the default storage (a folder served by the server itself), and on S3 (an s3rver bucket that the browser loads
// the current avatar from and uploads to directly: the page's CSP must name it).
for (const storage of ['folder', 's3'] as const) describe(`hosted editor sessions in Chromium (${storage})`, { timeout: 90_000 }, () => {
  let server: RunningServer;
  let s3: RunningS3 | null = null;
  let hostServer: Server;
  let port = 0;
  let allowedOrigin = '';
  let html = '';
  let browser: Browser;
  let staleBuild = false;
  const admin = () => ({ authorization: `Bearer ${server.adminKey}` });

  before(async () => {
    if (!existsSync(bundlePath)) await viteBuild();
    else if (newestMtime(join(root, 'widget')) > statSync(bundlePath).mtimeMs) staleBuild = true;

    // One host server, two origins: 127.0.0.1 is allowed, localhost (same port) is not.
    hostServer = createServer((req, res) => {
      if (req.url === '/host') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
      } else if (req.url?.startsWith('/done')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Done</title><p id="done">Back on the host</p>');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    port = (hostServer.address() as AddressInfo).port;
    allowedOrigin = `http://127.0.0.1:${port}`;
    // The bucket lets the editor page (on the avatar server's origin) upload and read, as a real bucket's CORS must.
    s3 = storage === 's3' ? await startS3Server({ bucket: 'avatars', corsOrigins: ['*'] }) : null;
    const storageEnv = s3 ? serverStorageEnv(s3, s3.bucket) : { AVATAR_STORAGE: 'local' };
    server = await startServer({ env: { AVATAR_ALLOWED_ORIGINS: allowedOrigin, AVATAR_LOG_LEVEL: 'info', ...storageEnv } });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 20_000 });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (hostServer ? hostServer.close(() => resolve()) : resolve()));
    await server?.stop();
    await s3?.stop();
  });

  async function openHost(sessionUrl: string, origin = allowedOrigin): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    html = hostHtml(sessionUrl);
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    await page.goto(`${origin}/host`);
    return { context, page, problems };
  }

  /** The frame showing `url`'s page. */
  async function frameOf(page: Page, url: string): Promise<Frame> {
    await page.waitForFunction(() => document.querySelector('iframe') !== null);
    for (;;) {
      const frame = page.frames().find((f) => f.url() === url);
      if (frame) return frame;
      await page.waitForEvent('framenavigated');
    }
  }

  /** A user whose avatar is a ready photo, made through the backend-only flow (POST /v1/admin/avatars/new). */
  async function userWithAvatar(userId: string) {
    const link = (await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin(), json: { user_id: userId } })).json;
    const put = await api(server, 'PUT', link.upload_url, { body: new Uint8Array(await jpeg(400, 400)), headers: { 'content-type': 'image/jpeg' } });
    assert.equal(put.status, 202, put.text);
    assert.equal((await waitForFile(server, userToken(server, userId), link.file_id)).processing_state, 'ready');
    return (await api(server, 'GET', '/v1/users/me', { token: userToken(server, userId) })).json;
  }

  test('framed on an allowed origin: opens on the existing avatar, a saved photo is posted to the host, then return_url', async (t) => {
    if (staleBuild) t.diagnostic('dist/widget/avatar-editor.js is older than widget/: this tests the old build (run `npm run build`)');
    const userId = 'session-e2e';
    const before = await userWithAvatar(userId);
    const session = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: userId, type: 'edit-existing', return_url: `${allowedOrigin}/done?saved=1` } })).json;
    const { context, page, problems } = await openHost(session.url);
    try {
      const frame = await frameOf(page, session.url);
      // The editor shows the user's current avatar.
      const current = frame.locator('avatar-editor [part~="current-image"]');
      await current.waitFor({ state: 'visible' });
      assert.equal(await current.getAttribute('src'), before.avatar.urls['256']);
      if (s3) assert.ok(before.avatar.urls['256'].startsWith(`${s3.endpoint}/`), 'served from the bucket');
      // Rendered, not just placed: a CSP that does not name the bucket makes it a broken image.
      assert.ok((await current.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))) > 0);

      await frame.locator('avatar-editor [part~="choose"] input[type="file"]').setInputFiles({ name: 'new.jpg', mimeType: 'image/jpeg', buffer: await jpeg(800, 600) });
      await frame.locator('avatar-editor [part="cropper"]').waitFor({ state: 'visible' });
      // The built bundle draws the crop view: the image is placed under the window (its transform set).
      await frame.waitForFunction(() => {
        const area = document.querySelector('avatar-editor')?.shadowRoot?.querySelector('avatar-crop-area');
        return (area?.shadowRoot?.querySelector('cropper-image') as HTMLElement | null)?.style.transform.startsWith('matrix');
      });
      await frame.locator('avatar-editor [part~="save"]').click();

      await page.waitForFunction(() => window.messages.length > 0, undefined, { timeout: 45_000 });
      const messages = await page.evaluate(() => window.messages);
      assert.equal(messages.length, 1, JSON.stringify(messages));
      const [message] = messages;
      assert.equal(message!.origin, new URL(server.url).origin, 'posted by the avatar server page');
      assert.equal(message!.data.type, 'avatar-changed');
      const { detail } = message!.data;
      assert.equal(detail.user_id, userId);
      assert.notEqual(detail.file_id, before.avatar.file_id);
      assert.ok(detail.version > before.avatar.version);
      assert.ok(Object.values(detail.urls).includes(detail.url));
      const now = (await api(server, 'GET', '/v1/users/me', { token: userToken(server, userId) })).json;
      assert.equal(now.avatar.file_id, detail.file_id, 'the message tells the truth');

      // Then the frame goes to return_url.
      await page.waitForFunction((origin) => {
        const frame = document.querySelector('iframe');
        try {
          return frame?.contentWindow?.location.href.startsWith(`${origin}/done`);
        } catch {
          return false; // still on the avatar server's origin
        }
      }, allowedOrigin);
      assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/i.test(p)), [], 'nothing was blocked by the page CSP');
    } finally {
      await context.close();
    }
  });

  test('in the language of the browser, or the one the host asked for', async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const german = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: `session-e2e-de-${storage}`, type: 'create' } })).json;
      await page.goto(german.url);
      await page.locator('body[data-phase="editing"]').waitFor({ state: 'attached' });
      assert.equal(await page.locator('html').getAttribute('lang'), 'de-DE');
      assert.equal(await page.locator('h1').textContent(), 'Profilbild auswählen');
      assert.match((await page.locator('avatar-editor [part~="choose"]').first().textContent()) ?? '', /Foto auswählen/);

      const french = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: `session-e2e-fr-${storage}`, type: 'create', locale: 'fr' } })).json;
      await page.goto(french.url);
      await page.locator('body[data-phase="editing"]').waitFor({ state: 'attached' });
      assert.equal(await page.locator('h1').textContent(), 'Choisir votre avatar');
      assert.match((await page.locator('avatar-editor [part~="choose"]').first().textContent()) ?? '', /Choisir une photo/);
    } finally {
      await context.close();
    }
  });

  // What follows does not depend on where the objects are: once is enough.
  if (storage === 's3') return;

  test('an avatar still processing is shown as progress, then the editor opens on the result', async () => {
    const userId = 'session-e2e-processing';
    await userWithAvatar(userId);
    const session = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: userId, type: 'edit-existing' } })).json;
    // The first look at /v1/users/me says "processing"; the next ones wait until the test has seen the progress.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    html = hostHtml(session.url);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await context.route(`${server.url}/v1/users/me`, async (route) => {
        if (route.request().method() !== 'GET') return route.continue();
        if (++calls === 1) {
          const real = await route.fetch();
          return route.fulfill({ response: real, json: { ...(await real.json()), avatar_processing: true } });
        }
        await released;
        return route.continue();
      });
      await page.goto(`${allowedOrigin}/host`);
      const frame = await frameOf(page, session.url);
      await frame.locator('body[data-phase="processing"]').waitFor({ state: 'attached' });
      assert.equal(await frame.locator('#progress').isVisible(), true);
      assert.match((await frame.locator('#status').textContent()) ?? '', /being processed/);
      assert.equal(await frame.locator('avatar-editor').count(), 0, 'the editor waits for the result');
      release();
      await frame.locator('body[data-phase="editing"]').waitFor({ state: 'attached' });
      assert.match((await frame.locator('#status').textContent()) ?? '', /ready/);
      await frame.locator('avatar-editor [part~="current-image"]').waitFor({ state: 'visible' });
      assert.ok(calls >= 2, 'polled again after the first answer');
    } finally {
      await context.close();
    }
  });

  test('opened as a popup for a user without an avatar: an empty editor, and the opener hears about the save', async () => {
    const userId = 'session-e2e-popup';
    const session = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: userId, type: 'edit-existing' } })).json;
    html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,">
<script>
  window.messages = [];
  window.addEventListener('message', (event) => window.messages.push({ origin: event.origin, data: event.data }));
</script></head><body><button id="open">Change avatar</button>
<script>document.getElementById('open').addEventListener('click', () => window.open(${JSON.stringify(session.url)}, 'avatar-editor', 'popup'));</script></body></html>`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${allowedOrigin}/host`);
      const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#open')]);
      popup.setDefaultTimeout(20_000);
      await popup.locator('body[data-phase="editing"]').waitFor({ state: 'attached' });
      await popup.locator('avatar-editor [part~="choose"]').first().waitFor({ state: 'visible' });
      assert.equal(await popup.locator('avatar-editor [part~="current-image"]').count(), 0, 'nothing to show yet');

      await popup.locator('avatar-editor [part~="choose"] input[type="file"]').setInputFiles({ name: 'first.jpg', mimeType: 'image/jpeg', buffer: await jpeg(600, 600) });
      await popup.locator('avatar-editor [part="cropper"]').waitFor({ state: 'visible' });
      await popup.locator('avatar-editor [part~="save"]').click();
      await page.waitForFunction(() => window.messages.length > 0, undefined, { timeout: 45_000 });
      const [message] = await page.evaluate(() => window.messages);
      assert.equal(message!.origin, new URL(server.url).origin);
      assert.equal(message!.data.type, 'avatar-changed');
      assert.equal(message!.data.detail.user_id, userId);
      assert.equal((await api(server, 'GET', '/v1/users/me', { token: userToken(server, userId) })).json.avatar.file_id, message!.data.detail.file_id);
      assert.equal(new URL(popup.url()).pathname, new URL(session.url).pathname, 'without return_url the editor stays');
    } finally {
      await context.close();
    }
  });

  test('an origin that is not allowed cannot frame the editor', async () => {
    const session = (await api(server, 'POST', '/v1/admin/sessions', { headers: admin(), json: { user_id: 'session-e2e-framed', type: 'create' } })).json;
    const res = await api(server, 'GET', new URL(session.url).pathname);
    assert.match(res.headers.get('content-security-policy') ?? '', new RegExp(`frame-ancestors ${allowedOrigin}(;|$)`));

    const blockedOrigin = `http://localhost:${port}`;
    const { context, page, problems } = await openHost(session.url, blockedOrigin);
    try {
      await page.waitForFunction(() => document.querySelector('iframe') !== null);
      // Chromium reports the refusal (in the host page's console) and shows an error page in the frame instead.
      const refusal = await waitUntil(async () => problems.find((p) => /frame-ancestors/.test(p)), 'Chromium to refuse the frame', 10_000);
      assert.match(refusal, /violates the following Content Security Policy directive: "frame-ancestors http:\/\/127\.0\.0\.1:\d+"/);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, 'the frame exists');
      assert.equal(frame.url(), 'chrome-error://chromewebdata/', 'the frame shows the error page, not the editor');
      assert.equal(await frame.evaluate(() => document.querySelectorAll('avatar-editor').length), 0, 'no editor in the refused frame');
      assert.deepEqual(await page.evaluate(() => window.messages), []);
    } finally {
      await context.close();
    }
  });
});
