// A page of 100 different avatars at 48 px on a 2× screen (issue 20 §4), in real Chromium against a real server
// process: bytes transferred for the avatars (the widget script and its chunks aside: both pages load it) and the
// time from navigation until every avatar is painted.
// - reference, today's <avatar-image>: what it rendered, an <img> of /v1/users/{id}/avatar/image?size=128 (it
//   picked the first size ≥ 48 × 2) that redirects to the WebP; sent with a WebP-only Accept, as the server
//   answered before AVIF;
// - the new <avatar-image> (dist/widget/avatar-editor.js): one lookup per user, placeholder, <picture>/srcset;
//   first view (no AVIF made yet: the WebP stands in while the server makes it) and after the AVIFs are made.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { CHROMIUM_ARGS, chromiumPath } from '../test/helpers/chromium.mjs';
import { photoLikeRgb } from './images.ts';
import { figure, round, type Figure } from './report.ts';
import { startBenchServer, type BenchServer } from './server-process.ts';
import { median } from './stats.ts';

const AVATARS = Number(process.env.BENCH_AVATARS ?? 100);
/** A page not painted by then is reported as stuck (with what it shows), not waited on for ever. */
const PAINT_TIMEOUT_MS = 60_000;
const RUNS = 3;
/** The host page's address: a node:http server on loopback (another origin than the avatar server's, as a host's is). */
let PAGE = '';
let pageHtml = '';

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

