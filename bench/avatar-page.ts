// A page of 100 different avatars at 48 px on a 2× screen (issue 20 §4), in real Chromium against a real server
// process (`BENCH_ONLY=avatar-page npm run bench`): bytes transferred for the avatars (the page and the widget's
// script aside: every page here loads the script) and the time from navigation until every avatar is painted. Each
// round shows the pages one after the other in the same browser:
// - today's <avatar-image> (the reference): the <img> it rendered, of /v1/users/{id}/avatar/image?size=128 (the first
//   size ≥ 48 × 2), which redirects to the WebP; sent with a WebP-only Accept, as the server answered before AVIF.
//   Written into the page's HTML, so its requests start while the page is parsed: sooner than the element started
//   them (once its script had run), which makes this reference faster than today's element was;
// - a plain <img> of each user's 128 px WebP, its final URL written into the HTML (no redirect): what a host that
//   already holds the URLs shows without AVIF, the strongest reference of today's format;
// - the new <avatar-image> (dist/widget/avatar-editor.js);
// - the floor: 100 <picture>s whose final URLs (AVIF and WebP) are in the page's HTML: no lookup, no redirect.
// Cold: a fresh browser profile (empty cache, new connections). Warm: the same page again in the same profile
// within the minute the server lets caches keep its lookups and redirects. After a minute: the same profile once
// they are no longer fresh (images still are: immutable). First view: users whose AVIFs no one has asked for yet
// (the new element, cold, against today's element, cold, in the same round).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { CHROMIUM_ARGS, chromiumPath } from '../test/helpers/chromium.mjs';
import { photoLikeRgb } from './images.ts';
import { figure, round, type BenchModule, type Figure } from './report.ts';
import { startBenchServer, type BenchServer } from './server-process.ts';
import { median } from './stats.ts';

const AVATARS = Number(process.env.BENCH_AVATARS ?? 100);
/** Rounds of (today, plain WebP, new, floor), cold then warm; and of first views (each on users of its own). */
const ROUNDS = Number(process.env.BENCH_AVATAR_PAGE_ROUNDS ?? 7);
const FIRST_VIEW_ROUNDS = 3;
/** How long the server lets caches keep a lookup (GET /v1/avatars) or an /avatar/image redirect. */
const CACHE_SECONDS = 60;
/** A page not painted by then is reported as stuck (with what it shows), not waited on for ever. */
const PAINT_TIMEOUT_MS = 60_000;
/** The Accept of a browser before AVIF (Chromium's, less image/avif): how the server answered today's element. */
const WEBP_ONLY_ACCEPT = 'image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

/** 100 users, each with a 480 px photo as avatar (every one different), served. */
async function seedAvatars(server: BenchServer, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: AVATARS }, (_, i) => `${prefix}-${i}`);
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

interface Avatar {
  urls: Record<string, string>;
  avif_urls: Record<string, string>;
}

const isMadeAvif = (url: string | undefined) => /-[a-f0-9]{32}\.avif$/.test(url ?? '');

