// The face-aware default crop in <avatar-editor> (issue 21), in real Chromium: the crop view opens on the face,
// found in the image worker by the lazily loaded default-crop chunk, and the person can still move it;
// default-crop="center" never loads the chunk.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { newUser, server } from './server.ts';
import { waitFor } from './fixtures.ts';
import { look } from './browser.ts';
import { sharedImageWorker } from '../../widget/worker/client.ts';

type Crop = { x: number; y: number; w: number; h: number };

/** The astronaut's labelled face (test/fixtures/faces/README.md) in the 512×512 photo. */
const FACE = { x: 175, y: 62, w: 95, h: 112 };
/** Where the photo goes on a 1800×600 banner (scaled to 600 px high): far right, where the centred square misses it. */
const PLACED = { x: 1200, y: 0, scale: 600 / 512 };

/** A banner with the astronaut's portrait at its right end, and where her face is on it. */
async function banner(): Promise<{ file: File; face: Crop }> {
  const portrait = await createImageBitmap(await (await fetch('/test/fixtures/faces/astronaut.jpg')).blob());
  const canvas = new OffscreenCanvas(1800, 600);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#8ab';
  ctx.fillRect(0, 0, 1800, 600);
  ctx.drawImage(portrait, PLACED.x, PLACED.y, 512 * PLACED.scale, 512 * PLACED.scale);
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  const s = PLACED.scale;
  return { file: new File([blob], 'banner.jpg', { type: 'image/jpeg' }), face: { x: PLACED.x + FACE.x * s, y: PLACED.y + FACE.y * s, w: FACE.w * s, h: FACE.h * s } };
}

/** Crops read back from the screen are whole pixels of the image: a pixel of slack either way. */
const holds = (crop: Crop | null, box: Crop) =>
  !!crop && crop.x <= box.x + 1 && crop.y <= box.y + 1 && crop.x + crop.w >= box.x + box.w - 1 && crop.y + crop.h >= box.y + box.h - 1;

/** What this page itself loaded of the default-crop chunk and its model (the worker's loads are not in its timeline). */
const pageLoadedDetector = () => performance.getEntriesByType('resource').some((entry) => /default-crop\/default-crop\.ts|face-model/.test(entry.name));

async function editor(defaultCrop?: 'smart' | 'center'): Promise<AvatarEditor> {
  const { token } = await newUser();
  const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${token} default-crop=${defaultCrop ?? 'smart'}></avatar-editor>`);
  await el.updateComplete;
  return el;
}

describe('<avatar-editor> default crop', () => {
  it('opens the crop on the face of a person far off-centre, and the person can still move it', async () => {
    const { file, face } = await banner();
    const el = await editor();
    expect(el.defaultCrop).to.equal('smart');
    expect(await el.openFile(file)).to.equal(true);
    await waitFor(() => holds(el.currentCrop(), face), 'the selection moves to the face');
    const found = el.currentCrop()!;
    expect(found.w).to.equal(found.h);
    expect(found.w).to.be.below(600); // closer than the largest square
    // The page never loaded the detector: it only knows its URL, and the worker loads and runs it.
    expect(pageLoadedDetector()).to.equal(false);

    // The crop area has the focus after the pick; the keyboard moves the crop from there.
    await sendKeys({ press: 'ArrowLeft' });
    await waitFor(() => el.currentCrop()!.x !== found.x, 'the arrow key moves the crop');
    expect(holds(el.currentCrop(), found)).to.equal(false);
  });

  it('Reset goes back to the face the crop opened on, not to the centred square, with the button and the 0 key', async () => {
    const { file, face } = await banner();
    const el = await editor();
    expect(await el.openFile(file)).to.equal(true);
    await waitFor(() => holds(el.currentCrop(), face), 'the selection moves to the face');
    const found = el.currentCrop()!;
    const isFound = () => {
      const crop = el.currentCrop()!;
      return Math.abs(crop.x - found.x) <= 1 && Math.abs(crop.y - found.y) <= 1 && Math.abs(crop.w - found.w) <= 1 && !crop.rotate && !crop.flip;
    };
    const area = el.shadowRoot!.querySelector('avatar-crop-area')!;
    const button = (part: string) => area.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="${part}"]`)!;

    // Fiddle: move, turn and mirror, then Reset.
    await sendKeys({ press: 'ArrowLeft' });
    button('rotate-left').click();
    button('flip').click();
    await waitFor(() => !isFound() && el.currentCrop()!.flip === true, 'the crop moved, turned and mirrored');
    button('reset').click();
    await waitFor(isFound, 'Reset shows the face-aware crop again');
    expect(holds(el.currentCrop(), face)).to.equal(true);
    await look(el, 'default-crop-after-reset');

    // From the keyboard: 0 in the crop area.
    area.focus();
    await sendKeys({ press: 'ArrowRight' });
    await waitFor(() => !isFound(), 'the arrow key moves the crop');
    await sendKeys({ press: '0' });
    await waitFor(isFound, '0 shows the face-aware crop again');
  });

  it('default-crop="center" keeps the centred selection and never asks the worker for a face', async () => {
    const worker = sharedImageWorker();
    const detect = worker.defaultCrop;
    let asked = 0;
    worker.defaultCrop = (...args) => (asked++, detect(...args));
    try {
      const { file, face } = await banner();
      const el = await editor('center');
      expect(el.defaultCrop).to.equal('center');
      // openFile starts the detection (if any) before it resolves.
      expect(await el.openFile(file)).to.equal(true);
      await waitFor(() => el.currentCrop() !== null, 'the cropper shows the image');
      expect(holds(el.currentCrop(), face)).to.equal(false);
      expect(asked).to.equal(0);
    } finally {
      worker.defaultCrop = detect;
    }
  });
});
