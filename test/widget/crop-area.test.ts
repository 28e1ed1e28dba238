// The crop step people know, in real Chromium with real input (mouse, wheel, trackpad pinch, two fingers,
// keys): a round window masked outside, zoom about the pointer within limits, a fixed window on touch screens
// and resizable 44 px handles elsewhere, turns, straightening, mirroring and Reset; every change announced;
// and what the window shows is, pixel for pixel, what the worker makes and what is saved and kept as a draft.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { emulateMedia, sendKeys, setViewport } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { CropArea } from '../../widget/crop-area.ts';
import type { Crop } from '../../widget/crop-geometry.ts';
import { loadDraft } from '../../widget/drafts.ts';
import type { AvatarChangedDetail } from '../../widget/events.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { createImageWorker } from '../../widget/worker/client.ts';
import { drag, eachLook, expectFits, focused, look, middle, pinch, screenshot, touchScreen, wheel } from './browser.ts';
import { BLUE, GREEN, RED, YELLOW, colourDistance, decodePixels, pixelAt, quadrantsPng, waitFor, type Pixels, type Rgba } from './fixtures.ts';
import { newUser, server } from './server.ts';

const PHOTO = { width: 600, height: 400 }; // red, green / blue, yellow

async function photo(): Promise<File> {
  return new File([await quadrantsPng(PHOTO.width, PHOTO.height)], 'quadrants.png', { type: 'image/png' });
}

interface Opened {
  el: AvatarEditor;
  area: CropArea;
  file: File;
  $: <T extends Element = HTMLElement>(selector: string) => T;
}