/** Makes every user's 128 px AVIF (the size the page takes), asking for it, and answers with the users' URLs. */
async function makeAvifs(server: BenchServer, ids: string[]): Promise<Map<string, Avatar>> {
  const avatars = new Map<string, Avatar>();
  for (const id of ids) {
    for (let tries = 0; ; tries++) {
      const avatar = (await (await fetch(`${server.url}/v1/users/${id}/avatar`)).json()) as Avatar;
      if (isMadeAvif(avatar.avif_urls['128'])) {
        avatars.set(id, avatar);
        break;
      }
      if (tries === 0) await (await fetch(avatar.avif_urls['128']!)).arrayBuffer();
      if (tries > 1200) throw new Error(`${id}'s AVIF was never made`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return avatars;
}

const page = (server: BenchServer, body: string) => `<!doctype html><body style="margin:0"><script type="module" src="${server.url}/widget/avatar-editor.js"></script>${body}</body>`;

const todayPage = (server: BenchServer, ids: string[]) =>
  page(server, ids.map((id) => `<img src="${server.url}/v1/users/${id}/avatar/image?size=128&amp;default=identicon" width="48" height="48" alt="${id}" style="border-radius:50%">`).join(''));

const plainWebpPage = (server: BenchServer, ids: string[], avatars: Map<string, Avatar>) =>
  page(server, ids.map((id) => `<img src="${avatars.get(id)!.urls['128']}" width="48" height="48" alt="${id}" style="border-radius:50%">`).join(''));

const newPage = (server: BenchServer, ids: string[]) =>
  page(server, ids.map((id) => `<avatar-image endpoint="${server.url}" user-id="${id}" size="48"></avatar-image>`).join(''));

/** The srcset <avatar-image> makes of an answer's URLs (numbered sizes only). */
const srcset = (urls: Record<string, string>) =>
  Object.entries(urls)
    .filter(([size]) => /^\d+$/.test(size))
    .map(([size, url]) => `${url} ${size}w`)
    .join(', ');

const floorPage = (server: BenchServer, ids: string[], avatars: Map<string, Avatar>) =>
  page(
    server,
    ids
      .map((id) => {
        const { urls, avif_urls } = avatars.get(id)!;
        return `<picture><source type="image/avif" sizes="48px" srcset="${srcset({ ...urls, ...avif_urls })}"><img sizes="48px" srcset="${srcset(urls)}" width="48" height="48" alt="${id}" style="border-radius:50%"></picture>`;
      })
      .join(''),
  );

/** Runs in the page: ms from navigation until every avatar shows its image (and, for <avatar-image>, its placeholder or image). */
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

interface View {
  painted_ms: number;
  placeholders_ms: number | null;
  /** Bytes received for the avatars (headers and bodies, redirects included), not counting what came from the cache. */
  avatar_bytes: number;
  /** Requests that went to the network (a redirect and its target are two). */
  requests: number;
  avif_images: number;
  /** Requests by kind (lookup, redirect, AVIF, WebP…), for the details. */
  by_kind: Record<string, number>;
}

function kindOf(url: string, status: number, mimeType: string): string {
  if (status >= 300 && status < 400) return `redirect ${new URL(url).pathname.replace(/\/users\/[^/]+\//, '/users/…/').replace(/\/variants\/[^/]+\//, '/variants/…/')}`;
  if (url.includes('/v1/avatars?')) return 'lookup (GET /v1/avatars)';
  return mimeType;
}

/** One view of `html` in `context` (its cache as earlier views left it). */
async function view(context: BrowserContext, host: { url: string; setHtml(html: string): void }, html: string, accept?: string): Promise<View> {
  const tab = await context.newPage();
  host.setHtml(html);
  const cdp = await context.newCDPSession(tab);
  await cdp.send('Network.enable');
  if (accept) await cdp.send('Network.setExtraHTTPHeaders', { headers: { accept } });
  const counted = (url: string) => url !== host.url && !url.includes('/widget/') && !url.endsWith('/favicon.ico');
  const responses = new Map<string, { url: string; cached: boolean; mimeType: string }>();
  let bytes = 0;
  let requests = 0;
  const byKind: Record<string, number> = {};
  const count = (url: string, status: number, mimeType: string, encoded: number) => {
    bytes += encoded;
    requests++;
    const kind = kindOf(url, status, mimeType);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  };
  // A redirect's own response is not a loadingFinished: counted here (its headers are all it has).
  cdp.on('Network.requestWillBeSent', ({ redirectResponse }) => {
    if (redirectResponse && counted(redirectResponse.url) && !redirectResponse.fromDiskCache) count(redirectResponse.url, redirectResponse.status, '', redirectResponse.encodedDataLength);
  });
  const servedFromCache = new Set<string>();
  cdp.on('Network.requestServedFromCache', ({ requestId }) => servedFromCache.add(requestId));
  cdp.on('Network.responseReceived', ({ requestId, response }) =>
    responses.set(requestId, { url: response.url, cached: Boolean(response.fromDiskCache) || servedFromCache.has(requestId), mimeType: response.mimeType }),
  );
  let avif = 0;
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const response = responses.get(requestId);
    if (!response || !counted(response.url)) return;
    if (response.mimeType === 'image/avif') avif++;
    if (!response.cached) count(response.url, 200, response.mimeType, encodedDataLength);
  });
  await tab.goto(host.url);
  const result = (await tab.evaluate(PAINT_WATCH)) as { painted: number; placeholders: number | null; sources: string[]; stuck?: string[] };
  if (result.stuck) throw new Error(`the page was not painted in ${PAINT_TIMEOUT_MS} ms: ${result.stuck.join('; ')}`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the last loadingFinished events
  await tab.close();
  return { painted_ms: result.painted, placeholders_ms: result.placeholders, avatar_bytes: bytes, requests, avif_images: avif, by_kind: byKind };
}

const summary = (views: View[]) => ({
  painted_ms: round(median(views.map((v) => v.painted_ms)), 1),
  painted_ms_range: [round(Math.min(...views.map((v) => v.painted_ms)), 1), round(Math.max(...views.map((v) => v.painted_ms)), 1)],
  placeholders_ms: views[0]!.placeholders_ms === null ? null : round(median(views.map((v) => v.placeholders_ms!)), 1),
  avatar_bytes: median(views.map((v) => v.avatar_bytes)),
  requests: median(views.map((v) => v.requests)),
  avif_images: median(views.map((v) => v.avif_images)),
  by_kind: views[0]!.by_kind,
});
type Summary = ReturnType<typeof summary>;

export const avatarPageBench: BenchModule = {
  name: 'avatar-page',
  async run() {
    let pageHtml = '';
    const hostServer = createServer((req, res) => {
      if (req.url !== '/') return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml);
    });
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    // The host page's own origin: another than the avatar server's, as a host's is.
    const host = { url: `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}/`, setHtml: (html: string) => (pageHtml = html) };
    const server = await startBenchServer({ AVATAR_LOG_LEVEL: 'info' });
    const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    const newContext = () => browser.newContext({ deviceScaleFactor: 2, viewport: { width: 1200, height: 800 } });
    try {
      log(`avatar page: seeding ${AVATARS} avatars, then ${FIRST_VIEW_ROUNDS} × ${AVATARS} for first views`);
      const ids = await seedAvatars(server, 'page');
      const firstViewIds: string[][] = [];
      for (let i = 0; i < FIRST_VIEW_ROUNDS; i++) firstViewIds.push(await seedAvatars(server, `first${i}`));
      const avatars = await makeAvifs(server, ids);

      log(`avatar page: ${ROUNDS} rounds of today's element, plain WebP <img>s, the new element and the floor, cold then warm`);
      const pages = { today: todayPage(server, ids), webp: plainWebpPage(server, ids, avatars), new: newPage(server, ids), floor: floorPage(server, ids, avatars) };
      type Name = keyof typeof pages;
      const acceptOf = (name: Name) => (name === 'today' || name === 'webp' ? WEBP_ONLY_ACCEPT : undefined);
      const views = Object.fromEntries(Object.keys(pages).map((name) => [name, { cold: [], warm: [], stale: [] }])) as unknown as Record<Name, { cold: View[]; warm: View[]; stale: View[] }>;
      // Each profile is kept for a view once what its cold view cached is no longer fresh.
      const profiles: Array<{ name: Name; context: BrowserContext }> = [];
      let lastCold = 0;
      for (let i = 0; i < ROUNDS; i++) {
        for (const name of Object.keys(pages) as Name[]) {
          const context = await newContext();
          lastCold = performance.now();
          views[name].cold.push(await view(context, host, pages[name], acceptOf(name)));
          views[name].warm.push(await view(context, host, pages[name], acceptOf(name)));
          profiles.push({ name, context });
        }
      }
      log(`avatar page: ${FIRST_VIEW_ROUNDS} first views (AVIF not made yet), each against today's element in the same round`);
      const firstViews: { today: View[]; new: View[] } = { today: [], new: [] };
      for (const users of firstViewIds) {
        for (const name of ['today', 'new'] as const) {
          const context = await newContext();
          firstViews[name].push(await view(context, host, (name === 'today' ? todayPage : newPage)(server, users), acceptOf(name)));
          await context.close();
        }
      }
      log('avatar page: once the cached lookups and redirects are a minute old, each profile again');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastCold + (CACHE_SECONDS + 1) * 1000 - performance.now())));
      for (const { name, context } of profiles) {
        views[name].stale.push(await view(context, host, pages[name], acceptOf(name)));
        await context.close();
      }

      const s = (views_: View[]) => summary(views_);
      const today = { cold: s(views.today.cold), warm: s(views.today.warm), stale: s(views.today.stale) };
      const now = { cold: s(views.new.cold), warm: s(views.new.warm), stale: s(views.new.stale) };
      const floor = { cold: s(views.floor.cold), warm: s(views.floor.warm), stale: s(views.floor.stale) };
      const webp = { cold: s(views.webp.cold), warm: s(views.webp.warm), stale: s(views.webp.stale) };
      const first = { today: s(firstViews.today), new: s(firstViews.new) };
      const TODAY = "today's <avatar-image> (<img> of /avatar/image, WebP)";
      const ref = (what: Summary, key: 'avatar_bytes' | 'painted_ms', label = TODAY) => ({ label, value: what[key], unit: key === 'avatar_bytes' ? 'B' : 'ms' });
      const floorLabel = 'floor: <picture>s with the final URLs in the HTML';
      const webpLabel = "plain <img>s of the 128 px WebP's final URL in the HTML";
      const figures: Figure[] = [
        figure({ id: 'page100_cold_bytes', label: `100 avatars at 48 px, 2× screen, cold: bytes for the avatars (new element: ${now.cold.requests} requests)`, value: now.cold.avatar_bytes, unit: 'B', reference: ref(today.cold, 'avatar_bytes') }),
        figure({ id: 'page100_cold_painted_ms', label: '100 avatars, cold: navigation → all painted (new element)', value: now.cold.painted_ms, unit: 'ms', reference: ref(today.cold, 'painted_ms') }),
        figure({ id: 'page100_cold_placeholders_ms', label: '100 avatars, cold: navigation → every placeholder (or image) painted (new element)', value: now.cold.placeholders_ms ?? 0, unit: 'ms', reference: ref(today.cold, 'painted_ms') }),
        figure({ id: 'page100_cold_bytes_vs_webp', label: '100 avatars, cold: bytes (new element) against plain WebP <img>s', value: now.cold.avatar_bytes, unit: 'B', reference: ref(webp.cold, 'avatar_bytes', webpLabel) }),
        figure({ id: 'page100_cold_painted_ms_vs_webp', label: '100 avatars, cold: all painted (new element) against plain WebP <img>s', value: now.cold.painted_ms, unit: 'ms', reference: ref(webp.cold, 'painted_ms', webpLabel) }),
        figure({ id: 'page100_cold_bytes_vs_floor', label: '100 avatars, cold: bytes (new element) against the floor', value: now.cold.avatar_bytes, unit: 'B', reference: ref(floor.cold, 'avatar_bytes', floorLabel) }),
        figure({ id: 'page100_cold_painted_ms_vs_floor', label: '100 avatars, cold: all painted (new element) against the floor', value: now.cold.painted_ms, unit: 'ms', reference: ref(floor.cold, 'painted_ms', floorLabel) }),
        figure({ id: 'page100_warm_bytes', label: `100 avatars, warm (same page again within a minute): bytes (new element: ${now.warm.requests} requests; today's: ${today.warm.requests})`, value: now.warm.avatar_bytes, unit: 'B', reference: ref(today.warm, 'avatar_bytes') }),
        figure({ id: 'page100_warm_painted_ms', label: '100 avatars, warm: navigation → all painted (new element)', value: now.warm.painted_ms, unit: 'ms', reference: ref(today.warm, 'painted_ms') }),
        figure({ id: 'page100_warm_painted_ms_vs_webp', label: '100 avatars, warm: all painted (new element) against plain WebP <img>s', value: now.warm.painted_ms, unit: 'ms', reference: ref(webp.warm, 'painted_ms', webpLabel) }),
        figure({ id: 'page100_after_a_minute_bytes', label: `100 avatars, again after a minute (lookups and redirects no longer fresh): bytes (new element: ${now.stale.requests} requests; today's: ${today.stale.requests})`, value: now.stale.avatar_bytes, unit: 'B', reference: ref(today.stale, 'avatar_bytes') }),
        figure({ id: 'page100_after_a_minute_painted_ms', label: '100 avatars, again after a minute: navigation → all painted (new element)', value: now.stale.painted_ms, unit: 'ms', reference: ref(today.stale, 'painted_ms') }),
        figure({ id: 'page100_first_view_bytes', label: `100 avatars, first view (AVIF not made yet), cold: bytes (new element: ${first.new.requests} requests)`, value: first.new.avatar_bytes, unit: 'B', reference: ref(first.today, 'avatar_bytes') }),
        figure({ id: 'page100_first_view_painted_ms', label: '100 avatars, first view, cold: navigation → all painted (new element)', value: first.new.painted_ms, unit: 'ms', reference: ref(first.today, 'painted_ms') }),
      ];
      const notes = [
        `avatar page, cold: today's ${today.cold.requests} requests (${JSON.stringify(today.cold.by_kind)}), the new element's ${now.cold.requests} (${JSON.stringify(now.cold.by_kind)}), plain WebP's ${webp.cold.requests}, the floor's ${floor.cold.requests}; warm: today's ${today.warm.requests}, new ${now.warm.requests}, floor ${floor.warm.requests}; after a minute: today's ${JSON.stringify(today.stale.by_kind)}, new ${JSON.stringify(now.stale.by_kind)}`,
        `avatar page, all painted, median [min–max] ms: ${Object.entries({ today, webp, new: now, floor }).map(([name, x]) => `${name} cold ${x.cold.painted_ms} [${x.cold.painted_ms_range.join('–')}], warm ${x.warm.painted_ms} [${x.warm.painted_ms_range.join('–')}], after a minute ${x.stale.painted_ms} [${x.stale.painted_ms_range.join('–')}]`).join('; ')}; first view today ${first.today.painted_ms} [${first.today.painted_ms_range.join('–')}], new ${first.new.painted_ms} [${first.new.painted_ms_range.join('–')}]`,
        `avatar page, first view: the new element's requests ${JSON.stringify(first.new.by_kind)}`,
        `avatar page: medians of ${ROUNDS} rounds (first view: ${FIRST_VIEW_ROUNDS}); today's element is its <img> written into the HTML, so it starts before the script runs (the element started after)`,
      ];
      return { name: 'avatar-page', figures, notes, details: { today, webp, new: now, floor, first_view: first, views, first_views: firstViews } };
    } finally {
      await browser.close();
      await server.stop();
      hostServer.close();
    }
  },
};
