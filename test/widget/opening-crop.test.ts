// The crop a new photo opens on (widget/opening-crop.ts): the editor opens the crop view on it and the image
// worker starts encoding it before the view exists, so both must agree to the pixel, in real Chromium: the rule
// is the default crop rule's centred square, the crop view shows exactly that crop in both kinds of window, and
// the worker's render of it is the one Save gets.
import { expect, fixture, html } from '@open-wc/testing';
import { centredSquare, type DefaultCrop } from '../../media/default-crop/rule.ts';
import '../../widget/crop-area.ts';
import type { CropArea } from '../../widget/crop-area.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { openingCrop } from '../../widget/opening-crop.ts';
import { createImageSession } from '../../widget/worker/image-session.ts';
import { quadrantsPng } from './fixtures.ts';

const SIZES: Array<[number, number]> = [[600, 400], [601, 400], [400, 601], [3001, 2000], [4000, 3000], [333, 333], [7, 4], [1, 90]];

describe('the crop a new photo opens on', () => {
  it('is the default crop rule’s centred largest square when no better crop was found', () => {
    for (const [width, height] of SIZES) {
      const size = { width, height };
      expect(openingCrop(size, null), `${width}×${height}`).to.deep.equal(centredSquare(size));
      expect(openingCrop(size, { crop: { x: 1, y: 1, w: 2, h: 2 }, source: 'center' }), `${width}×${height}, centre found`).to.deep.equal(centredSquare(size));
    }
  });

  it('is the default crop found around a face or the subject', () => {
    const face: DefaultCrop = { crop: { x: 10, y: 20, w: 300, h: 300 }, source: 'face' };
    const subject: DefaultCrop = { crop: { x: 0, y: 0, w: 400, h: 400 }, source: 'saliency' };
    expect(openingCrop({ width: 600, height: 400 }, face)).to.deep.equal(face.crop);
    expect(openingCrop({ width: 600, height: 400 }, subject)).to.deep.equal(subject.crop);
  });

  for (const kind of ['round, fixed window', 'square, resizable window'] as const) {
    it(`is shown by the crop view to the pixel (${kind})`, async () => {
      for (const [width, height] of [[601, 400], [400, 601], [3001, 2000]] as const) {
        const url = URL.createObjectURL(await quadrantsPng(width, height));
        const crop = openingCrop({ width, height }, null);
        const round = kind.startsWith('round');
        const area = await fixture<CropArea>(
          html`<avatar-crop-area style="display:block;width:420px" .src=${url} .text=${LOCALES.en!} .initial=${crop} ?round=${round} ?resizable=${!round} square transforms></avatar-crop-area>`,
        );
        expect(await area.ready, 'the image loads').to.equal(true);
        expect(area.crop(), `${width}×${height}`).to.deep.equal(crop);
        URL.revokeObjectURL(url);
      }
    });
  }

  it('is encoded by the worker as soon as the photo is decoded, and Save asking for it gets that render', async () => {
    const session = createImageSession();
    const photo = await quadrantsPng(601, 400);
    await session.open(1, photo);
    const prepared = await session.prepareOpening(1, photo, 200, null);
    // Save builds its options anew, with the crop the view reads (its members in whatever order).
    const { x, y, w, h } = openingCrop({ width: 601, height: 400 }, null);
    const atSave = await session.process(photo, { outputSize: 200, crop: { w, h, y, x } }, 1);
    expect(atSave, 'the same render, not a second one').to.equal(prepared);
  });

  it('waits for the default crop, and gives way to a crop the person chose meanwhile', async () => {
    const session = createImageSession();
    const photo = await quadrantsPng(600, 400);
    await session.open(1, photo);
    const face: DefaultCrop = { crop: { x: 300, y: 100, w: 200, h: 200 }, source: 'face' };
    const prepared = await session.prepareOpening(1, photo, 100, async () => face);
    expect(await session.process(photo, { crop: face.crop, outputSize: 100 }, 1), 'the face crop, rendered ahead').to.equal(prepared);

    // The person moves the crop while the default crop is being found (after the call, before its answer).
    const late = session.prepareOpening(1, photo, 100, async () => ({ crop: { x: 200, y: 0, w: 400, h: 400 }, source: 'face' }));
    const chosen = session.process(photo, { crop: { x: 0, y: 0, w: 100, h: 100 }, outputSize: 100 }, 1, true);
    expect(await late, 'not started over the person’s crop').to.equal(null);
    expect((await chosen).width, 'the person’s crop is rendered').to.equal(100);
  });
});
