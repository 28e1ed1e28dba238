// End to end: a "third-party" page on another origin embeds the widget exactly as SPEC §5 says (one module
// script from the avatar server, one <avatar-editor token output-size>, no endpoint attribute), and Debian's
// Chromium, driven by playwright-core, picks a photo, adjusts the crop with the keyboard and saves it. The
// real server (a child process) processes the upload; the page hears avatar-changed with URLs that serve WebP.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import sharp from 'sharp';
import { CHROMIUM_ARGS, chromiumPath } from '../helpers/chromium.mjs';
import { api, fetchBytes, startServer, userToken, type RunningServer } from '../helpers/server.ts';
import { viteBuild } from '../helpers/vite-build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundlePath = join(root, 'dist', 'widget', 'avatar-editor.js');

const OUTPUT_SIZE = 512;
const PHOTO = { width: 2000, height: 1500 };
const USER_ID = 'e2e-user';

/** What the page stores on window (see the page's inline script). */
interface PageState {
  changed: Array<{ user_id: string | null; file_id: string; version: number; url: string; urls: Record<string, string>; source: string }>;
  errors: Array<{ code: string; message: string; retryable: boolean }>;
}
type Crop = { x: number; y: number; w: number; h: number };
type EditorLike = HTMLElement & { currentCrop(): Crop | null };
declare global {
  interface Window {
    embed: PageState;
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

/** A photo-like JPEG: gradients plus shapes, so the encoders have real work and crops are visibly different. */
async function makePhoto(): Promise<Buffer> {
  const { width, height } = PHOTO;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6"/><stop offset="1" stop-color="#c52"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#fd4"/>
    <rect x="100" y="100" width="300" height="200" fill="#148"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

/** A 1800×600 banner with the astronaut (test/fixtures/faces) at its right end, and her labelled face on it. */
async function bannerWithFace(): Promise<{ bytes: Buffer; face: Crop }> {
  const portrait = await sharp(join(root, 'test', 'fixtures', 'faces', 'astronaut.jpg')).resize(600, 600).toBuffer();
  const bytes = await sharp({ create: { width: 1800, height: 600, channels: 3, background: '#8ab' } }).composite([{ input: portrait, left: 1200, top: 0 }]).jpeg({ quality: 90 }).toBuffer();
  const s = 600 / 512; // the labelled face in the 512 px photo: x 175, y 62, 95 × 112
  return { bytes, face: { x: 1200 + 175 * s, y: 62 * s, w: 95 * s, h: 112 * s } };
}

/** The integration a third-party site writes: one script tag, one element, one event listener. */
function thirdPartyHtml(serverUrl: string, token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Some other site</title>
<link rel="icon" href="data:,">
<script>
  window.embed = { changed: [], errors: [] };
  document.addEventListener('avatar-changed', (event) => window.embed.changed.push(event.detail));
  document.addEventListener('avatar-error', (event) => window.embed.errors.push(event.detail));
</script>
<script type="module" src="${serverUrl}/widget/avatar-editor.js"></script>
</head>
<body>
<h1>Profile settings</h1>
<avatar-editor token="${token}" output-size="${OUTPUT_SIZE}"></avatar-editor>
</body>
</html>
`;
}

/** `url`'s origin, looking through blob: URLs (whose origin is the document that made them). */
function originOf(url: string): string {
  return new URL(url.startsWith('blob:') ? url.slice('blob:'.length) : url).origin;
}

/**
 * The text of the editor's shadow DOM (nested shadow roots included, styles left out): what a user can read.
 * Sent as source text: tsx would wrap a function's inner named helpers in a `__name` the page does not have.
 */
const VISIBLE_TEXT = `(() => {
  const texts = [];
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) texts.push(node.textContent);
      else if (node.nodeName !== 'STYLE') {
        walk(node);
        if (node.shadowRoot) walk(node.shadowRoot);
      }
    }
  };
  walk(document.querySelector('avatar-editor').shadowRoot);
  return texts.join(' ').replace(/\\s+/g, ' ');
})()`;
const visibleText = (page: Page) => page.evaluate<string>(VISIBLE_TEXT);

describe('the widget embedded on a third-party origin', { timeout: 60_000 }, () => {
  let server: RunningServer;
  let pageServer: Server;
  let pageOrigin: string;
  let html = '';
  let browser: Browser;
  let page: Page;
  const requests: Request[] = [];
  const consoleErrors: string[] = [];

  let staleBuild = false;

  before(async () => {
    if (!existsSync(bundlePath)) {
      // A missing build is made here (vite alone: the widget bundle is all this test needs).
      await viteBuild();
    } else if (newestMtime(join(root, 'widget')) > statSync(bundlePath).mtimeMs) {
      staleBuild = true; // not rebuilt here: `vite build` empties dist/widget (types, custom-elements.json)
    }
    assert.ok(existsSync(bundlePath), 'vite build did not produce dist/widget/avatar-editor.js');

    // The third-party site first, so the avatar server can be told exactly which origin it trusts.
    pageServer = createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;

    server = await startServer({ env: { AVATAR_ALLOWED_ORIGINS: pageOrigin, AVATAR_LOG_LEVEL: 'info' } });
    assert.notEqual(new URL(server.url).origin, pageOrigin);
    html = thirdPartyHtml(server.url, userToken(server, USER_ID));

    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, timeout: 20_000 });
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('request', (request) => requests.push(request));
    // Chromium's network events leave out a Blob body (the widget PUTs a Blob); an intercepted request
    // carries it. Routing the presigned PUT through untouched makes postDataBuffer() return the bytes.
    await page.route((url) => /^\/v1\/uploads\/[^/]+\/content$/.test(url.pathname), (route) => route.continue());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.stack ?? error.message}`));
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    await server?.stop();
  });

  test('pick, crop with the keyboard, save: avatar-changed arrives and the upload was a WebP of output-size', async (t) => {
    if (staleBuild) t.diagnostic('dist/widget/avatar-editor.js is older than widget/: this tests the old build (run `npm run build`)');
    const photo = await makePhoto();
    await page.goto(`${pageOrigin}/`);

    // The one script tag: served from the avatar server, readable from any origin.
    const script = requests.find((r) => r.url() === `${server.url}/widget/avatar-editor.js`);
    assert.ok(script, 'the page did not request the widget script');
    const scriptResponse = await script.response();
    assert.equal(scriptResponse?.status(), 200);
    assert.equal(scriptResponse?.headers()['access-control-allow-origin'], '*');
    assert.match(scriptResponse?.headers()['content-type'] ?? '', /javascript/);

    await page.waitForFunction(() => customElements.get('avatar-editor') !== undefined);
    // The built bundle's templates are compacted at build time (vite.config.ts): none of their delimiters may
    // leak into what users read (a stray } once did).
    await page.locator('avatar-editor [part~="choose"]').waitFor();
    assert.doesNotMatch(await visibleText(page), /[{}$`]/, 'template syntax in the editor\'s text');
    // This machine has no camera: a desktop is offered no "Take a photo" (no second file picker under that name),
    // once the editor has looked (its enumerateDevices() call came first and answers first).
    await page.evaluate(async () => {
      await navigator.mediaDevices.enumerateDevices();
      await document.querySelector<HTMLElement & { updateComplete: Promise<boolean> }>('avatar-editor')!.updateComplete;
    });
    assert.equal(await page.locator('avatar-editor [part~="camera"]').count(), 0, 'Take a photo without a camera');
    // Playwright's CSS selectors pierce open shadow roots.
    await page.locator('avatar-editor [part~="choose"] input[type="file"]').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photo });

    const cropper = page.locator('avatar-editor [part="cropper"]');
    await cropper.waitFor({ state: 'visible' });
    assert.doesNotMatch(await visibleText(page), /[{}$`]/, 'template syntax in the crop step\'s text');
    const cropBefore = await page.waitForFunction(() => document.querySelector<EditorLike>('avatar-editor')!.currentCrop()).then((h) => h.jsonValue());
    assert.ok(cropBefore, 'no crop once the image is shown');
    assert.ok(cropBefore.w > OUTPUT_SIZE, `initial crop ${JSON.stringify(cropBefore)}`);

    await cropper.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('+');
    const crop = await page.evaluate(() => document.querySelector<EditorLike>('avatar-editor')!.currentCrop());
    assert.ok(crop, 'no crop after the key presses');
    assert.notDeepEqual(crop, cropBefore, 'ArrowRight and + did not change the crop');
    assert.ok(crop.w < cropBefore.w, `zooming in should make the crop smaller in image pixels: ${JSON.stringify({ cropBefore, crop })}`);
    assert.equal(crop.w, crop.h, 'the crop is square');

    await page.locator('avatar-editor [part~="save"]').click();
    await page.waitForFunction(() => window.embed.changed.length > 0 || window.embed.errors.length > 0, undefined, { timeout: 30_000 });
    const state = await page.evaluate(() => window.embed);
    assert.deepEqual(state.errors, [], 'avatar-error fired');
    assert.equal(state.changed.length, 1);
    const detail = state.changed[0]!;
    assert.equal(detail.user_id, USER_ID);
    assert.equal(detail.source, 'upload');
    assert.ok(Object.keys(detail.urls).length > 0, 'no urls in avatar-changed');
    assert.ok(Object.values(detail.urls).includes(detail.url), 'url is one of urls');

    // Every URL the host page was given serves WebP.
    for (const [size, url] of Object.entries(detail.urls)) {
      const res = await fetchBytes(url);
      assert.equal(res.status, 200, `${size}: ${url}`);
      assert.equal(res.headers.get('content-type'), 'image/webp', `${size}: ${url}`);
      assert.equal((await sharp(res.bytes).metadata()).format, 'webp', `${size}: ${url}`);
    }

    // The bytes that went up: the presigned PUT's body, seen by the browser.
    const puts = requests.filter((r) => r.method() === 'PUT' && r.url().includes('/content?'));
    assert.equal(puts.length, 1, `PUTs: ${puts.map((r) => r.url()).join(', ')}`);
    const put = puts[0]!;
    assert.equal((await put.response())?.ok(), true, 'the PUT failed');
    const body = put.postDataBuffer();
    assert.ok(body, 'the PUT body was not recorded');
    assert.equal(body.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(body.subarray(8, 12).toString('latin1'), 'WEBP');
    const uploaded = await sharp(body).metadata();
    assert.equal(uploaded.format, 'webp');
    const expectedSide = Math.min(OUTPUT_SIZE, crop.w);
    assert.ok(uploaded.width <= OUTPUT_SIZE && uploaded.height <= OUTPUT_SIZE, `uploaded ${uploaded.width}×${uploaded.height}`);
    assert.deepEqual([uploaded.width, uploaded.height], [expectedSide, expectedSide], 'square, output-size (never upscaled)');
    assert.equal(put.headers()['content-type'], 'image/webp');
    // …and it shows the part of the photo the user chose: the same crop made with sharp matches it closely.
    const side = expectedSide;
    const [got, want] = await Promise.all([
      sharp(body).removeAlpha().raw().toBuffer(),
      sharp(photo).extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h }).resize(side, side).removeAlpha().raw().toBuffer(),
    ]);
    assert.equal(got.length, want.length);
    let difference = 0;
    for (let i = 0; i < got.length; i++) difference += Math.abs(got[i]! - want[i]!);
    const meanDifference = difference / got.length;
    assert.ok(meanDifference < 3, `the upload differs from the chosen crop by ${meanDifference.toFixed(1)}/255 per channel on average`);

    const file = await api(server, 'GET', `/v1/files/${detail.file_id}`, { token: userToken(server, USER_ID) });
    assert.equal(file.status, 200, file.text);
    assert.equal(file.json.content_type, 'image/webp');
    assert.equal(file.json.processing_state, 'ready');
    // The person's crop was drawn in the worker: the server took the square whole, as chosen.
    assert.equal(file.json.crop_source, 'user');
    assert.deepEqual(file.json.crop, { x: 0, y: 0, w: expectedSide, h: expectedSide });
    assert.equal(file.json.size_bytes, body.length);

    // The widget talked to the origin its script came from (no endpoint attribute) and nowhere else.
    const serverOrigin = new URL(server.url).origin;
    const allowed = new Set([pageOrigin, serverOrigin]);
    const elsewhere = requests.map((r) => r.url()).filter((url) => !url.startsWith('data:') && !allowed.has(originOf(url)));
    assert.deepEqual(elsewhere, [], 'requests to other origins');
    assert.ok(requests.some((r) => r.url().startsWith(`${serverOrigin}/v1/uploads`) && r.method() === 'POST'), 'no POST /v1/uploads to the script origin');

    assert.deepEqual(consoleErrors, [], 'console errors on the page');
  });

  test('emote mode loads its part of the widget from the avatar server only when shown', async () => {
    const earlier = requests.length; // the test before picked a photo, which loaded the crop step's chunk
    await page.goto(`${pageOrigin}/`);
    await page.locator('avatar-editor [part~="choose"]').waitFor();
    const chunkUrl = new RegExp(`^${server.url}/widget/chunks/[A-Za-z0-9_-]+\\.js$`);
    const chunksFetched = () => requests.slice(earlier).filter((r) => chunkUrl.test(r.url()));
    // Avatar mode fetches one chunk: the Recent list, once the user's avatar (set by the test before) is shown.
    await page.waitForFunction(() => customElements.get('avatar-recent') !== undefined);
    const recentChunk = /\/recent-avatars-[A-Za-z0-9_-]+\.js$/;
    assert.deepEqual(chunksFetched().map((r) => recentChunk.test(r.url())), [true], 'avatar mode fetched the Recent list only');

    await page.evaluate(() => document.querySelector('avatar-editor')!.setAttribute('mode', 'emote'));
    await page.waitForFunction(() => customElements.get('avatar-emote-panel') !== undefined);
    await page.locator('avatar-editor [part~="emotes"]').waitFor();
    const chunks = chunksFetched().filter((r) => !recentChunk.test(r.url()));
    assert.equal(chunks.length, 1, `chunks fetched: ${chunks.map((r) => r.url()).join(', ')}`);
    const response = await chunks[0]!.response();
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['access-control-allow-origin'], '*');
    assert.equal(response?.headers()['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(response?.headers()['content-type'] ?? '', /javascript/);
    // The chunk shares the entry's module (its lit, its styles): the entry is not fetched a second time.
    assert.equal(requests.slice(earlier).filter((r) => r.url() === `${server.url}/widget/avatar-editor.js`).length, 1, 'one load per page visit');
    assert.deepEqual(consoleErrors, [], 'console errors on the page');
  });

  test('the crop opens on the face, found in the worker by a chunk it imports from the avatar server (another origin)', async () => {
    const earlier = requests.length;
    const { bytes, face } = await bannerWithFace();
    await page.goto(`${pageOrigin}/`);
    await page.locator('avatar-editor [part~="choose"] input[type="file"]').setInputFiles({ name: 'banner.jpg', mimeType: 'image/jpeg', buffer: bytes });
    // The worker runs from a blob: URL of this page's origin: it found the face only if it imported the chunk
    // by its absolute URL on the avatar server, across origins.
    const crop = await page
      .waitForFunction((box) => {
        const crop = document.querySelector<EditorLike>('avatar-editor')!.currentCrop();
        const holds = crop && crop.x <= box.x + 1 && crop.y <= box.y + 1 && crop.x + crop.w >= box.x + box.w - 1 && crop.y + crop.h >= box.y + box.h - 1;
        return holds ? crop : null;
      }, face)
      .then((handle) => handle.jsonValue());
    assert.ok(crop && crop.w < 600, `the crop closes in on the face: ${JSON.stringify(crop)}`);
    const chunk = requests.slice(earlier).find((r) => new RegExp(`^${server.url}/widget/chunks/default-crop-[A-Za-z0-9_-]+\\.js$`).test(r.url()));
    assert.ok(chunk, 'the default-crop chunk was not fetched from the avatar server');
    assert.equal((await chunk.response())?.headers()['access-control-allow-origin'], '*');
    // …and the chunk fetched its model, binary, from next to it.
    const model = requests.slice(earlier).find((r) => new RegExp(`^${server.url}/widget/assets/face-model-[A-Za-z0-9_-]+\\.bin$`).test(r.url()));
    assert.ok(model, 'the face model was not fetched from the avatar server');
    const modelHeaders = (await model.response())?.headers() ?? {};
    assert.deepEqual(
      [modelHeaders['access-control-allow-origin'], modelHeaders['content-type'], modelHeaders['cache-control']],
      ['*', 'application/octet-stream', 'public, max-age=31536000, immutable'],
    );
    // The photo never left the page for it: no request carried it anywhere.
    assert.deepEqual(requests.slice(earlier).filter((r) => r.method() !== 'GET'), [], 'requests that could carry the photo');
    assert.deepEqual(consoleErrors, [], 'console errors on the page');
  });

  test('a phone keeps its own camera: "Take a photo" is the native capture input', async () => {
    const phone = await browser.newContext({ hasTouch: true, isMobile: true, viewport: { width: 375, height: 740 } });
    try {
      const phonePage = await phone.newPage();
      await phonePage.goto(`${pageOrigin}/`);
      const capture = phonePage.locator('avatar-editor [part~="camera"] input[type="file"]');
      await capture.waitFor({ state: 'attached' });
      assert.equal(await capture.getAttribute('capture'), 'user');
    } finally {
      await phone.close();
    }
  });
});
