// <avatar-editor mode="emote"> in real Chromium against a real avatar-server.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { emulateMedia, sendKeys, setViewport } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { Emote } from '../../widget/api/emotes.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { drag, middle } from './browser.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { waitFor } from './fixtures.ts';

const server: { url: string; adminKey: string } = await (await fetch('/__avatar-server.json')).json();

let counter = 0;
async function newToken(): Promise<string> {
  const res = await fetch(`${server.url}/v1/admin/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: `emote-${Date.now().toString(36)}-${counter++}` }),
  });
  return ((await res.json()) as { token: string }).token;
}

async function pngFile(name: string, width = 60, height = 30): Promise<File> {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#16a34a';
  ctx.fillRect(0, 0, width, height);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
}

async function panelFor(token: string) {
  const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" .endpoint=${server.url} .token=${token}></avatar-editor>`);
  const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  await panel.updateComplete;
  await waitFor(() => panel.shadowRoot!.querySelector('[part="quota"]'), 'the quota is loaded');
  return { el, panel, $: <T extends Element>(selector: string) => panel.shadowRoot!.querySelector<T & Element>(selector)! };
}

const cropArea = (panel: AvatarEmotePanel) => panel.shadowRoot!.querySelector('avatar-crop-area')!;

/** The window as a crop even when it covers the whole image (currentCrop() says null then). */
const readCropNow = (panel: AvatarEmotePanel) => cropArea(panel)?.crop?.() ?? null;

function choose(input: HTMLInputElement, file: File) {
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change'));
}

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new InputEvent('input'));
}

/** Pixel size of the emote's `full` variant as the server serves it. */
async function servedFullSize(token: string, emoteId: string): Promise<[number, number]> {
  const res = await fetch(`${server.url}/v1/emotes/${emoteId}/url?size=full`, { headers: { authorization: `Bearer ${token}` } });
  const image = new Image();
  image.src = ((await res.json()) as { url: string }).url;
  await image.decode();
  return [image.naturalWidth, image.naturalHeight];
}

/** Creates an emote through the form; `file` null keeps the one already chosen (and its crop). */
async function createVia(panel: AvatarEmotePanel, $: (s: string) => Element, file: File | null, shortcode: string): Promise<Emote> {
  if (file) {
    choose($('input[type="file"]') as HTMLInputElement, file);
    // The file is decoded in the worker before the crop area opens.
    await waitFor(() => cropArea(panel), 'the crop area');
    await customElements.whenDefined('avatar-crop-area');
    await cropArea(panel).ready;
  }
  type($('input[name="shortcode"]') as HTMLInputElement, shortcode);
  await panel.updateComplete;
  const created = oneEvent(panel, 'emote-created');
  ($('button[type="submit"]') as HTMLButtonElement).click();
  return ((await created) as CustomEvent<{ emote: Emote }>).detail.emote;
}

