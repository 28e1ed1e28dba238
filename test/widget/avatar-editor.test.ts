// <avatar-editor> and <avatar-image> in real Chromium against a real avatar-server (started by the test runner).
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../widget/index.ts';
import { loadDraft } from '../../widget/drafts.ts';
import type { CropperSelection } from '@cropper/elements';
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
const status = (el: AvatarEditor) => shadow(el).querySelector('[role="status"]')!.textContent!.trim();

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
    expect(shadow(el).querySelector('input[capture="user"]')).to.exist;
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
    await el.updateComplete;
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

  it('crops with the keyboard: arrows move, + and - zoom, r rotates', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    await openAndWaitForCropper(el, await photo(600, 400));
    await expect(el).to.be.accessible();
    const area = shadow(el).querySelector<HTMLElement>('[part="cropper"]')!;
    area.focus();
    const press = (key: string) => area.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true, cancelable: true }));

    const start = el.currentCrop()!;
    expect(start.w).to.equal(start.h);
    press('ArrowRight');
    press('ArrowDown');
    const moved = el.currentCrop()!;
    expect(moved.x).to.be.greaterThan(start.x);
    expect(moved.y).to.be.greaterThan(start.y);

    press('+');
    const zoomedIn = el.currentCrop()!;
    expect(zoomedIn.w, 'zooming in covers fewer source pixels').to.be.lessThan(moved.w);
    press('-');
    press('-');
    expect(el.currentCrop()!.w).to.be.greaterThan(zoomedIn.w);

    press('r');
    await el.updateComplete;
    const rotated = el.currentCrop()!;
    // After a quarter turn the image is 400 wide and 600 high: the crop lies inside those bounds.
    expect(rotated.x + rotated.w).to.be.at.most(400);
    expect(rotated.y + rotated.h).to.be.at.most(600);
  });

  it('mirrors the selection in three live previews that follow it', async () => {
    const { token } = await newUser();
    const el = await editorFor(token);
    await openAndWaitForCropper(el, await photo(600, 400));
    const previews = [...shadow(el).querySelectorAll<HTMLImageElement>('[part="previews"] img')];
    expect(previews.map((img) => img.parentElement!.clientWidth)).to.deep.equal([96, 48, 32]);
    const selection = shadow(el).querySelector<CropperSelection>('cropper-selection')!;
    const offsetX = (img: HTMLImageElement) => new DOMMatrix(getComputedStyle(img).transform).e;
    await waitFor(() => previews.every((img) => img.style.transform !== ''), 'the previews are placed');
    // Each preview shows the image scaled so that the selection fills it.
    for (const img of previews) expect(parseFloat(img.style.width)).to.be.closeTo((600 * img.parentElement!.clientWidth) / selection.width, 0.5);
    const before = previews.map(offsetX);
    shadow(el).querySelector('[part="cropper"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
    // The selection moved 10 px right, so each preview's image moves left by 10 px at its scale.
    await waitFor(
      () => previews.every((img, i) => Math.abs(offsetX(img) - (before[i]! - (10 * img.parentElement!.clientWidth) / selection.width)) < 0.5),
      'the previews follow the selection',
    );
  });

  it('saves: progress, then avatar-changed with URLs that serve WebP; the current avatar and <avatar-image> update', async () => {
    const user = await newUser();
    const el = await editorFor(user.token, { outputSize: 256 });
    const image = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${user.id} size="64"></avatar-image>`);
    const before = image.src;
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
    await image.updateComplete;
    expect(image.src).not.to.equal(before);
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
    const area = shadow(first).querySelector<HTMLElement>('[part="cropper"]')!;
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
    const third = await editorFor(user.token);
    await third.updateComplete;
    expect(shadow(third).querySelector('[part~="resume"]')).to.equal(null);
  });
});