async function open(attributes: { shape?: string; lang?: string } = {}): Promise<Opened> {
  const { token } = await newUser();
  const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${token} shape=${attributes.shape ?? 'circle'} lang=${attributes.lang ?? 'en'}></avatar-editor>`);
  const file = await photo();
  expect(await el.openFile(file)).to.equal(true);
  await el.updateComplete;
  const area = el.shadowRoot!.querySelector('avatar-crop-area')!;
  await customElements.whenDefined('avatar-crop-area');
  expect(await area.ready).to.equal(true);
  return { el, area, file, $: <T extends Element>(selector: string) => area.shadowRoot!.querySelector<T>(selector)! };
}

/** The crop window's box on the page. */
const windowBox = (area: CropArea) => area.shadowRoot!.querySelector('cropper-selection')!.getBoundingClientRect();

/** The image pixel under page point (x, y), read from the crop (which maps the window onto the image). */
function imagePointAt(crop: Crop, box: DOMRect, x: number, y: number) {
  return [crop.x + ((x - box.left) * crop.w) / box.width, crop.y + ((y - box.top) * crop.h) / box.height];
}

/** Mean difference per channel (0–255) over the disc inside `inset` of the circle the two same-sized images show. */
function discDifference(a: Pixels, b: Pixels, inset = 0.9) {
  const r = (a.width / 2) * inset;
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if ((x + 0.5 - a.width / 2) ** 2 + (y + 0.5 - a.height / 2) ** 2 > r * r) continue;
      const [p, q] = [pixelAt(a, x, y), pixelAt(b, x * (b.width / a.width), y * (b.height / a.height))];
      sum += Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
      count += 3;
    }
  }
  return sum / count;
}

function setRange(input: HTMLInputElement, value: number) {
  input.value = String(value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

const expectColour = (actual: Rgba, expected: Rgba, where: string) => expect(colourDistance(actual, expected), `${where}: rgba(${actual.join(', ')})`).to.be.at.most(40);

eachLook('every crop control fits, reads in the language, is accessible', async ({ width, scheme, lang }) => {
  for (const shape of ['circle', 'square']) {
    const { el, area, $ } = await open({ shape, lang });
    const t = LOCALES[lang]!;
    expectFits(el.shadowRoot!.querySelector('section')!, area.shadowRoot!, `${shape} crop`);
    expect($('input[name="zoom"]').closest('label')!.textContent!.trim()).to.equal(t.zoom);
    expect($('[part~="rotate-right"]').getAttribute('aria-label')).to.equal(t.rotateRight);
    expect($('[part~="reset"]').textContent!.trim()).to.equal(t.reset);
    await expect(el, `${shape} crop`).to.be.accessible();
    await look(el, `crop-${shape}-${width}-${scheme}-${lang}`);
    $<HTMLButtonElement>('[part~="flip"]').click();
    setRange($<HTMLInputElement>('input[name="straighten"]'), 20);
    await area.updateComplete;
    await expect(el, `${shape} crop, flipped and straightened`).to.be.accessible();
    await look(el, `crop-${shape}-edited-${width}-${scheme}-${lang}`);
    el.remove();
  }
});

describe('crop step', () => {
  before(() => setViewport({ width: 1000, height: 900 }));
  after(() => setViewport({ width: 800, height: 600 }));

  it('opens on the largest centred square in a round window, the rest dimmed: what you see is what you get', async () => {
    const { el, area } = await open();
    expect(el.currentCrop()).to.deep.equal({ x: 100, y: 0, w: 400, h: 400 });
    const box = windowBox(area);
    const shot = await screenshot(box, 'crop-round');
    expectColour(pixelAt(shot, box.width * 0.25, box.height * 0.25), RED, 'inside the circle');
    expectColour(pixelAt(shot, box.width * 0.75, box.height * 0.75), YELLOW, 'inside the circle');
    // The window's corner is outside the circle: the same red, dimmed to a third.
    expectColour(pixelAt(shot, 3, 3), [85, 0, 0, 255], 'the corner outside the circle');
    await expect(el).to.be.accessible();
  });

  it('zooms with the labelled slider, the wheel and a trackpad pinch, about the pointer, never past covering', async () => {
    const { el, area, $ } = await open();
    const slider = $<HTMLInputElement>('input[name="zoom"]');
    expect(slider.closest('label')!.textContent!.trim()).to.equal('Zoom');
    setRange(slider, 500);
    await area.updateComplete;
    const slid = el.currentCrop()!;
    expect(slid.w).to.be.below(400);
    expect(slid.x + slid.w / 2, 'zoomed about the window centre').to.be.closeTo(300, 1);
    expect(slider.getAttribute('aria-valuetext')).to.match(/^\d+%$/);

    // A wheel notch at a point in the window's top-left quarter: that image point stays under the pointer.
    const box = windowBox(area);
    const at = { x: box.left + box.width * 0.3, y: box.top + box.height * 0.35 };
    const before = imagePointAt(slid, box, at.x, at.y);
    await wheel(at, -100);
    await waitFor(() => el.currentCrop()!.w < slid.w, 'the wheel zoomed in');
    const wheeled = el.currentCrop()!;
    const after = imagePointAt(wheeled, box, at.x, at.y);
    expect(after[0]).to.be.closeTo(before[0]!, 1.5);
    expect(after[1]).to.be.closeTo(before[1]!, 1.5);

    // A trackpad pinch: small steps with Ctrl, smooth rather than a notch.
    await wheel(at, -10, true);
    await waitFor(() => el.currentCrop()!.w < wheeled.w, 'the pinch zoomed in');
    expect(el.currentCrop()!.w / wheeled.w).to.be.closeTo(Math.exp(-0.1), 0.02);

    // Zoomed out as far as it goes: the image still covers the window.
    for (let i = 0; i < 8; i++) await wheel(at, 300);
    await waitFor(() => el.currentCrop()!.w === 400, 'back to the whole height, no further');
    expect(Number(slider.value)).to.be.closeTo(0, 0.001);
  });

  it('pans the image under the fixed window by dragging, never past its edge', async () => {
    const { el, area } = await open();
    const start = el.currentCrop()!;
    const centre = middle(area.shadowRoot!.querySelector('cropper-selection')!);
    await drag(centre, { x: centre.x + 34, y: centre.y });
    // 34 stage px at 0.68 px per image px: the image moved right, so the window shows 50 px further left.
    await waitFor(() => el.currentCrop()!.x === start.x - 50, `moved 50 image px left (${JSON.stringify(el.currentCrop())})`);
    await drag(centre, { x: centre.x + 400, y: centre.y + 200 });
    await waitFor(() => el.currentCrop()!.x === 0, 'stopped at the left edge');
    expect(el.currentCrop()).to.include({ y: 0, w: 400, h: 400 });
  });

  it('on a touch screen keeps the window fixed even for a square, and zooms with two fingers', async () => {
    await touchScreen(true);
    try {
      const { el, area } = await open({ shape: 'square' });
      expect(area.resizable, 'no resizable window on a touch screen').to.equal(false);
      expect(area.shadowRoot!.querySelectorAll('cropper-handle[action$="resize"]').length).to.equal(0);
      const start = el.currentCrop()!;
      await pinch(middle(area.shadowRoot!.querySelector('cropper-selection')!), 60, 120);
      await waitFor(() => el.currentCrop()!.w < start.w * 0.7, `two fingers zoomed in (${JSON.stringify(el.currentCrop())})`);
      await pinch(middle(area.shadowRoot!.querySelector('cropper-selection')!), 200, 20);
      await waitFor(() => el.currentCrop()!.w === 400, 'and out, as far as covering allows');
    } finally {
      await touchScreen(false);
    }
  });

  it('a square on a desktop gets a resizable window: 44 px handles, square, kept on the image', async () => {
    const { el, area } = await open({ shape: 'square' });
    const handles = [...area.shadowRoot!.querySelectorAll('cropper-handle[action$="resize"]')];
    expect(handles.map((h) => h.getAttribute('action')).sort()).to.deep.equal(['ne-resize', 'nw-resize', 'se-resize', 'sw-resize']);
    for (const handle of handles) {
      const { width, height } = handle.getBoundingClientRect();
      expect(Math.min(width, height), handle.getAttribute('action')!).to.be.at.least(44);
    }
    const start = el.currentCrop()!;
    expect(start).to.deep.equal({ x: 100, y: 0, w: 400, h: 400 });
    // Shrink from the bottom-right corner, then move the window right: both stay square and on the image.
    const se = middle(area.shadowRoot!.querySelector('cropper-handle[action="se-resize"]')!);
    await drag(se, { x: se.x - 80, y: se.y - 80 });
    await waitFor(() => el.currentCrop()!.w < 320, `smaller (${JSON.stringify(el.currentCrop())})`);
    const smaller = el.currentCrop()!;
    expect(smaller.w).to.equal(smaller.h);
    const inside = middle(area.shadowRoot!.querySelector('cropper-selection')!);
    await drag(inside, { x: inside.x + 500, y: inside.y + 300 });
    await waitFor(() => el.currentCrop()!.x + el.currentCrop()!.w === PHOTO.width, `moved to the right edge (${JSON.stringify(el.currentCrop())})`);
    const moved = el.currentCrop()!;
    expect(moved.y + moved.h).to.equal(PHOTO.height);
    expect(moved.w).to.equal(smaller.w);
    // Grown from the top-left corner far beyond the image: only as far as the image reaches.
    const nw = middle(area.shadowRoot!.querySelector('cropper-handle[action="nw-resize"]')!);
    await drag(nw, { x: nw.x - 600, y: nw.y - 600 });
    await waitFor(() => el.currentCrop()!.w > moved.w, 'larger');
    const grown = el.currentCrop()!;
    expect(grown.w).to.equal(grown.h);
    expect(grown.w).to.be.at.most(PHOTO.height);
    expect(grown.x).to.be.at.least(0);
    expect(grown.y).to.be.at.least(0);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`rotates both ways, straightens, flips, and Reset goes back (${scheme}, accessible)`, async () => {
      await emulateMedia({ colorScheme: scheme });
      try {
        const { el, area, $ } = await open();
        const start = el.currentCrop()!;
        $<HTMLButtonElement>('[part~="rotate-right"]').click();
        await area.updateComplete;
        expect(el.currentCrop()).to.include({ rotate: 90, w: 400, h: 400 });
        $<HTMLButtonElement>('[part~="rotate-left"]').click();
        $<HTMLButtonElement>('[part~="rotate-left"]').click();
        await area.updateComplete;
        expect(el.currentCrop()!.rotate).to.equal(-90);

        // Straightening zooms in as far as covering needs; going back to 0 gives the zoom back.
        const straighten = $<HTMLInputElement>('input[name="straighten"]');
        expect(straighten.closest('label')!.textContent!.trim()).to.equal('Straighten');
        setRange(straighten, 12);
        await area.updateComplete;
        const straightened = el.currentCrop()!;
        expect(straightened.rotate).to.equal(-78);
        expect(straightened.w).to.be.below(400);
        expect(straighten.getAttribute('aria-valuetext')).to.equal('12°');
        setRange(straighten, -45);
        setRange(straighten, 0);
        await area.updateComplete;
        expect(el.currentCrop()).to.include({ rotate: -90, w: 400 });

        const flip = $<HTMLButtonElement>('[part~="flip"]');
        expect(flip.getAttribute('aria-pressed')).to.equal('false');
        flip.click();
        await area.updateComplete;
        expect(flip.getAttribute('aria-pressed')).to.equal('true');
        expect(el.currentCrop()).to.include({ rotate: 90, flip: true });
        await expect(el, 'turned and mirrored').to.be.accessible();

        $<HTMLButtonElement>('[part~="reset"]').click();
        await area.updateComplete;
        expect(el.currentCrop()).to.deep.equal(start);
        expect(flip.getAttribute('aria-pressed')).to.equal('false');
      } finally {
        await emulateMedia({ colorScheme: 'light' });
      }
    });
  }

  it('works from the keyboard: arrows pan, + and − zoom, [ and ] turn, 0 resets; focus stays and every change is said (de)', async () => {
    const { el, area, $ } = await open({ lang: 'de' });
    const de = LOCALES.de!;
    const stage = $('[part="cropper"]');
    await waitFor(() => focused() === stage, 'the crop area has focus after the pick');
    expect(stage.getAttribute('aria-label')).to.equal(de.cropArea);
    const said = () => $('[aria-live]').textContent!.replace(/\s+/g, ' ').trim();
    const press = async (key: string) => {
      await sendKeys({ press: key });
      await area.updateComplete;
      expect(focused(), `focus after ${key}`).to.equal(stage);
    };
    const start = el.currentCrop()!;
    await press('ArrowRight');
    expect(el.currentCrop()!.x).to.be.above(start.x);
    expect(said()).to.equal(de.moved);
    await press('ArrowDown'); // already at the bottom: nothing moves, it is still said
    expect(el.currentCrop()!.y).to.equal(0);
    await press('+');
    expect(el.currentCrop()!.w).to.be.below(start.w);
    expect(said()).to.equal('Zoom: 110 %');
    await press('-');
    expect(el.currentCrop()!.w).to.equal(start.w);
    await press(']');
    expect(el.currentCrop()!.rotate).to.equal(90);
    expect(said()).to.equal(`${de.rotation}: 90°`);
    await press('[');
    await press('[');
    expect(el.currentCrop()!.rotate).to.equal(-90);
    await press('0');
    expect(el.currentCrop()).to.deep.equal(start);
    expect(said()).to.equal(de.cropReset);

    // Tab walks the crop controls, each with a visible focus ring.
    for (const part of ['zoom', 'rotate-left', 'rotate-right', 'flip', 'straighten', 'reset']) {
      await sendKeys({ press: 'Tab' });
      const control = focused() as HTMLElement;
      expect(control.getAttribute('name') ?? control.getAttribute('part'), 'tab order').to.include(part);
      expect(getComputedStyle(control).outlineStyle, `${part} focus ring`).to.equal('solid');
    }
    await sendKeys({ press: 'Enter' }); // Reset from the keyboard keeps the focus on Reset
    expect(focused()).to.equal($('[part~="reset"]'));
    // Sliders say their value as German writes it.
    setRange($<HTMLInputElement>('input[name="straighten"]'), -7.5);
    await area.updateComplete;
    expect($('input[name="straighten"]').getAttribute('aria-valuetext')).to.equal('-7,5°');
    expect($('input[name="zoom"]').getAttribute('aria-valuetext')).to.match(/^\d+\u00a0%$/);
  });

  it('shows exactly what the worker makes: the window and the largest preview are the output, turned, straightened and mirrored', async function () {
    this.timeout(30_000);
    const { el, area, file, $ } = await open();
    setRange($<HTMLInputElement>('input[name="zoom"]'), 300);
    const centre = middle(area.shadowRoot!.querySelector('cropper-selection')!);
    await drag(centre, { x: centre.x - 30, y: centre.y + 20 });
    $<HTMLButtonElement>('[part~="rotate-right"]').click();
    setRange($<HTMLInputElement>('input[name="straighten"]'), 12);
    $<HTMLButtonElement>('[part~="flip"]').click();
    await area.updateComplete;
    const crop = el.currentCrop()!;
    expect(crop).to.include({ rotate: -102, flip: true });
    await new Promise(requestAnimationFrame);
    await new Promise(requestAnimationFrame);

    const worker = createImageWorker();
    try {
      const box = windowBox(area);
      const shown = await screenshot(box, 'crop-wysiwyg-window');
      const made = await decodePixels((await worker.processImage(file, { crop, outputSize: box.width })).blob);
      expect(discDifference(shown, made), 'the window against the output').to.be.below(4); // 1.8 when measured
      const preview = area.shadowRoot!.querySelector('.previews div')!.getBoundingClientRect();
      expect(preview.width).to.equal(96);
      const previewShown = await screenshot(preview, 'crop-wysiwyg-preview');
      const previewMade = await decodePixels((await worker.processImage(file, { crop, outputSize: 96 })).blob);
      expect(discDifference(previewShown, previewMade, 0.85), 'the preview against the output').to.be.below(7); // 3.5 when measured
    } finally {
      worker.terminate();
    }
  });

  it('saves what is shown: the served avatar is the turned and mirrored crop', async function () {
    this.timeout(30_000);
    const { el, area, $ } = await open();
    el.outputSize = 128;
    $<HTMLButtonElement>('[part~="rotate-right"]').click();
    $<HTMLButtonElement>('[part~="flip"]').click();
    await area.updateComplete;
    // Turned a quarter clockwise (blue, red / yellow, green), then mirrored: red, blue / green, yellow.
    const changed = oneEvent(el, 'avatar-changed');
    await el.save();
    const detail = ((await changed) as CustomEvent<AvatarChangedDetail>).detail;
    const served = await decodePixels(await (await fetch(detail.urls['cropped']!)).blob());
    expect([served.width, served.height]).to.deep.equal([128, 128]);
    const at = (fx: number, fy: number) => pixelAt(served, served.width * fx, served.height * fy);
    expectColour(at(0.25, 0.25), RED, 'top-left');
    expectColour(at(0.75, 0.25), BLUE, 'top-right');
    expectColour(at(0.25, 0.75), GREEN, 'bottom-left');
    expectColour(at(0.75, 0.75), YELLOW, 'bottom-right');
  });

  it('keeps the crop while another tab is shown, and when the page is resized', async () => {
    const { el, area, $ } = await open();
    setRange($<HTMLInputElement>('input[name="zoom"]'), 350);
    $<HTMLButtonElement>('[part~="rotate-right"]').click();
    await area.updateComplete;
    const crop = el.currentCrop()!;
    el.shadowRoot!.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
    await waitFor(() => area.getBoundingClientRect().height === 0, 'the photo tab hidden');
    el.shadowRoot!.querySelector<HTMLButtonElement>('#tab-photo')!.click();
    await waitFor(() => area.getBoundingClientRect().height > 0, 'the photo tab shown');
    expect(el.currentCrop()).to.deep.equal(crop);
    await setViewport({ width: 375, height: 900 });
    const stage = $('[part="cropper"]');
    const centred = () => Math.abs(middle(stage).x - middle(area.shadowRoot!.querySelector('cropper-selection')!).x) < 1;
    await waitFor(() => stage.getBoundingClientRect().width < 400 && centred(), 'the window in the middle of the narrower stage');
    const narrow = el.currentCrop()!;
    expect(Math.abs(narrow.x - crop.x) + Math.abs(narrow.y - crop.y) + Math.abs(narrow.w - crop.w), JSON.stringify(narrow)).to.be.at.most(2);
    await setViewport({ width: 1000, height: 900 });
  });

  it('keeps the crop when the page switches the shape while the person crops', async () => {
    const { el, area, $ } = await open();
    $<HTMLButtonElement>('[part~="rotate-left"]').click();
    await area.updateComplete;
    const crop = el.currentCrop()!;
    el.shape = 'square';
    await el.updateComplete;
    await area.updateComplete;
    expect(area.resizable).to.equal(true);
    expect(area.shadowRoot!.querySelectorAll('cropper-handle[action$="resize"]').length).to.equal(4);
    expect(el.currentCrop()).to.deep.equal(crop);
  });

  it('keeps the whole edit in the draft: a reload resumes it as it was left', async () => {
    const user = await newUser();
    const first = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
    await first.openFile(await photo());
    await first.updateComplete;
    const area = first.shadowRoot!.querySelector('avatar-crop-area')!;
    await customElements.whenDefined('avatar-crop-area');
    await area.ready;
    const $ = <T extends Element>(s: string) => area.shadowRoot!.querySelector<T>(s)!;
    setRange($<HTMLInputElement>('input[name="zoom"]'), 400);
    $<HTMLButtonElement>('[part~="rotate-left"]').click();
    setRange($<HTMLInputElement>('input[name="straighten"]'), -7.5);
    $<HTMLButtonElement>('[part~="flip"]').click();
    await area.updateComplete;
    const crop = first.currentCrop()!;
    expect(crop).to.include({ rotate: 97.5, flip: true });
    await waitFor(async () => JSON.stringify((await loadDraft(`${server.url}|${user.id}`))?.crop) === JSON.stringify(crop), 'the draft holds the whole edit');
    first.remove();

    const second = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
    await waitFor(() => second.shadowRoot!.querySelector('[part~="resume"]'), 'the resume offer');
    second.shadowRoot!.querySelector<HTMLButtonElement>('button[part~="resume"]')!.click();
    await waitFor(() => JSON.stringify(second.currentCrop()) === JSON.stringify(crop), `the same crop (${JSON.stringify(second.currentCrop())})`);
    const again = second.shadowRoot!.querySelector('avatar-crop-area')!;
    expect(again.shadowRoot!.querySelector<HTMLInputElement>('input[name="straighten"]')!.value).to.equal('7.5');
    expect(again.shadowRoot!.querySelector('[part~="flip"]')!.getAttribute('aria-pressed')).to.equal('true');
    second.cancel();
  });
});
