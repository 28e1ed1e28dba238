// The theme attribute (issue 18 §1.12): light, dark, or auto, where auto follows the host page's color-scheme
// when the page sets one and the system's otherwise. Both modes, in real Chromium.
import { expect, fixture, html, nextFrame } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { look, screenshot } from './browser.ts';
import { pixelAt } from './fixtures.ts';
import { server } from './server.ts';

const LIGHT = 'rgb(255, 255, 255)';
const DARK = 'rgb(17, 24, 39)';
const background = (el: Element) => getComputedStyle(el).backgroundColor;

async function editor(theme?: string, mode = 'avatar') {
  const el = await fixture<AvatarEditor>(html`<avatar-editor mode=${mode} theme=${theme ?? 'auto'} .endpoint=${server.url}></avatar-editor>`);
  await el.updateComplete;
  // The page's colour scheme is read in the frame that first paints the element (not before: see _followPageScheme).
  await nextFrame();
  return el;
}

describe('<avatar-editor> theme', () => {
  afterEach(async () => {
    document.documentElement.style.colorScheme = '';
    await emulateMedia({ colorScheme: 'light' });
  });

  it('defaults to auto, reflected as an attribute', async () => {
    const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url}></avatar-editor>`);
    expect(el.theme).to.equal('auto');
    el.theme = 'dark';
    await el.updateComplete;
    expect(el.getAttribute('theme')).to.equal('dark');
  });

  it('auto follows the system on a page that sets no colour scheme', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    expect(background(await editor())).to.equal(DARK);
    await emulateMedia({ colorScheme: 'light' });
    expect(background(await editor())).to.equal(LIGHT);
  });

  it('auto honours the page’s color-scheme over the system’s, and follows the page when it switches', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    document.documentElement.style.colorScheme = 'light';
    const el = await editor();
    expect(background(el), 'a light page on a dark system').to.equal(LIGHT);
    // What is painted, too (the page's scheme is read in the first frame, before the paint).
    const painted = await screenshot(el.getBoundingClientRect());
    expect(pixelAt(painted, 2, 2).slice(0, 3), 'painted light').to.deep.equal([255, 255, 255]);
    await look(el, 'theme-auto-light-page-dark-system');
    await expect(el, 'a light page on a dark system').to.be.accessible();
    document.documentElement.style.colorScheme = 'dark';
    expect(background(el), 'the page switched to dark').to.equal(DARK);
    await emulateMedia({ colorScheme: 'light' });
    expect(background(el), 'a dark page on a light system').to.equal(DARK);
    await expect(el, 'a dark page on a light system').to.be.accessible();
    document.documentElement.style.colorScheme = 'light dark';
    expect(background(el), 'a page that takes either follows the system').to.equal(LIGHT);
  });

  it('light and dark win over both the page and the system, in both modes', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    document.documentElement.style.colorScheme = 'dark';
    expect(background(await editor('light'))).to.equal(LIGHT);
    await emulateMedia({ colorScheme: 'light' });
    document.documentElement.style.colorScheme = 'light';
    const dark = await editor('dark');
    expect(background(dark)).to.equal(DARK);
    const emotes = await editor('dark', 'emote');
    const panel = emotes.shadowRoot!.querySelector('avatar-emote-panel')!;
    expect(background(panel), 'the emote panel follows its editor').to.equal(DARK);
    const upload = panel.shadowRoot!.querySelector('[part~="upload"]')!;
    expect(getComputedStyle(upload).backgroundColor, 'the accent has its dark tone').to.equal('rgb(96, 165, 250)');
    dark.theme = 'light';
    await dark.updateComplete;
    expect(background(dark)).to.equal(LIGHT);
  });
});
