// The cartoon builder as issue 18 §3 asks for it, in Chromium against the real server: the preview follows a change
// at once (no fixed pause), stays in view on a phone while the options scroll, option names read in the user's
// language, options that change nothing with the current choices are hidden (a value that draws nothing is
// disabled), and each choice of a list shows a small picture: the drawing with it, the preview's own URL.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';

async function builder(lang = 'en') {
  const { token } = await newUser();
  const el = await fixture<AvatarEditor>(html`<avatar-editor lang=${lang} .endpoint=${server.url} .token=${token}></avatar-editor>`);
  const root = el.shadowRoot!;
  root.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
  await waitFor(() => root.querySelector('select[name="topType"]'), 'the cartoon options');
  const select = (key: string) => root.querySelector<HTMLSelectElement>(`select[name="${key}"]`)!;
  const group = (key: string) => (root.querySelector(`[name="${key}"]`)!.closest('label, fieldset') as HTMLElement);
  const preview = () => root.querySelector<HTMLImageElement>('[part="cartoon-preview"]')!;
  const choose = async (key: string, value: string) => {
    select(key).value = value;
    select(key).dispatchEvent(new Event('change'));
    await el.updateComplete;
  };
  return { el, root, select, group, preview, choose };
}

const param = (url: string, key: string) => new URL(url).searchParams.get(key);

describe('the cartoon builder', () => {
  it('points the preview at the new drawing in the render that follows the change, with no pause', async () => {
    const { preview, choose } = await builder();
    await choose('mouthType', 'Smile');
    expect(param(preview().src, 'mouthType')).to.equal('Smile');
    await choose('mouthType', 'Tongue');
    expect(param(preview().src, 'mouthType')).to.equal('Tongue');
    await waitFor(() => preview().complete && preview().naturalWidth > 0, 'the drawing loads');
  });

  it('names the options in the user’s language', async () => {
    const de = await builder('de');
    expect(de.select('topType').querySelector('option[value="Hat"]')!.textContent!.trim()).to.equal('Hut');
    expect(de.select('clotheType').querySelector('option[value="Hoodie"]')!.textContent!.trim()).to.equal('Kapuzenpulli');
    expect(de.select('accessoriesType').querySelector('option[value="Blank"]')!.textContent!.trim()).to.equal(LOCALES.de!.noOption);
    expect(de.root.querySelector('input[name="hairColor"][value="Blonde"]')!.getAttribute('aria-label')).to.equal('Blond');
    const fr = await builder('fr');
    expect(fr.select('accessoriesType').querySelector('option[value="Sunglasses"]')!.textContent!.trim()).to.equal('Lunettes de soleil');
  });

  it('hides what changes nothing: hat colour without a hat, shirt print without a printed shirt, beard colour without a beard', async () => {
    const { el, group, choose, select } = await builder();
    expect(group('hatColor').hidden, 'no hat by default').to.equal(true);
    expect(group('graphicType').hidden, 'a plain shirt by default').to.equal(true);
    expect(group('facialHairColor').hidden, 'no beard by default').to.equal(true);
    expect(group('hairColor').hidden).to.equal(false);
    await choose('topType', 'WinterHat1');
    expect(group('hatColor').hidden).to.equal(false);
    expect(group('hairColor').hidden, 'a winter hat hides the hair').to.equal(true);
    await choose('clotheType', 'GraphicShirt');
    expect(group('graphicType').hidden).to.equal(false);
    await choose('clotheType', 'BlazerShirt');
    expect(group('clotheColor').hidden, 'a blazer has its own colour').to.equal(true);
    await choose('facialHairType', 'BeardMedium');
    expect(group('facialHairColor').hidden).to.equal(false);
    await choose('topType', 'Eyepatch');
    const disabled = [...select('accessoriesType').options].filter((o) => o.disabled).map((o) => o.value);
    expect(disabled, 'an eyepatch takes the glasses’ place').to.have.members(['Kurt', 'Prescription01', 'Prescription02', 'Round', 'Sunglasses', 'Wayfarers']);
    await expect(el).to.be.accessible();
  });

  it('shows a small picture of each choice: the drawing with it, which becomes the preview when chosen', async () => {
    const { select, preview, choose } = await builder();
    const hair = select('topType');
    for (const option of hair.options) {
      const picture = option.querySelector('img')!;
      expect(param(picture.src, 'topType'), option.value).to.equal(option.value);
      expect(picture.getAttribute('alt'), 'the option’s words name it').to.equal('');
    }
    hair.focus();
    await sendKeys({ press: 'Enter' }); // opens the list: its pictures load
    expect(hair.matches(':open')).to.equal(true);
    const bob = hair.querySelector<HTMLImageElement>('option[value="LongHairBob"] img')!;
    await bob.decode();
    const bobPicture = bob.src;
    await sendKeys({ press: 'Escape' });
    await choose('topType', 'LongHairBob');
    expect(preview().src, 'the preview is the picture already seen').to.equal(bobPicture);
    expect(hair.querySelector('button img')!.getAttribute('src'), 'the closed list shows the choice’s picture').to.equal(bobPicture);
  });

  it('keeps the preview in view on a phone while the options scroll by', async () => {
    await setViewport({ width: 375, height: 700 });
    try {
      const { root, preview } = await builder();
      await waitFor(() => preview().complete, 'the preview');
      const last = root.querySelector('input[name="frame"], select[name="frame"]')!;
      last.scrollIntoView({ block: 'end' });
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const box = preview().getBoundingClientRect();
      expect(last.getBoundingClientRect().top, 'the page has scrolled past where the preview was').to.be.above(box.bottom);
      expect(box.top, 'the preview is at the top of the screen').to.be.within(-1, 20);
      expect(box.height).to.be.above(60);
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });
});
