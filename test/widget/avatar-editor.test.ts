// <avatar-editor> and <avatar-image> in real Chromium against a real avatar-server (started by the test runner).
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../widget/index.ts';
import { loadDraft } from '../../widget/drafts.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarImage } from '../../widget/avatar-image.ts';
import type { AvatarChangedDetail, AvatarErrorDetail, UploadProgressDetail } from '../../widget/events.ts';
import { newUser, server, tokenFor } from './server.ts';
import { waitFor } from './fixtures.ts';

/** A photo-like PNG: left half red, right half blue. */
async function photo(width = 600, height = 400, type = 'image/png'): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#e11d48';
  ctx.fillRect(0, 0, width / 2, height);
  ctx.fillStyle = '#2563eb';
  ctx.fillRect(width / 2, 0, width / 2, height);
  const blob = await canvas.convertToBlob({ type });
  return new File([blob], 'photo.png', { type: blob.type });
}

async function editorFor(token: string, extra: Partial<AvatarEditor> = {}): Promise<AvatarEditor> {
  const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${token}></avatar-editor>`);
  Object.assign(el, extra);
  await el.updateComplete;
  return el;
}

const shadow = (el: Element) => el.shadowRoot!;

/**
 * Watches the IndexedDB reads of `key` (a draft namespace) from now on, so a test can wait until an element's
 * draft lookup is over before checking that it offers nothing.
 */
function watchDraftReads(key: string) {
  const reads: IDBRequest[] = [];
  const original = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
    const request = original.call(this, query);
    if (query === key) reads.push(request);
    return request;
  };
  return {
    done: () => reads.length > 0 && reads.every((read) => read.readyState === 'done'),
    stop: () => (IDBObjectStore.prototype.get = original),
  };
}
const status = (el: AvatarEditor) => shadow(el).querySelector('[role="status"]')!.textContent!.trim();

const cropArea = (el: AvatarEditor) => shadow(el).querySelector('avatar-crop-area')!;

async function openAndWaitForCropper(el: AvatarEditor, file: File) {
  expect(await el.openFile(file)).to.equal(true);
  await el.updateComplete;
  await waitFor(() => el.currentCrop() !== null, 'the cropper shows the image');
}

describe('<avatar-editor>', () => {
  it('renders the picker with labelled controls and is accessible', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    const choose = shadow(el).querySelector('input[type="file"]:not([capture])') as HTMLInputElement;
    expect(choose.accept).to.include('image/webp');
    // A desktop with a camera (Chromium's fake one): "Take a photo" opens it here, it is no second file picker.
    await waitFor(() => shadow(el).querySelector('button[part~="camera"]'), 'Take a photo, once the camera is found');
    expect(shadow(el).querySelectorAll('input[capture]').length).to.equal(0);
    await expect(el).to.be.accessible();
  });

  it('reflects shape and disabled, and switches language with lang and strings', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    el.shape = 'square';
    el.disabled = true;
    el.lang = 'de';
    await el.updateComplete;
    expect(el.getAttribute('shape')).to.equal('square');
    expect(el.hasAttribute('disabled')).to.equal(true);
    expect(shadow(el).textContent).to.include('Foto auswählen');
    el.lang = 'fr';
    el.strings = { choose: 'Pick one!' };
    await waitFor(() => shadow(el).querySelector('[part~="camera"]'), 'Take a photo');
    expect(shadow(el).textContent).to.include('Pick one!');
    expect(shadow(el).textContent).to.include('Prendre une photo');
  });

  it('refuses a wrong type and an oversized file before any upload, with avatar-error', async () => {
    const { token } = await newUser();
    const el = await editorFor(token, { maxBytes: 1000 });
    const typeError = oneEvent(el, 'avatar-error');
    expect(await el.openFile(new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }))).to.equal(false);
    expect(((await typeError) as CustomEvent<AvatarErrorDetail>).detail).to.include({ code: 'UNSUPPORTED_MEDIA_TYPE', retryable: false });
    await el.updateComplete;
    expect(status(el)).to.match(/not supported/);

    const sizeError = oneEvent(el, 'avatar-error');
    expect(await el.openFile(await photo())).to.equal(false);
    expect(((await sizeError) as CustomEvent<AvatarErrorDetail>).detail.code).to.equal('FILE_TOO_LARGE');
    await expect(el).to.be.accessible();
  });

  it('shows three live previews in the chosen shape that follow every change', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    await openAndWaitForCropper(el, await photo(600, 400));
    const area = cropArea(el);
    const previews = [...area.shadowRoot!.querySelectorAll<HTMLImageElement>('[part="previews"] img')];
    expect(previews.map((img) => img.parentElement!.clientWidth)).to.deep.equal([96, 48, 32]);
    expect(getComputedStyle(previews[0]!.parentElement!).borderRadius, 'round, as the avatar will be shown').to.equal('50%');
    // The window (272 px) shows 400 image pixels: each preview shows the 600 px image at side / 400.
    for (const img of previews) expect(parseFloat(img.style.width)).to.be.closeTo((600 * img.parentElement!.clientWidth) / 400, 0.01);
    const before = previews.map((img) => img.style.transform);
    area.shadowRoot!.querySelector('[part="cropper"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
    await area.updateComplete;
    previews.forEach((img, i) => expect(img.style.transform, `preview ${i}`).not.to.equal(before[i]));
  });

  it('saves: progress, then avatar-changed with URLs that serve WebP; the current avatar and <avatar-image> update', async () => {
    const user = await newUser();
    const el = await editorFor(user.token, { outputSize: 256 });
    const image = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${user.id} size="64"></avatar-image>`);
    await openAndWaitForCropper(el, await photo());

    const phases: string[] = [];
    el.addEventListener('upload-progress', (e) => phases.push((e as CustomEvent<UploadProgressDetail>).detail.phase));
    const changed = oneEvent(el, 'avatar-changed');
    await el.save();
    const detail = ((await changed) as CustomEvent<AvatarChangedDetail>).detail;

    expect(phases).to.include('processing');
    expect(phases).to.include('upload');
    expect(detail.user_id).to.equal(user.id);
    expect(detail.source).to.equal('upload');
    expect(detail.version).to.be.greaterThan(0);
    expect(Object.keys(detail.urls)).to.include.members(['cropped', '256', '64']);
    const served = await fetch(detail.urls['cropped']!);
    expect(served.headers.get('content-type')).to.equal('image/webp');
    const bitmap = await createImageBitmap(await served.blob());
    expect(bitmap.width).to.be.at.most(256);
    expect(bitmap.width).to.equal(bitmap.height);

    await el.updateComplete;
    expect(shadow(el).querySelector<HTMLImageElement>('[part="current-image"]')!.src).to.equal(detail.url);
    // <avatar-image> takes the new avatar from the event: its sources and placeholder, without asking the server.
    await image.updateComplete;
    // The AVIF <source>, and the WebP srcset on the <img> itself.
    expect(image.shadowRoot!.querySelector<HTMLSourceElement>('source[type="image/avif"]')!.srcset).to.contain(`${detail.avif_urls['128']} 128w`);
    expect(image.shadowRoot!.querySelector<HTMLImageElement>('picture img')!.srcset).to.contain(`${detail.urls['64']} 64w`);
    expect(detail.placeholder).to.be.a('string');
    expect(status(el)).to.match(/saved/i);
    await expect(el).to.be.accessible();

    const removed = oneEvent(el, 'avatar-removed');
    await el.removeAvatar();
    expect(((await removed) as CustomEvent).detail.user_id).to.equal(user.id);
    const gone = await fetch(`${server.url}/v1/users/${user.id}/avatar`);
    expect(gone.status).to.equal(404);
  });

  it('calls tokenProvider once on 401 and goes on with the new token', async () => {
    const user = await newUser();
    let calls = 0;
    const expired = await tokenFor(user.id, 60);
    const el = await editorFor(`${expired.slice(0, -4)}AAAA`, {
      outputSize: 128,
      tokenProvider: async () => {
        calls++;
        return user.token;
      },
    });
    await openAndWaitForCropper(el, await photo(200, 200));
    const changed = oneEvent(el, 'avatar-changed');
    await el.save();
    await changed;
    expect(calls).to.equal(1);
    expect(el.token).to.equal(user.token);
  });

  it('keeps the chosen image and crop as a draft that a re-created element offers to resume', async () => {
    const user = await newUser();
    const first = await editorFor(user.token);
    await openAndWaitForCropper(first, await photo(600, 400));
    const area = cropArea(first).shadowRoot!.querySelector<HTMLElement>('[part="cropper"]')!;
    area.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
    const crop = first.currentCrop()!;
    // Wait for the debounced draft write to land, then re-create the element as a reload would.
    await waitFor(async () => (await loadDraft(`${server.url}|${user.id}`))?.crop?.x === crop.x, 'the draft is saved with the moved crop');
    first.remove();

    const second = await editorFor(user.token);
    await waitFor(() => shadow(second).querySelector('[part~="resume"]'), 'the resume offer');
    await expect(second).to.be.accessible();
    shadow(second).querySelector<HTMLButtonElement>('button[part~="resume"]')!.click();
    // The image shows first; the draft's crop is placed once the cropper has laid it out (a frame or two later).
    const near = (a: number, b: number) => Math.abs(a - b) <= 2;
    await waitFor(() => {
      const shown = second.currentCrop();
      return shown !== null && near(shown.x, crop.x) && near(shown.w, crop.w);
    }, 'the draft image in the cropper, with the draft crop');
    const restored = second.currentCrop()!;
    expect(Math.abs(restored.x - crop.x)).to.be.at.most(2);
    expect(Math.abs(restored.w - crop.w)).to.be.at.most(2);

    second.cancel();
    await waitFor(async () => (await loadDraft(`${server.url}|${user.id}`)) === undefined, 'the draft is cleared');
    const reads = watchDraftReads(`${server.url}|${user.id}`);
    let third: AvatarEditor;
    try {
      third = await editorFor(user.token);
      await waitFor(reads.done, 'the new element to look for a draft');
    } finally {
      reads.stop();
    }
    await third.updateComplete;
    expect(shadow(third).querySelectorAll('[part~="resume"]').length, 'resume offers').to.equal(0);
  });
});
