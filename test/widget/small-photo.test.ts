// Small photos (issue 18 §1.10): the crop opens on the largest centred square, so nothing is cut off by default,
// and a crop smaller than the size hosts show an avatar at (256 px, or a smaller output-size) says it will look
// blurry. The server's variants show what was uploaded.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { LOCALES, format } from '../../widget/i18n.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';
import { pngFile } from './user-actions.ts';

/** The warning's words (its ⚠ is hidden from screen readers). */
const warning = (el: AvatarEditor) => el.shadowRoot!.querySelector('[part="warning"]')?.textContent?.replace('⚠', '').trim() ?? null;

async function editor(outputSize = 1600, lang = 'en') {
  const { token } = await newUser();
  const el = await fixture<AvatarEditor>(html`<avatar-editor lang=${lang} output-size=${outputSize} .endpoint=${server.url} .token=${token}></avatar-editor>`);
  await el.updateComplete;
  return el;
}

describe('small photos', () => {
  it('a 50×50 photo is kept whole, said to look blurry, and uploaded at 50×50', async () => {
    const el = await editor();
    await el.openFile(await pngFile('tiny.png', 50, 50));
    await waitFor(() => warning(el), 'the warning');
    expect(el.currentCrop()).to.include({ x: 0, y: 0, w: 50, h: 50 });
    expect(warning(el)).to.equal(format(LOCALES.en!.smallPhoto, { size: 50 }));
    await expect(el).to.be.accessible();
    const saved = oneEvent(el, 'avatar-changed');
    await el.save();
    const { urls } = (await saved).detail;
    const bitmap = await createImageBitmap(await (await fetch(urls['cropped']!)).blob());
    expect([bitmap.width, bitmap.height]).to.deep.equal([50, 50]);
  });

  it('a large photo opens on its largest centred square, with no warning', async () => {
    const el = await editor();
    await el.openFile(await pngFile('wide.png', 600, 400));
    await waitFor(() => el.currentCrop()?.w === 400, 'the default crop');
    expect(el.currentCrop()).to.include({ x: 100, y: 0, w: 400, h: 400 });
    expect(warning(el)).to.equal(null);
  });

  it('the threshold is the smaller of 256 px and output-size, and the warning follows the crop (in German)', async () => {
    const el = await editor(128, 'de');
    await el.openFile(await pngFile('small.png', 200, 200));
    await waitFor(() => el.currentCrop()?.w === 200, 'the default crop');
    expect(warning(el), '200 px is enough for a 128 px avatar').to.equal(null);
    el.shadowRoot!.querySelector('avatar-crop-area')!.shadowRoot!.querySelector<HTMLElement>('[part="cropper"]')!.focus();
    for (let i = 0; i < 8; i++) await sendKeys({ press: '+' });
    await waitFor(() => warning(el), 'the warning once the crop is under 128 px');
    expect(warning(el)).to.equal(format(LOCALES.de!.smallPhoto, { size: el.currentCrop()!.w }));
  });
});
