// Where a pasted or dropped image goes (issue 18 §1.4, §1.8): to the mode that is showing; a paste only when it
// is meant for this editor (focus inside it, or the page's only editor with nothing focused); a drop anywhere on
// the element, in both modes, never navigating the page away to the file. The events are the browser's own
// (ClipboardEvent, DragEvent with a real DataTransfer), dispatched where the browser would dispatch them.
import { expect, fixture, html } from '@open-wc/testing';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';
import { focused } from './browser.ts';
import { pngFile } from './user-actions.ts';

function transferOf(file?: File, text?: string): DataTransfer {
  const data = new DataTransfer();
  if (file) data.items.add(file);
  if (text) data.setData('text/plain', text);
  return data;
}

/** A paste as the browser fires it: at the focused element (or <body>), bubbling out of shadow roots. */
function paste(file: File): ClipboardEvent {
  const event = new ClipboardEvent('paste', { clipboardData: transferOf(file), bubbles: true, composed: true, cancelable: true });
  (focused() ?? document.body).dispatchEvent(event);
  return event;
}

/** dragover then drop on `target`; both events are returned, to see whether the page kept them. */
function drop(target: Element, data: DataTransfer): { over: DragEvent; dropped: DragEvent } {
  const over = new DragEvent('dragover', { dataTransfer: data, bubbles: true, composed: true, cancelable: true });
  target.dispatchEvent(over);
  const dropped = new DragEvent('drop', { dataTransfer: data, bubbles: true, composed: true, cancelable: true });
  target.dispatchEvent(dropped);
  return { over, dropped };
}

const cropArea = (root: ShadowRoot) => root.querySelector('avatar-crop-area');

async function page() {
  const { token } = await newUser();
  const wrapper = await fixture<HTMLDivElement>(html`<div>
    <label>Somewhere else on the page <input id="elsewhere" /></label>
    <avatar-editor id="avatar" .endpoint=${server.url} .token=${token}></avatar-editor>
    <avatar-editor id="emotes" mode="emote" .endpoint=${server.url} .token=${token}></avatar-editor>
  </div>`);
  const avatar = wrapper.querySelector<AvatarEditor>('#avatar')!;
  const emotes = wrapper.querySelector<AvatarEditor>('#emotes')!;
  await avatar.updateComplete;
  await emotes.updateComplete;
  const panel = emotes.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  return { wrapper, avatar, emotes, panel, avatarRoot: avatar.shadowRoot!, panelRoot: panel.shadowRoot! };
}

describe('paste', () => {
  it('goes to the emote panel when focus is in emote mode, and the avatar editor gets no draft', async () => {
    const { avatarRoot, panelRoot } = await page();
    panelRoot.querySelector<HTMLInputElement>('input[name="shortcode"]')!.focus();
    const event = paste(await pngFile('pasted.png', 80, 40));
    expect(event.defaultPrevented).to.equal(true);
    await waitFor(() => cropArea(panelRoot), 'the pasted image in the emote crop area');
    expect(Boolean(cropArea(avatarRoot)), 'no avatar draft').to.equal(false);
    expect(avatarRoot.querySelectorAll('[part~="resume"]').length).to.equal(0);
  });

  it('goes to the avatar editor when focus is in it', async () => {
    const { avatarRoot, panelRoot } = await page();
    avatarRoot.querySelector<HTMLElement>('#tab-photo')!.focus();
    expect(paste(await pngFile()).defaultPrevented).to.equal(true);
    await waitFor(() => cropArea(avatarRoot), 'the pasted photo in the crop area');
    expect(Boolean(cropArea(panelRoot)), 'no crop area in the emote panel').to.equal(false);
  });

  it('is left to the page when focus is elsewhere, or on nothing while the page has two editors', async () => {
    const { wrapper, avatarRoot, panelRoot } = await page();
    wrapper.querySelector<HTMLInputElement>('#elsewhere')!.focus();
    expect(paste(await pngFile()).defaultPrevented, 'the page’s own field').to.equal(false);
    (document.activeElement as HTMLElement).blur();
    expect(paste(await pngFile()).defaultPrevented, 'two editors, nothing focused').to.equal(false);
    await (avatarRoot.host as AvatarEditor).updateComplete;
    expect(Boolean(cropArea(avatarRoot)), 'no crop area in the avatar editor').to.equal(false);
    expect(Boolean(cropArea(panelRoot)), 'no crop area in the emote panel').to.equal(false);
  });

  it('goes to the page’s only editor when nothing has focus', async () => {
    const { token } = await newUser();
    const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${token}></avatar-editor>`);
    (document.activeElement as HTMLElement | null)?.blur();
    expect(paste(await pngFile()).defaultPrevented).to.equal(true);
    await waitFor(() => cropArea(el.shadowRoot!), 'the pasted photo');
  });
});

describe('drop', () => {
  it('avatar mode: a file dropped anywhere on the element (here the tabs) is taken, even from the Cartoon tab', async () => {
    const { avatar, avatarRoot } = await page();
    avatarRoot.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
    await avatar.updateComplete;
    const data = transferOf(await pngFile());
    const over = new DragEvent('dragover', { dataTransfer: data, bubbles: true, composed: true, cancelable: true });
    avatarRoot.querySelector('[role="tablist"]')!.dispatchEvent(over);
    expect(over.defaultPrevented, 'dragover is taken, so the browser allows the drop').to.equal(true);
    expect(avatar.matches(':state(drop)'), 'the element shows it takes the drop').to.equal(true);
    const dropped = new DragEvent('drop', { dataTransfer: data, bubbles: true, composed: true, cancelable: true });
    avatarRoot.querySelector('[part="status"]')!.dispatchEvent(dropped);
    expect(dropped.defaultPrevented, 'the page does not navigate to the file').to.equal(true);
    expect(avatar.matches(':state(drop)')).to.equal(false);
    await waitFor(() => cropArea(avatarRoot), 'the dropped photo in the crop area, on the Photo tab');
    expect(avatarRoot.querySelector('#tab-photo')!.getAttribute('aria-selected')).to.equal('true');
  });

  it('emote mode: the whole panel is a drop target', async () => {
    const { panelRoot } = await page();
    const { over, dropped } = drop(panelRoot.querySelector('#emote-list-label')!, transferOf(await pngFile('dropped.png', 64, 64)));
    expect([over.defaultPrevented, dropped.defaultPrevented]).to.deep.equal([true, true]);
    await waitFor(() => cropArea(panelRoot), 'the dropped image in the emote crop area');
  });

  it('a drop on a disabled editor still never leaves the page; dragged text is left alone', async () => {
    const { avatar, avatarRoot } = await page();
    avatar.disabled = true;
    await avatar.updateComplete;
    const { dropped } = drop(avatarRoot.querySelector('section')!, transferOf(await pngFile()));
    expect(dropped.defaultPrevented).to.equal(true);
    expect(Boolean(cropArea(avatarRoot)), 'no crop area in the avatar editor').to.equal(false);
    avatar.disabled = false;
    await avatar.updateComplete;
    const text = drop(avatarRoot.querySelector('section')!, transferOf(undefined, 'just words'));
    expect(text.over.defaultPrevented, 'not a file: the page decides').to.equal(false);
  });
});
