// The cartoon builder as a person uses it (issue 18 §3): in Chromium, a host page on its own origin embeds the built
// widget from a real server process; on the Cartoon tab each option change is timed from the change to the preview
// showing the new drawing (its image loaded, then the next frame). Next to it, the floor from the same page and run:
// the same kind of never-drawn-before preview URL loaded and decoded by a bare <img> (the server's answer plus the
// decode, which no widget can beat for a choice not seen yet). A second figure times a change to a choice whose
// picture the person has just seen in the open list: its drawing is the preview's, already in the browser.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/helpers/chromium.mjs';
import { figure, round, type BenchModule, type SectionResult } from './report.ts';
import { startBenchServer } from './server-process.ts';
import { summarise } from './stats.ts';

const TARGET_MS = 50;
/** Changes timed per kind, after a warm-up change (the server's first drawings warm its JIT). */
const RUNS = Number(process.env.BENCH_CARTOON_PREVIEW_RUNS ?? 15);

function log(line: string) {
  process.stderr.write(`[bench] cartoon-preview: ${line}\n`);
}

/**
 * Chooses `value` in the list `key` as the person does (the select's value, then its change event) and resolves with
 * the milliseconds until the preview has loaded that drawing and a frame has passed. Source text: tsx would wrap
 * named helpers of a function in a `__name` the page does not have.
 */
const TIME_CHANGE = `async ([key, value]) => {
  const root = document.querySelector('avatar-editor').shadowRoot;
  const select = root.querySelector('select[name="' + key + '"]');
  const preview = root.querySelector('[part="cartoon-preview"]');
  const before = preview.src;
  if (select.value === value) throw new Error(key + ' is ' + value + ' already: not a change');
  const start = performance.now();
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  await new Promise((resolve, reject) => {
    const check = () => {
      if (preview.src !== before && preview.complete && preview.naturalWidth > 0) resolve();
      else if (performance.now() - start > 10000) reject(new Error('the preview did not change within 10 s'));
      else requestAnimationFrame(check);
    };
    check();
  });
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - start;
}`;

/** The floor: a bare <img> loading and decoding `url` (a drawing the server has not made for this page yet). */
const TIME_BARE_IMAGE = `async (url) => {
  const image = new Image();
  const start = performance.now();
  image.src = url;
  await image.decode();
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - start;
}`;

/** Resolves once every picture in the open list `key` has loaded. */
const LIST_LOADED = `async (key) => {
  const select = document.querySelector('avatar-editor').shadowRoot.querySelector('select[name="' + key + '"]');
  if (!select.matches(':open')) throw new Error(key + ' is not open');
  await Promise.all([...select.querySelectorAll('option img')].map((img) => img.decode().catch(() => {})));
}`;

async function evaluate<T>(page: Page, source: string, arg: unknown): Promise<T> {
  return page.evaluate(([code, value]) => (0, eval)(code)(value) as Promise<T>, [source, arg] as const);
}

export const cartoonPreviewBench: BenchModule = {
  name: 'cartoon-preview',
  async run(): Promise<SectionResult> {
    let html = '';
    const host = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const server = await startBenchServer({ AVATAR_ALLOWED_ORIGINS: origin, AVATAR_LOG_LEVEL: 'info' });
    html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>cartoon bench</title>
<script type="module" src="${server.url}/widget/avatar-editor.js"></script></head>
<body><avatar-editor token="${server.token('bench-cartoon')}"></avatar-editor></body></html>`;
    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(30_000);
      await page.goto(`${origin}/`);
      await page.locator('avatar-editor #tab-cartoon').click();
      await page.locator('avatar-editor select[name="mouthType"]').waitFor();
      const options = (await (await fetch(`${server.url}/v1/avatar-config/options`)).json()) as Record<string, string[]>;

      // Changes to drawings not made yet: each mouth in turn, with another eyebrow once the mouths are used up.
      const changes: Array<{ key: string; value: string; timed: boolean }> = [];
      let mouth = options.mouthType![0]!;
      for (const brow of options.eyebrowType!.slice(1)) {
        changes.push({ key: 'eyebrowType', value: brow, timed: false });
        for (const next of options.mouthType!) if (next !== mouth) changes.push({ key: 'mouthType', value: (mouth = next), timed: true });
      }
      log(`${RUNS} changes to choices not drawn yet, ${RUNS} bare <img> loads of new drawings, ${RUNS} changes to choices seen in the open list`);
      const changeMs: number[] = [];
      let timed = 0;
      for (const change of changes) {
        if (timed > RUNS) break;
        const ms = await evaluate<number>(page, TIME_CHANGE, [change.key, change.value]);
        if (change.timed && timed++ > 0) changeMs.push(ms); // the first is the warm-up
      }
      const fresh = (i: number) => `${server.url}/v1/avatar-config/preview.svg?${new URLSearchParams({ skinColor: options.skinColor![i % options.skinColor!.length]!, mouthType: options.mouthType![(i * 5) % options.mouthType!.length]!, eyeType: options.eyeType![i % options.eyeType!.length]!, frame: 'Circle' })}`;
      const floorMs: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const ms = await evaluate<number>(page, TIME_BARE_IMAGE, fresh(i));
        if (i > 0) floorMs.push(ms);
      }
      const seenMs: number[] = [];
      const tops = options.topType!;
      for (let i = 1; i <= RUNS; i++) {
        await page.locator('avatar-editor select[name="topType"]').focus();
        await page.keyboard.press('Enter'); // the person opens the list and looks at its pictures
        await evaluate(page, LIST_LOADED, 'topType');
        await page.keyboard.press('Escape');
        seenMs.push(await evaluate<number>(page, TIME_CHANGE, ['topType', tops[i % tops.length]!]));
      }

      const change = summarise(changeMs);
      const floor = summarise(floorMs);
      const seen = summarise(seenMs);
      const reference = { label: 'floor: a bare <img> loading and decoding a new preview', value: round(floor.median), unit: 'ms' };
      return {
        name: 'cartoon-preview',
        figures: [
          figure({
            id: 'cartoon_preview_change_ms',
            label: 'cartoon: option change → preview shows it (median)',
            value: round(change.median),
            unit: 'ms',
            reference,
            target: `≤ ${TARGET_MS} ms`,
            ok: change.median <= TARGET_MS,
            note: `${RUNS} changes, min ${round(change.min)} max ${round(change.max)} ms`,
          }),
          figure({
            id: 'cartoon_preview_seen_change_ms',
            label: 'cartoon: change to a choice seen in the open list → preview (median)',
            value: round(seen.median),
            unit: 'ms',
            reference,
            target: `≤ ${TARGET_MS} ms`,
            ok: seen.median <= TARGET_MS,
            note: `${RUNS} changes, min ${round(seen.min)} max ${round(seen.max)} ms`,
          }),
        ],
        notes: [`cartoon-preview: the floor is the server's answer and the SVG's decode (min ${round(floor.min)}, max ${round(floor.max)} ms); the builder adds no wait of its own`],
        details: { runs: RUNS, change_ms: change, floor_ms: floor, seen_change_ms: seen },
      };
    } finally {
      await browser?.close();
      await server.stop();
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  },
};
