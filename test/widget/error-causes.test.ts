// What the user is told when something fails (issue 18 §1.6, §1.7, §1.11): the real cause (a server that does not
// answer is not "check your connection"), a refused token stops picking at once, a retryable error offers Try
// again, an emote over the frame limit says so with the numbers, the message sits by the Upload button on a
// phone, the next file gets its own shortcode, and a status line from an earlier action goes when the next starts.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { LOCALES, format } from '../../widget/i18n.ts';
import { animatedGif, waitFor } from './fixtures.ts';
import { newUser, server, tokenFor } from './server.ts';
import { avatarEditor, choose, flakyEndpoint, pngFile, STOPPED_SERVER } from './user-actions.ts';

const en = LOCALES.en!;
const de = LOCALES.de!;
async function emoteEditor(token: string) {
  const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" .endpoint=${server.url} .token=${token}></avatar-editor>`);
  await el.updateComplete;
  const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  const root = panel.shadowRoot!;
  return {
    el,
    panel,
    root,
    status: () => root.querySelector('[part="status"]')!.textContent!.trim(),
    fileInput: () => root.querySelector<HTMLInputElement>('input[type="file"]')!,
    shortcode: () => root.querySelector<HTMLInputElement>('input[name="shortcode"]')!,
  };
}

const tampered = async () => `${(await tokenFor((await newUser()).id)).slice(0, -4)}AAAA`;

describe('the real cause, and what the user can do about it', () => {
  it('a stopped server: “not answering”, in the user’s language, with Try again', async function () {
    this.timeout(30_000);
    const { el, status, button } = await avatarEditor((await newUser()).token, { endpoint: STOPPED_SERVER, lang: 'de' });
    const failed = oneEvent(el, 'avatar-error');
    expect((await failed).detail).to.include({ code: 'NETWORK_ERROR', retryable: true });
    await el.updateComplete;
    expect(status()).to.equal(de.errorUnreachable);
    expect(status()).not.to.equal(de.errorOffline);
    expect(button('retry')?.textContent?.trim()).to.equal(de.retry);
    await expect(el).to.be.accessible();
  });

  it('a retryable failure offers Try again, which does it again; a refusal of the file does not', async function () {
    this.timeout(30_000);
    const { el, status, button } = await avatarEditor((await newUser()).token);
    await el.openFile(await pngFile());
    await waitFor(() => el.currentCrop(), 'the crop area');
    el.endpoint = flakyEndpoint(4 + 4); // the new endpoint's reload and the save each use up four tries
    await waitFor(() => button('retry'), 'the reload’s failure');
    await el.save();
    expect(status()).to.equal(en.errorServer);
    const changed = oneEvent(el, 'avatar-changed');
    button('retry')!.click();
    await changed;
    await el.updateComplete;
    expect(status()).to.equal(en.saved);
    expect(Boolean(button('retry')), 'no Try again').to.equal(false);

    await el.openFile(new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }));
    await el.updateComplete;
    expect(status()).to.equal(en.errorType);
    expect(Boolean(button('retry')), 'trying the same file again cannot help').to.equal(false);
  });

  it('a refused token: picking is off from the start, with that message; a new token turns it back on', async () => {
    const user = await newUser();
    const { el, root, status, button } = await avatarEditor(await tampered());
    await waitFor(() => status() === en.errorAuth, 'the refusal');
    const pickers = [...root.querySelectorAll<HTMLInputElement>('[part="dropzone"] input, [part="dropzone"] button')];
    expect(pickers.length).to.be.above(0);
    expect(pickers.every((picker) => picker.disabled), 'every way to pick a photo is off').to.equal(true);
    const refused = oneEvent(el, 'avatar-error');
    expect(await el.openFile(await pngFile()), 'a drop or a paste is refused too').to.equal(false);
    expect((await refused).detail.code).to.equal('UNAUTHENTICATED');
    await el.updateComplete;
    expect(root.querySelectorAll('avatar-crop-area').length).to.equal(0);
    expect(status()).to.equal(en.errorAuth);
    expect(Boolean(button('retry')), 'trying again with the same token cannot help').to.equal(false);
    await expect(el).to.be.accessible();

    el.token = user.token;
    await waitFor(() => !root.querySelector<HTMLInputElement>('input[type="file"]')!.disabled && status() === '', 'picking is back');
  });

  it('emote mode: a refused token disables choosing a file and lists nothing', async () => {
    const { el, root, status, fileInput } = await emoteEditor(await tampered());
    await waitFor(() => status() === en.errorAuth, 'the refusal');
    expect(fileInput().disabled).to.equal(true);
    expect(root.textContent).not.to.include(en.noEmotes);
    expect(await el.openFile(await pngFile())).to.equal(false);
  });
});