async function seedAvatars(server: BenchServer): Promise<string[]> {
  const ids = Array.from({ length: AVATARS }, (_, i) => `page-user-${i}`);
  for (let i = 0; i < ids.length; i += 10) {
    await Promise.all(
      ids.slice(i, i + 10).map(async (id, j) => {
        const side = 480;
        const raw = await photoLikeRgb(side, side, 6, 1000 + i + j);
        const body = await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
        const res = await fetch(`${server.url}/v1/users/me/avatar`, { method: 'POST', headers: { authorization: `Bearer ${server.token(id)}`, 'content-type': 'image/jpeg' }, body: new Uint8Array(body) });
        if (res.status !== 202) throw new Error(`upload for ${id}: ${res.status} ${await res.text()}`);
      }),
    );
  }
  for (const id of ids) {
    for (let tries = 0; ; tries++) {
      if ((await fetch(`${server.url}/v1/users/${id}/avatar`)).ok) break;
      if (tries > 600) throw new Error(`${id}'s avatar never became ready`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return ids;
}

/** Waits until every user's 128 px AVIF is made (its URL is then the object's own, with a content hash). */
async function waitForAvifs(server: BenchServer, ids: string[]) {
  for (const id of ids) {
    for (let tries = 0; ; tries++) {
      const avatar = (await (await fetch(`${server.url}/v1/users/${id}/avatar?size=128`)).json()) as { avif_url: string };
      if (/-[a-f0-9]{32}\.avif$/.test(avatar.avif_url)) break;
      if (tries === 0) await fetch(avatar.avif_url); // asks for it, in case no page did
      if (tries > 1200) throw new Error(`${id}'s AVIF was never made`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// The same script on both pages (its bytes are not counted): the old element's <img> started only once it had run;
// here they start at once, which makes the reference faster than the old element was.
const oldPage = (server: BenchServer, ids: string[]) =>
  `<!doctype html><body style="margin:0"><script type="module" src="${server.url}/widget/avatar-editor.js"></script>${ids.map((id) => `<img src="${server.url}/v1/users/${id}/avatar/image?size=128&amp;default=identicon" width="48" height="48" alt="${id}" style="border-radius:50%">`).join('')}</body>`;

const newPage = (server: BenchServer, ids: string[]) =>
  `<!doctype html><body style="margin:0"><script type="module" src="${server.url}/widget/avatar-editor.js"></script>${ids.map((id) => `<avatar-image endpoint="${server.url}" user-id="${id}" size="48"></avatar-image>`).join('')}</body>`;

/** Runs in the page: ms from navigation until every avatar shows its image (and, for <avatar-image>, its placeholder first). */
const PAINT_WATCH = `new Promise((resolve) => {
  let placeholders = null;
  const check = () => {
    const hosts = [...document.querySelectorAll('avatar-image')];
    const images = hosts.length ? hosts.map((h) => h.shadowRoot && h.shadowRoot.querySelector('img')) : [...document.querySelectorAll('img')];
    if (hosts.length && placeholders === null && hosts.every((h) => h.shadowRoot && (h.shadowRoot.querySelector('canvas')?.width === 32 || h.shadowRoot.querySelector('img')?.complete))) placeholders = performance.now();
    const painted = images.length === ${AVATARS} && images.every((img) => img && img.complete && img.naturalWidth > 0) && hosts.every((h) => !h.shadowRoot.querySelector('canvas'));
    if (painted) resolve({ painted: performance.now(), placeholders, sources: images.map((img) => img.currentSrc) });
    else if (performance.now() > ${PAINT_TIMEOUT_MS}) resolve({ stuck: images.map((img, i) => img ? img.currentSrc + ' ' + img.complete + ' ' + img.naturalWidth : 'none ' + i).filter((s) => !/ true [1-9]/.test(s)).slice(0, 5) });
    else requestAnimationFrame(check);
  };
  check();
})`;

interface PageRun {
  painted_ms: number;
  placeholders_ms: number | null;
  avatar_bytes: number;
  requests: number;
  avif_images: number;
}

async function view(browser: Browser, server: BenchServer, html: string, accept?: string): Promise<PageRun> {
  const context = await browser.newContext({ deviceScaleFactor: 2, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  pageHtml = html;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  if (accept) await cdp.send('Network.setExtraHTTPHeaders', { headers: { accept } });
  const urls = new Map<string, string>();
  const types = new Map<string, string>();
  let bytes = 0;
  let requests = 0;
  // A redirect's own response is not a loadingFinished: counted here (its headers are all it has).
  cdp.on('Network.requestWillBeSent', (event) => {
    if (!event.redirectResponse || event.redirectResponse.url === PAGE) return;
    bytes += event.redirectResponse.encodedDataLength;
    requests++;
  });
  cdp.on('Network.responseReceived', (event) => {
    urls.set(event.requestId, event.response.url);
    types.set(event.requestId, event.response.mimeType);
  });
  cdp.on('Network.loadingFinished', (event) => {
    const url = urls.get(event.requestId) ?? '';
    if (url === PAGE || url.includes('/widget/')) return;
    bytes += event.encodedDataLength;
    requests++;
  });
  await page.goto(PAGE);
  const result = (await page.evaluate(PAINT_WATCH)) as { painted: number; placeholders: number | null; sources: string[]; stuck?: string[] };
  if (result.stuck) throw new Error(`the page was not painted in ${PAINT_TIMEOUT_MS} ms: ${result.stuck.join('; ')}`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the last loadingFinished events
  const avif = [...types.values()].filter((type) => type === 'image/avif').length;
  await context.close();
  return { painted_ms: result.painted, placeholders_ms: result.placeholders, avatar_bytes: bytes, requests, avif_images: avif };
}

const summary = (runs: PageRun[]) => ({
  painted_ms: round(median(runs.map((r) => r.painted_ms)), 1),
  placeholders_ms: runs[0]!.placeholders_ms === null ? null : round(median(runs.map((r) => r.placeholders_ms!)), 1),
  avatar_bytes: median(runs.map((r) => r.avatar_bytes)),
  requests: median(runs.map((r) => r.requests)),
  avif_images: median(runs.map((r) => r.avif_images)),
});

export async function avatarPageBenchmark(): Promise<{ figures: Figure[]; notes: string[]; details: Record<string, unknown> }> {
  const host = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml));
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  PAGE = `http://127.0.0.1:${(host.address() as AddressInfo).port}/`;
  const server = await startBenchServer({});
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    log(`avatar page: seeding ${AVATARS} avatars`);
    const ids = await seedAvatars(server);
    const webpOnly = 'image/webp,image/apng,image/*,*/*;q=0.8';
    log('avatar page: today\'s <avatar-image> (WebP), the new one on first view, then after its AVIFs are made');
    const today: PageRun[] = [];
    for (let i = 0; i < RUNS; i++) today.push(await view(browser, server, oldPage(server, ids), webpOnly));
    const first = await view(browser, server, newPage(server, ids));
    await waitForAvifs(server, ids);
    const made: PageRun[] = [];
    for (let i = 0; i < RUNS; i++) made.push(await view(browser, server, newPage(server, ids)));
    const reference = summary(today);
    const after = summary(made);
    const cold = summary([first]);
    const ref = (value: number, unit: string) => ({ label: "today's <avatar-image> (WebP via /avatar/image)", value, unit });
    const figures = [
      figure({ id: 'page100_bytes', label: `100 avatars at 48 px, 2× screen: bytes for the avatars (new element, AVIF made; ${after.requests} requests)`, value: after.avatar_bytes, unit: 'B', reference: ref(reference.avatar_bytes, 'B') }),
      figure({ id: 'page100_painted_ms', label: '100 avatars: navigation → all painted (new element, AVIF made)', value: after.painted_ms, unit: 'ms', reference: ref(reference.painted_ms, 'ms') }),
      figure({ id: 'page100_placeholders_ms', label: '100 avatars: navigation → every placeholder painted (new element)', value: after.placeholders_ms ?? 0, unit: 'ms', reference: ref(reference.painted_ms, 'ms') }),
      figure({ id: 'page100_first_view_bytes', label: '100 avatars, first view (AVIF not made yet: WebP stands in): bytes', value: cold.avatar_bytes, unit: 'B', reference: ref(reference.avatar_bytes, 'B') }),
      figure({ id: 'page100_first_view_painted_ms', label: '100 avatars, first view: navigation → all painted', value: cold.painted_ms, unit: 'ms', reference: ref(reference.painted_ms, 'ms') }),
    ];
    const notes = [
      `today's page: ${reference.requests} requests (100 redirects + 100 images); the new page: ${after.requests} (100 lookups + 100 images), ${after.avif_images} of them AVIF; first view ${cold.avif_images} AVIF`,
    ];
    return { figures, notes, details: { today, first_view: first, after_avif_made: made } };
  } finally {
    await browser.close();
    await server.stop();
    host.close();
  }
}