describe('<avatar-editor mode="emote">', () => {
  it('validates the shortcode as typed and its availability on blur, and is accessible', async () => {
    const token = await newToken();
    const { panel, $ } = await panelFor(token);
    await expect(panel).to.be.accessible();
    const input = $('input[name="shortcode"]') as HTMLInputElement;
    type(input, 'a');
    await panel.updateComplete;
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    type(input, 'party_cat');
    await panel.updateComplete;
    expect(input.getAttribute('aria-invalid')).to.equal('false');
    input.dispatchEvent(new FocusEvent('blur'));
    await panel.updateComplete;
    expect($('#shortcode-message').textContent).to.include('available');
  });

  it('exports the panel’s parts, so the page can style them through <avatar-editor>::part()', async () => {
    const style = document.createElement('style');
    style.textContent = 'avatar-editor::part(quota) { color: rgb(1, 2, 3); }';
    document.head.append(style);
    try {
      const { $ } = await panelFor(await newToken());
      expect(getComputedStyle($('[part="quota"]')).color).to.equal('rgb(1, 2, 3)');
    } finally {
      style.remove();
    }
  });

  it('creates an emote from the file as it is, then lists it with its quota; the event leaves the editor', async () => {
    const token = await newToken();
    const { el, panel, $ } = await panelFor(token);
    const heard = oneEvent(el, 'emote-created');
    const file = await pngFile('wave.png', 80, 40);
    const emote = await createVia(panel, $, file, 'wave');
    expect((await heard).detail.emote.id).to.equal(emote.id);
    expect(emote).to.include({ shortcode: 'wave', processing_state: 'ready', public: false, mime_type: 'image/png', size_bytes: file.size });
    await waitFor(() => panel.shadowRoot!.querySelector('img[alt=":wave:"]'), 'the emote image in the list');
    expect($('[part="quota"]').textContent).to.match(/^1 of 50/);
    await expect(panel).to.be.accessible();

    // The same shortcode (any case) is taken on blur.
    const input = $('input[name="shortcode"]') as HTMLInputElement;
    type(input, 'WAVE');
    input.dispatchEvent(new FocusEvent('blur'));
    await panel.updateComplete;
    expect(input.getAttribute('aria-invalid')).to.equal('true');
  });

  it('renames, makes public, deletes into the trash and restores, with events', async () => {
    const token = await newToken();
    const { panel, $ } = await panelFor(token);
    const emote = await createVia(panel, $, await pngFile('blob.png'), 'blob');
    await waitFor(() => panel.shadowRoot!.querySelector('[part="emote-list"] li'), 'the list');

    const rename = $('[part="emote-list"] input[type="text"]') as HTMLInputElement;
    const renamed = oneEvent(panel, 'emote-updated');
    rename.value = 'blobby';
    rename.dispatchEvent(new Event('change'));
    expect(((await renamed) as CustomEvent<{ emote: Emote }>).detail.emote.shortcode).to.equal('blobby');

    await waitFor(() => (panel.shadowRoot!.querySelector('[part="emote-list"] input[type="checkbox"]') as HTMLInputElement | null)?.checked === false, 'the list refreshed');
    const publicBox = $('[part="emote-list"] input[type="checkbox"]') as HTMLInputElement;
    const madePublic = oneEvent(panel, 'emote-updated');
    publicBox.checked = true;
    publicBox.dispatchEvent(new Event('change'));
    expect(((await madePublic) as CustomEvent<{ emote: Emote }>).detail.emote.public).to.equal(true);
    const anonymous = await fetch(`${server.url}/v1/emotes/${emote.id}`);
    expect(anonymous.status).to.equal(200);

    const deleted = oneEvent(panel, 'emote-deleted');
    ($('[part~="delete"]') as HTMLButtonElement).click();
    await deleted;
    await waitFor(() => panel.shadowRoot!.querySelector('[part~="restore"]'), 'the emote in the trash');
    expect($('[part="quota"]').textContent).to.match(/^0 of 50/);
    await expect(panel).to.be.accessible();

    const restored = oneEvent(panel, 'emote-updated');
    ($('[part~="restore"]') as HTMLButtonElement).click();
    expect(((await restored) as CustomEvent<{ emote: Emote }>).detail.emote.id).to.equal(emote.id);
    await waitFor(() => /^1 of 50/.test(panel.shadowRoot!.querySelector('[part="quota"]')!.textContent ?? ''), 'the quota after restore');
  });

  it('crops before uploading: the whole image by default, its centred square, or a moved window; never turned', async () => {
    const token = await newToken();
    const { panel, $ } = await panelFor(token);
    choose($('input[type="file"]') as HTMLInputElement, await pngFile('wide.png', 80, 40));
    await waitFor(() => cropArea(panel), 'the crop area');
    await customElements.whenDefined('avatar-crop-area');
    expect(await cropArea(panel).ready).to.equal(true);
    await expect(panel).to.be.accessible();
    // Nothing is cut off unless the user asks.
    await waitFor(() => panel.currentCrop() === null && readCropNow(panel)?.w === 80, 'the whole image selected');
    // The server applies the crop to the file as uploaded (an animation keeps its frames): no turn, no mirror.
    const inArea = (selector: string) => cropArea(panel).shadowRoot!.querySelector(selector);
    expect([inArea('[part~="rotate-left"]'), inArea('[part~="flip"]'), inArea('input[name="straighten"]')]).to.deep.equal([null, null, null]);

    const square = $('input[name="square"]') as HTMLInputElement;
    square.checked = true;
    square.dispatchEvent(new Event('change'));
    await waitFor(() => JSON.stringify(panel.currentCrop()) === JSON.stringify({ x: 20, y: 0, w: 40, h: 40 }), 'the centred square (x 20, y 0, 40×40)');

    // Arrow keys move the window (10 screen pixels; the image is shown larger than its 80 pixels).
    inArea('[part="cropper"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    await waitFor(() => (panel.currentCrop()?.x ?? 20) < 20, 'the window moved left');
    const moved = panel.currentCrop()!;
    expect(moved).to.include({ y: 0, w: 40, h: 40 });
    expect(Object.keys(moved).sort()).to.deep.equal(['h', 'w', 'x', 'y']);

    const emote = await createVia(panel, $, null, 'square');
    expect(await servedFullSize(token, emote.id)).to.deep.equal([40, 40]);
    expect(panel.shadowRoot!.querySelectorAll('avatar-crop-area').length, 'the crop area closes after the upload').to.equal(0);
  });

  it('a free crop uploads any rectangle of the image, drawn with a 44 px handle', async () => {
    const token = await newToken();
    const { panel, $ } = await panelFor(token);
    choose($('input[type="file"]') as HTMLInputElement, await pngFile('wide.png', 80, 40));
    await waitFor(() => readCropNow(panel)?.w === 80, 'the whole image selected');
    const handle = cropArea(panel).shadowRoot!.querySelector('cropper-handle[action="se-resize"]')!;
    expect(handle.getBoundingClientRect().width).to.be.at.least(44);
    // The 80×40 image is shown 496 px wide (6.2 px each): 124 px up and left leaves 60×20 of it.
    const corner = middle(handle);
    await drag(corner, { x: corner.x - 124, y: corner.y - 124 });
    await waitFor(() => panel.currentCrop()?.w === 60, `the window resized (${JSON.stringify(readCropNow(panel))})`);
    expect(panel.currentCrop()).to.deep.equal({ x: 0, y: 0, w: 60, h: 20 });
    const emote = await createVia(panel, $, null, 'strip');
    expect(await servedFullSize(token, emote.id)).to.deep.equal([60, 20]);
  });

  it('refuses an unsupported or oversized file before uploading', async () => {
    const token = await newToken();
    const { el, panel, $ } = await panelFor(token);
    const refused = oneEvent(el, 'avatar-error');
    choose($('input[type="file"]') as HTMLInputElement, new File(['<svg/>'], 'x.svg', { type: 'image/svg+xml' }));
    expect((await refused).detail.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    const tooBig = oneEvent(el, 'avatar-error');
    choose($('input[type="file"]') as HTMLInputElement, new File([new Uint8Array(2 * 1024 * 1024)], 'big.png', { type: 'image/png' }));
    expect((await tooBig).detail.code).to.equal('FILE_TOO_LARGE');
    await panel.updateComplete;
    expect(($('button[type="submit"]') as HTMLButtonElement).getAttribute('aria-disabled')).to.equal('true');
  });
});

/**
 * An emote uploaded through the API, resolved with its id once processed: `bytes` that are not an image fail
 * (the default), a real PNG becomes ready.
 */
async function uploadedEmote(token: string, shortcode: string, bytes: Uint8Array<ArrayBuffer> = new TextEncoder().encode('this is text, not a PNG')): Promise<string> {
  const auth = { authorization: `Bearer ${token}` };
  const created = await fetch(`${server.url}/v1/uploads`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ upload_type: 'emote', filename: `${shortcode}.png`, content_type: 'image/png', size_bytes: bytes.byteLength, shortcode }),
  });
  const upload = (await created.json()) as { file_id: string; emote_id: string; upload_url: string; upload_headers: Record<string, string> };
  expect((await fetch(upload.upload_url, { method: 'PUT', headers: upload.upload_headers, body: bytes })).ok).to.equal(true);
  expect((await fetch(`${server.url}/v1/uploads/${upload.file_id}/complete`, { method: 'POST', headers: auth })).status).to.equal(202);
  await waitFor(
    async () => ['failed', 'ready'].includes(((await (await fetch(`${server.url}/v1/emotes/${upload.emote_id}`, { headers: auth })).json()) as Emote).processing_state),
    'the emote to be processed',
  );
  return upload.emote_id;
}