describe('emote failures: which limit, where the user looks, the right shortcode', () => {
  afterEach(() => setViewport({ width: 800, height: 600 }));

  it('an animation over the frame limit is refused before uploading, with the numbers, next to Upload at 375 px', async () => {
    await setViewport({ width: 375, height: 700 });
    const { el, root, status, fileInput } = await emoteEditor((await newUser()).token);
    await waitFor(() => root.querySelector('[part="quota"]'), 'the list');
    const refused = oneEvent(el, 'avatar-error');
    choose(fileInput(), new File([animatedGif(210)], 'party.gif', { type: 'image/gif' }));
    const detail = (await refused).detail;
    expect(detail.code).to.equal('IMAGE_TOO_LARGE');
    await el.updateComplete;
    expect(status()).to.equal(format(en.errorFrames, { frames: 210, maxFrames: 200 }));
    expect(root.querySelectorAll('avatar-crop-area').length, 'nothing to crop').to.equal(0);
    const upload = root.querySelector('[part~="upload"]')!.getBoundingClientRect();
    const message = root.querySelector('[part="status"]')!.getBoundingClientRect();
    expect(message.top - upload.bottom, 'the message is right under Upload').to.be.within(0, 48);
    await expect(el).to.be.accessible();
  });

  it('a shortcode made from one file’s name is replaced by the next file’s; a typed one stays', async () => {
    const { root, fileInput, shortcode } = await emoteEditor((await newUser()).token);
    await waitFor(() => root.querySelector('[part="quota"]'), 'the list');
    choose(fileInput(), await pngFile('party_cat.png', 40, 40));
    await waitFor(() => shortcode().value === 'party_cat', 'the first file’s shortcode');
    choose(fileInput(), await pngFile('wave.png', 40, 40));
    await waitFor(() => shortcode().value === 'wave', 'the next file’s shortcode');
    shortcode().value = 'my_wave';
    shortcode().dispatchEvent(new InputEvent('input'));
    choose(fileInput(), await pngFile('other.png', 40, 40));
    await waitFor(() => root.querySelector('[part~="choose"]')!.textContent!.includes('other.png'), 'the third file');
    expect(shortcode().value).to.equal('my_wave');
  });
});

describe('a status line belongs to the action that set it', () => {
  it('avatar mode: “saved” goes when the Cartoon tab opens; the cartoon’s “saved” goes with the next change', async () => {
    const { el, root, status } = await avatarEditor((await newUser()).token);
    await el.openFile(await pngFile());
    await waitFor(() => el.currentCrop(), 'the crop area');
    await el.save();
    expect(status()).to.equal(en.saved);
    root.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
    await el.updateComplete;
    expect(status()).to.equal('');
    await waitFor(() => root.querySelector('select[name="topType"]'), 'the cartoon options');
    await el.save();
    await el.updateComplete;
    expect(status()).to.equal(en.saved);
    const hair = root.querySelector<HTMLSelectElement>('select[name="topType"]')!;
    hair.selectedIndex = 2;
    hair.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(status()).to.equal('');
  });

  it('emote mode: an earlier error goes when the upload starts', async () => {
    const { panel, root, status, fileInput, shortcode } = await emoteEditor((await newUser()).token);
    await waitFor(() => root.querySelector('[part="quota"]'), 'the list');
    choose(fileInput(), new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }));
    await waitFor(() => status() === en.errorType, 'the refusal');
    choose(fileInput(), await pngFile('fine.png', 40, 40));
    await waitFor(() => shortcode().value === 'fine', 'the next file');
    expect(status()).to.equal('');
    const created = oneEvent(panel, 'emote-created');
    root.querySelector<HTMLButtonElement>('[part~="upload"]')!.click();
    await panel.updateComplete;
    expect(status(), 'while uploading').to.be.oneOf([en.uploading, en.waiting]);
    await created;
  });
});
