// Real input and real pixels for widget tests, through the test runner's `cdp` and `screenshot` commands
// (web-test-runner.config.mjs): mouse drags, wheel and trackpad pinch, two-finger touch, and screenshots.
import { expect } from '@open-wc/testing';
import { emulateMedia, executeServerCommand, setViewport } from '@web/test-runner-commands';
import type { Pixels } from './fixtures.ts';

type Point = { x: number; y: number };

/** One DevTools Protocol call for this page. */
export const cdp = <T = unknown>(method: string, params: object = {}) => executeServerCommand<T, { method: string; params: object }>('cdp', { method, params });

const mouse = (type: string, { x, y }: Point, extra: object = {}) => cdp('Input.dispatchMouseEvent', { type, x, y, button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1, ...extra });

/** Presses the left button at `from`, moves to `to` in `steps`, releases. */
export async function drag(from: Point, to: Point, steps = 5) {
  await cdp('Input.dispatchMouseEvent', { type: 'mouseMoved', x: from.x, y: from.y });
  await mouse('mousePressed', from);
  for (let i = 1; i <= steps; i++) await mouse('mouseMoved', { x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps });
  await mouse('mouseReleased', to);
}

/** A real click (mouse pressed and released) in the middle of `element`, which takes focus as a person's click gives it. */
export async function click(element: Element) {
  element.scrollIntoView({ block: 'nearest' });
  const at = middle(element);
  await cdp('Input.dispatchMouseEvent', { type: 'mouseMoved', x: at.x, y: at.y });
  await mouse('mousePressed', at);
  await mouse('mouseReleased', at);
}

/** A wheel turn at `at`; with `ctrl`, what a trackpad pinch sends. */
export const wheel = (at: Point, deltaY: number, ctrl = false) =>
  cdp('Input.dispatchMouseEvent', { type: 'mouseWheel', x: at.x, y: at.y, deltaX: 0, deltaY, modifiers: ctrl ? 2 : 0 });

/** Two fingers on either side of `centre`, `from` px apart, moving to `to` px apart. */
export async function pinch(centre: Point, from: number, to: number, steps = 6) {
  const points = (gap: number) => [
    { x: centre.x - gap / 2, y: centre.y, id: 1 },
    { x: centre.x + gap / 2, y: centre.y, id: 2 },
  ];
  await cdp('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: points(from) });
  for (let i = 1; i <= steps; i++) await cdp('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: points(from + ((to - from) * i) / steps) });
  await cdp('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** Emulates a touch screen (coarse pointer, touch events) until `false`. */
export const touchScreen = (enabled: boolean) => cdp('Emulation.setTouchEmulationEnabled', { enabled, maxTouchPoints: enabled ? 5 : 1 });

/** The page's pixels in `box` (CSS pixels, as getBoundingClientRect gives); saved under `name` when screenshots are kept. */
export async function screenshot(box: { left: number; top: number; width: number; height: number }, name?: string): Promise<Pixels> {
  const clip = { x: box.left, y: box.top, width: box.width, height: box.height, scale: 1 };
  const png = await executeServerCommand<string, object>('screenshot', { clip, name });
  const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data };
}

/** Keeps a screenshot of `element` as <name>.png for people to look at, when $AVATAR_SCREENSHOTS is set. */
export async function look(element: Element, name: string) {
  element.scrollIntoView({ block: 'start' });
  const box = element.getBoundingClientRect();
  const clip = { x: box.left, y: box.top, width: box.width, height: Math.min(box.height, innerHeight - box.top), scale: 1 };
  await executeServerCommand<unknown, object>('screenshot', { clip, name, pixels: false });
}

/** The middle of an element's box. */
export function middle(element: Element): Point {
  const box = element.getBoundingClientRect();
  return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
}

/** The element that has focus, through shadow roots. */
export function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Nothing in `root` (controls, parts, text) sticks out of `frame` sideways. */
export function expectFits(frame: Element, root: ParentNode, what: string) {
  const { left, right } = frame.getBoundingClientRect();
  for (const node of root.querySelectorAll('button, label, input, p, [part]')) {
    const box = node.getBoundingClientRect();
    if (box.width <= 1) continue; // a screen reader's live region
    expect(box.left, `${what}: ${node.outerHTML.slice(0, 50)}`).to.be.at.least(left - 0.5);
    expect(box.right, `${what}: ${node.outerHTML.slice(0, 50)}`).to.be.at.most(right + 0.5);
  }
}

export interface Look {
  width: number;
  scheme: 'light' | 'dark';
  lang: string;
}

/**
 * One test per look people get: 1280 and 375 px wide, light and dark, in each of `langs` (English and German unless
 * told: the two longest-worded; viewport and scheme set).
 */
export function eachLook(title: string, body: (look: Look) => Promise<void>, langs = ['en', 'de']) {
  describe(`${title}, at 1280 and 375 px, light and dark, in ${langs.join(', ')}`, () => {
    after(async () => {
      await setViewport({ width: 800, height: 600 });
      await emulateMedia({ colorScheme: 'light' });
    });
    for (const width of [1280, 375]) {
      for (const scheme of ['light', 'dark'] as const) {
        for (const lang of langs) {
          it(`${width} px, ${scheme}, ${lang}`, async () => {
            await setViewport({ width, height: 900 });
            await emulateMedia({ colorScheme: scheme });
            await body({ width, scheme, lang });
          });
        }
      }
    }
  });
}