describe('<avatar-editor mode="emote"> with a failed emote', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`lists it with its reason in the page's language and a Delete that works from the keyboard (${scheme}, 375 px)`, async () => {
      await emulateMedia({ colorScheme: scheme });
      await setViewport({ width: 375, height: 800 });
      try {
        const token = await newToken();
        await uploadedEmote(token, 'heil', new Uint8Array(await (await pngFile('heil.png', 40, 40)).arrayBuffer()));
        await uploadedEmote(token, 'kaputt');
        const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" lang="de" .endpoint=${server.url} .token=${token}></avatar-editor>`);
        const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
        const root = panel.shadowRoot!;
        await waitFor(() => root.querySelectorAll('[part="emote-list"] li').length === 2, 'both emotes listed');
        const [row, readyRow] = root.querySelectorAll('[part="emote-list"] li') as unknown as [HTMLLIElement, HTMLLIElement];
        // Both rows alike: Delete on the first line, at the right, its word inside its border.
        const ends: number[] = [];
        for (const [li, first] of [[row, row.querySelector('.error')!], [readyRow, readyRow.querySelector('input[type="text"]')!]] as const) {
          const button = li.querySelector<HTMLButtonElement>('[part~="delete"]')!;
          const box = button.getBoundingClientRect();
          const line = first.getBoundingClientRect();
          expect(box.top + box.height / 2, 'Delete on the first line').to.be.within(line.top, line.bottom);
          expect(button.scrollWidth, 'its word fits the button').to.be.at.most(button.clientWidth);
          ends.push(Math.round(box.right));
        }
        expect(ends[0], 'the Delete buttons line up').to.equal(ends[1]);
        const de = LOCALES.de!;
        expect(row.textContent).to.include(':kaputt:').and.to.include(de.errorDecode);
        expect(row.textContent).not.to.include('IMAGE_INVALID');
        // Nothing else applies to it: no rename, no visibility; the quota does not count it.
        expect(row.querySelectorAll('input').length).to.equal(0);
        expect(root.querySelector('[part="quota"]')!.textContent, 'the ready one counts, the failed one not').to.match(/^1 von 50/);
        const remove = row.querySelector<HTMLButtonElement>('[part~="delete"]')!;
        expect(remove.getAttribute('aria-label')).to.equal(`${de.delete} :kaputt:`);
        const { right } = root.querySelector('section')!.getBoundingClientRect();
        expect(remove.getBoundingClientRect().right, 'the row fits 375 px').to.be.at.most(right + 0.5);
        await expect(el).to.be.accessible();

        // Its name is free: the form does not call it taken.
        const shortcode = root.querySelector<HTMLInputElement>('input[name="shortcode"]')!;
        shortcode.value = 'kaputt';
        shortcode.dispatchEvent(new InputEvent('input'));
        shortcode.dispatchEvent(new FocusEvent('blur'));
        await panel.updateComplete;
        expect(shortcode.getAttribute('aria-invalid')).to.equal('false');

        remove.focus();
        const deleted = oneEvent(panel, 'emote-deleted');
        await sendKeys({ press: 'Enter' });
        expect(((await deleted) as CustomEvent<{ emote: Emote }>).detail.emote.shortcode).to.equal('kaputt');
        await waitFor(() => root.querySelector('[part~="restore"]') && root.querySelectorAll('[part="emote-list"] li').length === 1, 'the emote moved to the trash');
        await waitFor(() => root.activeElement !== null, 'focus kept in the panel');
        expect(root.querySelector('[part="status"]')!.textContent).to.equal(de.emoteDeleted.replace('{shortcode}', 'kaputt'));
        await expect(el).to.be.accessible();
      } finally {
        await emulateMedia({ colorScheme: 'light' });
        await setViewport({ width: 800, height: 600 });
      }
    });
  }
});
