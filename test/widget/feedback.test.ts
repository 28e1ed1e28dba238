// What the user is told and where focus goes, in both modes, against the real avatar-server: files that are
// not images stop before the crop step, errors read in the user's language (the technical text stays in the
// event), a bad token or a refused origin shows on load, focus never falls to <body>, and a pending upload
// resumes by itself after a reload.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import type { AvatarChangedDetail, AvatarErrorDetail } from '../../widget/events.ts';
import { loadDraft, saveDraft } from '../../widget/drafts.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { newUser, server, tokenFor } from './server.ts';
import { waitFor } from './fixtures.ts';

async function png(name = 'photo.png', width = 600, height = 400): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#e11d48';
  ctx.fillRect(0, 0, width, height);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

/** A text file that claims to be a PNG (as the browser says for any *.png). */
const notAnImage = () => new File(['this is not an image at all'], 'fake.png', { type: 'image/png' });

function choose(input: HTMLInputElement, file: File) {
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

const de = LOCALES.de!;
const fr = LOCALES.fr!;
const status = (root: ShadowRoot) => root.querySelector('[part="status"]')!.textContent!.trim();
/** Focus is on the crop area's stage (inside <avatar-crop-area>). */
const cropFocused = (root: ShadowRoot) => root.activeElement?.localName === 'avatar-crop-area' && root.activeElement.shadowRoot!.activeElement?.getAttribute('part') === 'cropper';
const flaky = (failures: number) => `${location.origin}/__flaky/${failures}/${Math.random().toString(36).slice(2)}`;

/**
 * Counts uncaught errors and unhandled rejections on the page while `run` handles `file`, and until a control
 * `<img>` given the same file has failed to decode: an image or decode the widget started on it would have
 * failed by then too, so its late error is counted rather than missed.
 */
async function pageErrors(file: File, run: () => Promise<void>): Promise<string[]> {
  const errors: string[] = [];
  const onError = (event: ErrorEvent) => errors.push(event.message);
  const onRejection = (event: PromiseRejectionEvent) => errors.push(String(event.reason));
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  try {
    await run();
    const control = new Image();
    control.src = URL.createObjectURL(file);
    const decoded = await control.decode().then(() => true, () => false);
    URL.revokeObjectURL(control.src);
    expect(decoded, 'the control image of the same file').to.equal(false);
  } finally {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  }
  return errors;
}

async function editor(token: string, lang = 'en', endpoint = server.url) {
  const el = await fixture<AvatarEditor>(html`<avatar-editor lang=${lang} .endpoint=${endpoint} .token=${token}></avatar-editor>`);
  await el.updateComplete;
  return el;
}

async function emotePanel(token: string, lang = 'en') {
  const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" lang=${lang} .endpoint=${server.url} .token=${token}></avatar-editor>`);
  const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  await waitFor(() => panel.shadowRoot!.querySelector('[part="quota"]'), 'the quota');
  return { el, panel, root: panel.shadowRoot! };
}

describe('a file that is not an image', () => {
  it('avatar mode: refused in the worker before the crop step, in the user’s language, with no page error', async () => {
    const el = await editor((await newUser()).token, 'de');
    let detail: AvatarErrorDetail | undefined;
    el.addEventListener('avatar-error', (e) => (detail = e.detail));
    const file = notAnImage();
    const errors = await pageErrors(file, async () => {
      expect(await el.openFile(file)).to.equal(false);
      await el.updateComplete;
    });
    expect(errors).to.deep.equal([]);
    expect(detail?.code).to.equal('IMAGE_INVALID');
    expect(el.shadowRoot!.querySelectorAll('avatar-crop-area').length).to.equal(0);
    expect(status(el.shadowRoot!)).to.equal(de.errorDecode);
  });

  it('emote mode: the same', async () => {
    const { el, panel, root } = await emotePanel((await newUser()).token, 'fr');
    const file = notAnImage();
    const errors = await pageErrors(file, async () => {
      const refused = oneEvent(el, 'avatar-error');
      choose(root.querySelector('input[type="file"]')!, file);
      expect((await refused).detail.code).to.equal('IMAGE_INVALID');
      await panel.updateComplete;
    });
    expect(errors).to.deep.equal([]);
    expect(root.querySelectorAll('avatar-crop-area').length).to.equal(0);
    expect(status(root)).to.equal(fr.errorDecode);
  });
});

describe('errors the server or the network report', () => {
  it('a bad token shows as soon as the editor loads, in German; the event keeps the server’s words', async () => {
    const user = await newUser();
    const tampered = `${(await tokenFor(user.id)).slice(0, -4)}AAAA`;
    const errored = new Promise<AvatarErrorDetail>((resolve) => document.addEventListener('avatar-error', (e) => resolve(e.detail), { once: true }));
    const el = await editor(tampered, 'de');
    const detail = await errored;
    expect(detail.code).to.equal('UNAUTHENTICATED');
    expect(detail.message).not.to.equal(de.errorAuth);
    await el.updateComplete;
    expect(status(el.shadowRoot!)).to.equal(de.errorAuth);
  });

  it('emote mode: a bad token reads in French on load', async () => {
    const user = await newUser();
    const tampered = `${(await tokenFor(user.id)).slice(0, -4)}AAAA`;
    const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" lang="fr" .endpoint=${server.url} .token=${tampered}></avatar-editor>`);
    const root = el.shadowRoot!.querySelector('avatar-emote-panel')!.shadowRoot!;
    await waitFor(() => status(root) === fr.errorAuth, 'the localized refusal');
  });

  it('a server that refuses this page’s origin (CORS) is reported as such, not as offline', async () => {
    // This page's own server under another host name: reachable, but it sends no CORS headers.
    const otherHost = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const endpoint = `${location.protocol}//${otherHost}:${location.port}`;
    const errored = new Promise<AvatarErrorDetail>((resolve) => document.addEventListener('avatar-error', (e) => resolve(e.detail), { once: true }));
    const el = await editor((await newUser()).token, 'de', endpoint);
    expect((await errored).code).to.equal('CORS_REFUSED');
    await el.updateComplete;
    expect(status(el.shadowRoot!)).to.equal(de.errorCors);
  });

  it('a server that does not answer says so (not “check your connection”), in the user’s language', async function () {
    this.timeout(30_000);
    const errored = new Promise<AvatarErrorDetail>((resolve) => document.addEventListener('avatar-error', (e) => resolve(e.detail), { once: true }));
    const el = await editor((await newUser()).token, 'de', 'http://127.0.0.1:9');
    expect((await errored).code).to.equal('NETWORK_ERROR');
    await el.updateComplete;
    expect(status(el.shadowRoot!)).to.equal(de.errorUnreachable);
  });

  it('sizes use the locale’s decimal separator', async () => {
    const el = await editor((await newUser()).token, 'de');
    el.maxBytes = 1.5 * 1024 * 1024;
    await el.openFile(new File([new Uint8Array(2 * 1024 * 1024)], 'big.png', { type: 'image/png' }));
    await el.updateComplete;
    expect(status(el.shadowRoot!)).to.include('1,5 MB');
  });
});

describe('focus after each step', () => {
  it('avatar mode: choosing a file focuses the crop area; Save, Cancel and Remove the file button', async () => {
    const el = await editor((await newUser()).token);
    el.outputSize = 128;
    const root = el.shadowRoot!;
    const fileInput = () => root.querySelector<HTMLInputElement>('input[type="file"]');
    choose(fileInput()!, await png());
    await waitFor(() => cropFocused(root), 'the crop area has focus');

    const changed = oneEvent(el, 'avatar-changed');
    root.querySelector<HTMLButtonElement>('button[part~="save"]')!.click();
    await changed;
    await waitFor(() => root.activeElement === fileInput(), 'the file button has focus after Save');
    expect(status(root)).to.equal(LOCALES.en!.saved);

    await el.openFile(await png());
    await waitFor(() => cropFocused(root), 'the crop area again');
    root.querySelector<HTMLButtonElement>('button[part~="cancel"]')!.click();
    await waitFor(() => root.activeElement === fileInput(), 'the file button has focus after Cancel');

    const removed = oneEvent(el, 'avatar-removed');
    root.querySelector<HTMLButtonElement>('button[part~="remove"]')!.click();
    await removed;
    await waitFor(() => root.activeElement === fileInput(), 'the file button has focus after Remove');
    expect(status(root)).to.equal(LOCALES.en!.removed);
  });

  it('emote mode: choosing focuses the crop area; creating, cancelling and deleting the file button', async () => {
    const { panel, root } = await emotePanel((await newUser()).token);
    const fileInput = () => root.querySelector<HTMLInputElement>('input[type="file"]')!;
    choose(fileInput(), await png('wave.png', 60, 30));
    await waitFor(() => cropFocused(root), 'the crop area has focus');
    root.querySelector<HTMLButtonElement>('button[part~="cancel"]')!.click();
    await waitFor(() => root.activeElement === fileInput(), 'the file button after Cancel');

    choose(fileInput(), await png('wave.png', 60, 30));
    await waitFor(() => cropFocused(root), 'the crop area again');
    const created = oneEvent(panel, 'emote-created');
    root.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await created;
    await waitFor(() => root.activeElement === fileInput(), 'the file button after creating');

    await waitFor(() => root.querySelector('[part~="delete"]'), 'the listed emote');
    const deleted = oneEvent(panel, 'emote-deleted');
    root.querySelector<HTMLButtonElement>('[part~="delete"]')!.click();
    await deleted;
    await waitFor(() => root.activeElement === fileInput(), 'the file button after deleting');
  });
});

describe('a pending upload after a reload', () => {
  it('Save marks the draft pending at once, so a reload mid-upload knows it was saving', async () => {
    const user = await newUser();
    const el = await editor(user.token, 'en', flaky(2)); // two 503s first: the upload takes a while
    el.outputSize = 128;
    await el.openFile(await png());
    await waitFor(() => el.currentCrop() !== null, 'the cropper');
    const changed = oneEvent(el, 'avatar-changed');
    const saving = el.save();
    await waitFor(async () => (await loadDraft(`${el.endpoint}|${user.id}`))?.pendingUpload === true, 'the draft is pending');
    await saving;
    await changed;
    expect(await loadDraft(`${el.endpoint}|${user.id}`)).to.equal(undefined);
  });

  it('a draft that was being saved is uploaded on load, with its crop, without asking', async () => {
    const user = await newUser();
    await saveDraft(`${server.url}|${user.id}`, { blob: await png(), name: 'photo.png', type: 'image/png', crop: { x: 100, y: 50, w: 200, h: 200 }, pendingUpload: true });
    const changed = new Promise<AvatarChangedDetail>((resolve) => document.addEventListener('avatar-changed', (e) => resolve(e.detail), { once: true }));
    const el = await editor(user.token);
    const detail = await changed;
    // Uploaded, so the draft was found and acted on: it was not offered (as a resume button) instead.
    expect(el.shadowRoot!.querySelectorAll('[part~="resume"]').length, 'resume offers').to.equal(0);
    const bitmap = await createImageBitmap(await (await fetch(detail.urls['cropped']!)).blob());
    expect([bitmap.width, bitmap.height]).to.deep.equal([200, 200]);
  });
});
