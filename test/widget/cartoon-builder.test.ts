// The Photo | Cartoon tabs of <avatar-editor> and the cartoon builder, in real Chromium against the real
// avatar-server (started by the test runner). Keys are pressed through the browser (sendKeys), not dispatched.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarChangedDetail, AvatarErrorDetail } from '../../widget/events.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { newUser, server } from './server.ts';
import { waitFor } from './fixtures.ts';

type Config = Record<string, string>;

const OPTIONS_URL = `${server.url}/v1/avatar-config/options`;
/** The server's own option lists, to check the widget against. */
const { defaults, ...options } = (await (await fetch(OPTIONS_URL)).json()) as Record<string, string[]> & { defaults: Config };

async function editorFor(token: string, extra: Partial<AvatarEditor> = {}): Promise<AvatarEditor> {
  const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${token}></avatar-editor>`);
  Object.assign(el, extra);
  await el.updateComplete;
  return el;
}

const root = (el: AvatarEditor) => el.shadowRoot!;
const tabs = (el: AvatarEditor) => [...root(el).querySelectorAll<HTMLButtonElement>('[role="tab"]')];
const panel = (el: AvatarEditor, id: string) => root(el).querySelector<HTMLElement>(`#panel-${id}`)!;
const selectFor = (el: AvatarEditor, key: string) => root(el).querySelector<HTMLSelectElement>(`select[name="${key}"]`)!;
const button = (el: AvatarEditor, part: string) => root(el).querySelector<HTMLButtonElement>(`button[part~="${part}"]`)!;
const status = (el: AvatarEditor) => root(el).querySelector('[role="status"]')!.textContent!.trim();
const preview = (el: AvatarEditor) => root(el).querySelector<HTMLImageElement>('[part="cartoon-preview"]')!;
const previewConfig = (el: AvatarEditor): Config => Object.fromEntries(new URL(preview(el).src).searchParams);

/** What the controls show: each list's value and each swatch group's checked value. */
function shownConfig(el: AvatarEditor): Config {
  const shown: Config = {};
  for (const select of root(el).querySelectorAll('select')) shown[select.name] = select.value;
  for (const radio of root(el).querySelectorAll<HTMLInputElement>('input[type="radio"]:checked')) shown[radio.name] = radio.value;
  return shown;
}

const waitForBuilder = (el: AvatarEditor) => waitFor(() => root(el).querySelector('select[name="topType"]'), 'the cartoon options are shown');

const sameConfig = (a: Config, b: Config) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** The preview settles on what the controls show (it follows them after a short pause). */
const waitForPreviewOf = (el: AvatarEditor, config: Config) =>
  waitFor(() => sameConfig(previewConfig(el), config), `the preview shows ${JSON.stringify(config)}`);

/** Presses Tab until `target` has focus, as a keyboard user would. */
async function tabTo(el: AvatarEditor, target: () => Element | null, what: string) {
  for (let i = 0; i < 80; i++) {
    if (root(el).activeElement && root(el).activeElement === target()) return;
    await sendKeys({ press: 'Tab' });
  }
  throw new Error(`Tab never reached ${what}`);
}

/**
 * Chooses in the focused list from the keyboard: Enter opens its list of pictures, `keys` move in it, Enter takes
 * the one reached (the lists are customizable selects: arrows open them rather than change the value at once).
 */
async function pickWithKeys(...keys: string[]) {
  await sendKeys({ press: 'Enter' });
  for (const key of keys) await sendKeys({ press: key });
  await sendKeys({ press: 'Enter' });
}

/** Opens the Cartoon tab from the keyboard: focus the selected tab, then the right arrow. */
async function openCartoonTab(el: AvatarEditor) {
  tabs(el)[0]!.focus();
  await sendKeys({ press: 'ArrowRight' });
  await waitForBuilder(el);
}

describe('<avatar-editor> Photo and Cartoon tabs', () => {
  it('moves between the tabs with the arrow keys, Home and End, with only the selected tab in the tab order', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    const [photo, cartoon] = tabs(el) as [HTMLButtonElement, HTMLButtonElement];
    const state = () => ({
      selected: tabs(el).map((tab) => tab.getAttribute('aria-selected')),
      tabIndex: tabs(el).map((tab) => tab.tabIndex),
      hidden: [panel(el, 'photo').hidden, panel(el, 'cartoon').hidden],
      focused: root(el).activeElement?.id,
    });
    expect(root(el).querySelector('[role="tablist"]')!.getAttribute('aria-label')).to.equal('Profile picture');
    expect(photo.getAttribute('aria-controls')).to.equal('panel-photo');
    expect(panel(el, 'cartoon').getAttribute('aria-labelledby')).to.equal('tab-cartoon');
    expect(panel(el, 'cartoon').getAttribute('role')).to.equal('tabpanel');
    expect(root(el).querySelector('input[type="file"]'), 'the Photo tab shows the photo picker').to.exist;

    photo.focus();
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    expect(state()).to.deep.equal({ selected: ['false', 'true'], tabIndex: [-1, 0], hidden: [true, false], focused: 'tab-cartoon' });
    await sendKeys({ press: 'ArrowRight' }); // wraps around
    await el.updateComplete;
    expect(state()).to.deep.equal({ selected: ['true', 'false'], tabIndex: [0, -1], hidden: [false, true], focused: 'tab-photo' });
    await sendKeys({ press: 'End' });
    await el.updateComplete;
    expect(state().focused).to.equal('tab-cartoon');
    await sendKeys({ press: 'Home' });
    await el.updateComplete;
    expect(state().focused).to.equal('tab-photo');
    await sendKeys({ press: 'ArrowLeft' });
    await el.updateComplete;
    expect(state()).to.deep.equal({ selected: ['false', 'true'], tabIndex: [-1, 0], hidden: [true, false], focused: 'tab-cartoon' });
    expect(cartoon.textContent!.trim()).to.equal('Cartoon');
    await waitForBuilder(el);
    await expect(el).to.be.accessible();
  });

  it('builds a cartoon with the keyboard only, saves it as the avatar, and a new editor opens on it', async () => {
    const user = await newUser();
    const el = await editorFor(user.token);
    await openCartoonTab(el);
    expect(shownConfig(el), 'a new user starts from the defaults').to.deep.equal(defaults);
    await waitForPreviewOf(el, defaults);
    await expect(el).to.be.accessible();

    // A list: Enter opens it, the arrow key goes to the next hairdo, Enter takes it. No hair: no hair colour.
    const hairColours = () => root(el).querySelector<HTMLFieldSetElement>('input[name="hairColor"]')!.closest('fieldset')!;
    await tabTo(el, () => selectFor(el, 'topType'), 'the hairdo list');
    await pickWithKeys('ArrowDown');
    await waitFor(() => selectFor(el, 'topType').value === options.topType![1], 'the next hairdo is chosen');
    expect(options.topType![1]).to.equal('NoHair');
    await waitFor(() => hairColours().hidden, 'no hair colour to choose without hair');
    const longHair = options.topType!.indexOf('LongHairBigHair');
    await pickWithKeys(...Array<string>(longHair - 1).fill('ArrowDown'));
    await waitFor(() => selectFor(el, 'topType').value === 'LongHairBigHair' && !hairColours().hidden, 'long hair, and its colour to choose');
    // A swatch group: Tab lands on the checked swatch, the arrow key checks the next one.
    await tabTo(el, () => root(el).querySelector('input[name="hairColor"]:checked'), 'the hair colour swatches');
    await sendKeys({ press: 'ArrowRight' });
    await waitFor(() => shownConfig(el).hairColor === options.hairColor![1], 'the next hair colour is checked');
    await waitForPreviewOf(el, { ...defaults, topType: 'LongHairBigHair', hairColor: options.hairColor![1]! });

    const beforeRandom = shownConfig(el);
    await tabTo(el, () => button(el, 'randomize'), 'Randomize');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => !sameConfig(shownConfig(el), beforeRandom), 'Randomize changes the options');
    for (const [key, value] of Object.entries(shownConfig(el))) expect(options[key], key).to.include(value);
    // One more change after Randomize: the eyes list, two steps up from wherever Randomize left it.
    await tabTo(el, () => selectFor(el, 'eyeType'), 'the eyes list');
    const eyes = options.eyeType!;
    const eyesBefore = eyes.indexOf(selectFor(el, 'eyeType').value);
    await pickWithKeys(eyesBefore === 0 ? 'ArrowDown' : 'ArrowUp');
    await waitFor(() => selectFor(el, 'eyeType').value !== eyes[eyesBefore], 'another eye type is chosen');
    const chosen = shownConfig(el);
    await waitForPreviewOf(el, chosen);

    await tabTo(el, () => button(el, 'save'), 'Save');
    const changed = oneEvent(el, 'avatar-changed');
    await sendKeys({ press: 'Enter' });
    const detail = ((await changed) as CustomEvent<AvatarChangedDetail>).detail;
    expect(detail).to.include({ source: 'config', file_id: null, user_id: user.id });
    expect(detail.version).to.be.greaterThan(0);
    expect(Object.keys(detail.urls)).to.include.members(['64', '128', '256', '512']);
    expect(detail.url).to.equal(detail.urls['256']);
    const image = new Image();
    image.src = detail.urls['256']!;
    await image.decode();
    expect([image.naturalWidth, image.naturalHeight]).to.deep.equal([256, 256]);

    await el.updateComplete;
    expect(root(el).querySelector<HTMLImageElement>('[part="current-image"]')!.src).to.equal(detail.url);
    expect(status(el)).to.equal('Profile picture saved.');
    await expect(el).to.be.accessible();
    const me = await (await fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${user.token}` } })).json();
    expect(me.avatar.config, 'the server keeps exactly the options shown').to.deep.equal(chosen);

    el.remove();
    const again = await editorFor(user.token);
    await waitFor(() => tabs(again)[1]!.getAttribute('aria-selected') === 'true', 'a cartoon avatar opens on the Cartoon tab');
    await waitForBuilder(again);
    expect(shownConfig(again)).to.deep.equal(chosen);
    await waitForPreviewOf(again, chosen);
    expect(panel(again, 'photo').hidden).to.equal(true);
    await expect(again).to.be.accessible();
  });

  it('draws the preview in the chosen shape and follows the choice', async () => {
    const { token } = await newUser();
    const el = await editorFor(token, { shape: 'square' });
    await openCartoonTab(el);
    expect(getComputedStyle(preview(el)).borderRadius).to.equal('4px');
    await tabTo(el, () => selectFor(el, 'mouthType'), 'the mouth list');
    await pickWithKeys('ArrowDown', 'ArrowDown', 'ArrowDown');
    expect(selectFor(el, 'mouthType').value).to.equal(options.mouthType![3]);
    await waitForPreviewOf(el, { ...defaults, mouthType: options.mouthType![3]! });
    await waitFor(() => preview(el).complete && preview(el).naturalWidth > 0, 'the preview image loads');
    el.shape = 'circle';
    await el.updateComplete;
    expect(getComputedStyle(preview(el)).borderRadius).to.equal('50%');
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`has no axe violations in the ${scheme} theme: photo tab, cartoon tab, saved, and an error`, async () => {
      await emulateMedia({ colorScheme: scheme });
      try {
        const { token } = await newUser();
        const el = await editorFor(token);
        expect(getComputedStyle(el).backgroundColor).to.equal(scheme === 'dark' ? 'rgb(17, 24, 39)' : 'rgb(255, 255, 255)');
        await expect(el).to.be.accessible();
        await openCartoonTab(el);
        await expect(el).to.be.accessible();
        const changed = oneEvent(el, 'avatar-changed');
        button(el, 'save').click();
        await changed;
        await el.updateComplete;
        await expect(el).to.be.accessible();
        // An error in the status line (its colour differs by theme).
        el.token = `${token.slice(0, -4)}AAAA`;
        const failed = oneEvent(el, 'avatar-error');
        button(el, 'save').click();
        expect(((await failed) as CustomEvent<AvatarErrorDetail>).detail.code).to.equal('UNAUTHENTICATED');
        await el.updateComplete;
        expect(status(el)).to.equal(LOCALES.en!.errorAuth);
        await expect(el).to.be.accessible();
      } finally {
        await emulateMedia({ colorScheme: 'light' });
      }
    });
  }

  it('tells the user in their language when the server refuses the options (INVALID_AVATAR_CONFIG)', async () => {
    // The option list came from a server that still had a hairdo this one dropped (e.g. an older deploy).
    const realFetch = window.fetch;
    window.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      if (String(input instanceof Request ? input.url : input) !== OPTIONS_URL) return response;
      const stale = (await response.json()) as Record<string, string[]>;
      stale.topType = [...stale.topType!, 'RetiredHairdo'];
      return new Response(JSON.stringify(stale), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    try {
      const { token } = await newUser();
      const el = await editorFor(token, { lang: 'de' });
      await openCartoonTab(el);
      await tabTo(el, () => selectFor(el, 'topType'), 'the hairdo list');
      await pickWithKeys('End');
      await waitFor(() => selectFor(el, 'topType').value === 'RetiredHairdo', 'the retired hairdo is chosen');
      expect(selectFor(el, 'topType').selectedOptions[0]!.textContent!.trim()).to.equal('Retired hairdo');
      await tabTo(el, () => button(el, 'save'), 'Save');
      const failed = oneEvent(el, 'avatar-error');
      await sendKeys({ press: 'Enter' });
      const detail = ((await failed) as CustomEvent<AvatarErrorDetail>).detail;
      expect(detail).to.include({ code: 'INVALID_AVATAR_CONFIG', retryable: false });
      expect(detail.message, 'the event keeps the technical message').to.include('RetiredHairdo');
      await el.updateComplete;
      expect(status(el)).to.equal(LOCALES.de!.errorConfig);
      expect(root(el).querySelector('[role="status"]')!.classList.contains('error')).to.equal(true);
      expect(root(el).querySelector('[part="current"]')!.textContent).to.include(LOCALES.de!.none);
      await expect(el).to.be.accessible();
    } finally {
      window.fetch = realFetch;
    }
  });

  it('tells the user in their language when the server cannot be reached, and loads the options on Try again', async function () {
    this.timeout(40_000);
    const { token } = await newUser();
    const unreachable = 'http://127.0.0.1:9'; // the discard port: nothing listens there
    const el = await editorFor(token, { lang: 'fr', endpoint: unreachable });
    const failed = oneEvent(el, 'avatar-error');
    tabs(el)[0]!.focus();
    await sendKeys({ press: 'ArrowRight' });
    const detail = ((await failed) as CustomEvent<AvatarErrorDetail>).detail;
    expect(detail).to.include({ code: 'NETWORK_ERROR', retryable: true });
    expect(detail.message, 'the event keeps the technical message').not.to.equal(LOCALES.fr!.errorUnreachable);
    // The current-avatar call and the options call both fail, in either order (their retry delays are random);
    // Try again loads both again.
    await waitFor(() => root(el).querySelector('button[part~="retry"]'), 'the failure with Try again', 20_000);
    expect(status(el)).to.equal(LOCALES.fr!.errorUnreachable);
    expect(button(el, 'retry').textContent!.trim()).to.equal(LOCALES.fr!.retry);
    await expect(el).to.be.accessible();

    // A server that fails every try of both loads (4 each), then answers: the new endpoint loads again by
    // itself, fails, and Try again loads both.
    el.endpoint = `${location.origin}/__flaky/8/${Math.random().toString(36).slice(2)}`;
    await waitFor(() => status(el) === LOCALES.fr!.errorServer && root(el).querySelector('button[part~="retry"]'), 'the proxy’s failure with Try again', 20_000);
    await tabTo(el, () => button(el, 'retry'), 'Try again');
    await sendKeys({ press: 'Enter' });
    await waitForBuilder(el);
    expect(shownConfig(el)).to.deep.equal(defaults);
    expect(selectFor(el, 'accessoriesType').selectedOptions[0]!.textContent!.trim(), '"Blank" reads as "none"').to.equal(LOCALES.fr!.noOption);

    // Saving while the server is unreachable fails the same way (after the client's retries).
    el.endpoint = unreachable;
    const saveFailed = oneEvent(el, 'avatar-error');
    button(el, 'save').click();
    expect(((await saveFailed) as CustomEvent<AvatarErrorDetail>).detail.code).to.equal('NETWORK_ERROR');
    await el.updateComplete;
    expect(status(el)).to.equal(LOCALES.fr!.errorUnreachable);
    // The new endpoint's current-avatar call fails as well (and says so first); Save comes back once its own call gives up.
    await waitFor(() => button(el, 'save').getAttribute('aria-disabled') === 'false', 'Save is offered again', 15_000);
    expect(status(el)).to.equal(LOCALES.fr!.errorUnreachable);
  });
});
