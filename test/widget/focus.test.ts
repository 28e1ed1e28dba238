// Keyboard focus (issue 18 §1.3): every action of both modes, done from the keyboard, leaves focus inside the
// editor — during the work (busy buttons are aria-disabled, so they keep focus) and after every outcome. Keys
// go through the browser (sendKeys); only the OS file dialog's answer is handed over directly.
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';
import { focused } from './browser.ts';
import { choose, flakyEndpoint, focusIsInside, pngFile, tabTo } from './user-actions.ts';

/** Fails with what has focus when it is not inside `el`. */
function expectFocusInside(el: Element, after: string) {
  const active = focused();
  expect(focusIsInside(el), `after ${after}, focus is on ${active?.outerHTML.slice(0, 80) ?? 'nothing'}`).to.equal(true);
}

const press = (key: string) => sendKeys({ press: key });

describe('keyboard focus stays inside the editor', () => {
  it('avatar mode: choose, crop, Save (busy, saved), Remove, Undo, a failed Save, Try again, Cancel, the Cartoon tab and its Save', async function () {
    this.timeout(90_000);
    const user = await newUser();
    const el = await fixture<AvatarEditor>(html`<avatar-editor output-size="128" .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
    const root = el.shadowRoot!;
    const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector);
    const fileInput = () => $<HTMLInputElement>('input[type="file"]:not([capture])');
    const button = (part: string) => $<HTMLButtonElement>(`button[part~="${part}"]`);

    // Choose: Tab to the file button; the dialog's answer opens the crop area, which takes focus.
    await tabTo(fileInput, 'the file button');
    choose(fileInput()!, await pngFile());
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area has focus');
    for (const key of ['+', 'ArrowRight', '-', 'r']) {
      await press(key);
      expectFocusInside(el, `pressing ${key} in the crop area`);
    }

    // Save: focus stays on the busy button, then moves to the file button.
    await tabTo(() => button('save'), 'Save');
    const changed = oneEvent(el, 'avatar-changed');
    await press('Enter');
    await waitFor(() => button('save')?.getAttribute('aria-disabled') === 'true', 'Save is busy');
    expect(focused(), 'the busy Save keeps focus').to.equal(button('save'));
    await changed;
    await waitFor(() => focused() === fileInput(), 'the file button has focus after saving');

    // Remove: Undo takes focus; Undo gives it to Remove again.
    await tabTo(() => button('remove'), 'Remove', true);
    const removed = oneEvent(el, 'avatar-removed');
    await press('Enter');
    await removed;
    await waitFor(() => focused() === button('undo'), 'Undo has focus after Remove');
    const restored = oneEvent(el, 'avatar-changed');
    await press('Enter');
    await restored;
    await waitFor(() => focused() === button('remove'), 'Remove has focus after Undo');

    // A Save that fails (503s use up the client's four tries): focus stays on Save; Try again keeps it inside.
    // The new endpoint's own reload of the current avatar uses up four failures first.
    el.endpoint = flakyEndpoint(4 + 4);
    await waitFor(() => button('retry'), 'the reload’s failure');
    await tabTo(fileInput, 'the file button');
    choose(fileInput()!, await pngFile('second.png'));
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area again');
    await tabTo(() => button('save'), 'Save');
    await press('Enter');
    await waitFor(() => button('save')?.getAttribute('aria-disabled') === 'true', 'Save is busy');
    await waitFor(() => button('save')?.getAttribute('aria-disabled') === 'false' && button('retry'), 'the failed Save with Try again', 20_000);
    expect(focused(), 'Save keeps focus when it fails').to.equal(button('save'));
    await tabTo(() => button('retry'), 'Try again');
    const retried = oneEvent(el, 'avatar-changed');
    await press('Enter');
    expectFocusInside(el, 'Try again');
    await retried;
    await waitFor(() => focusIsInside(el), 'focus inside after the retried save');

    // Cancel.
    el.endpoint = server.url;
    await tabTo(fileInput, 'the file button');
    choose(fileInput()!, await pngFile('third.png'));
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area');
    await tabTo(() => button('cancel'), 'Cancel');
    await press('Enter');
    await waitFor(() => focused() === fileInput(), 'the file button after Cancel');
    // The Cartoon tab: a list, Randomize, Save.
    await tabTo(() => $('#tab-photo'), 'the Photo tab', true);
    await press('ArrowRight');
    await waitFor(() => $('select[name="topType"]'), 'the cartoon options');
    expectFocusInside(el, 'switching to the Cartoon tab');
    await tabTo(() => $('select[name="topType"]'), 'the hairdo list');
    await press('ArrowDown');
    expectFocusInside(el, 'choosing a hairdo');
    await tabTo(() => button('randomize'), 'Randomize');
    await press('Enter');
    expectFocusInside(el, 'Randomize');
    await tabTo(() => button('save'), 'the cartoon’s Save');
    const cartoon = oneEvent(el, 'avatar-changed');
    await press('Enter');
    expect(focused(), 'the busy cartoon Save keeps focus').to.equal(button('save'));
    await cartoon;
    await el.updateComplete;
    expect(focused(), 'the cartoon Save keeps focus after saving').to.equal(button('save'));
  });

  it('avatar mode: a draft offered on load, Discard and Resume', async () => {
    const user = await newUser();
    const open = async () => {
      const el = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
      const button = (part: string) => el.shadowRoot!.querySelector<HTMLButtonElement>(`button[part~="${part}"]`);
      return { el, button, fileInput: () => el.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]:not([capture])') };
    };
    const leaveADraft = async (el: AvatarEditor) => {
      expect(await el.openFile(await pngFile('draft.png'))).to.equal(true); // saved as a draft once open
      el.remove(); // as a reload does
    };
    const first = await open();
    await leaveADraft(first.el);

    const second = await open();
    await waitFor(() => second.button('discard'), 'the draft offer');
    await tabTo(() => second.button('discard'), 'Discard');
    await press('Enter');
    await waitFor(() => focused() === second.fileInput(), 'the file button after Discard');
    await leaveADraft(second.el);

    const third = await open();
    await waitFor(() => third.button('resume'), 'the draft offer again');
    await tabTo(() => third.button('resume'), 'Resume');
    await press('Enter');
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area after Resume');
  });

  it('emote mode: choose, Cancel, Upload (busy, created), a failed Upload, rename, public, Delete, the trash and Restore', async function () {
    this.timeout(90_000);
    const user = await newUser();
    const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" .endpoint=${server.url} .token=${user.token}></avatar-editor>`);
    const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
    const root = panel.shadowRoot!;
    const $ = <T extends Element>(selector: string) => root.querySelector<T>(selector);
    const fileInput = () => $<HTMLInputElement>('input[type="file"]');
    const upload = () => $<HTMLButtonElement>('button[part~="upload"]');
    await waitFor(() => $('[part="quota"]'), 'the quota');

    await tabTo(fileInput, 'the file button');
    choose(fileInput()!, await pngFile('wave.png', 60, 30));
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area has focus');
    await tabTo(() => $('button[part~="cancel"]'), 'Cancel');
    await press('Enter');
    await waitFor(() => focused() === fileInput(), 'the file button after Cancel');

    choose(fileInput()!, await pngFile('wave.png', 60, 30));
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area again');
    await tabTo(upload, 'Upload');
    const created = oneEvent(panel, 'emote-created');
    await press('Enter');
    await waitFor(() => upload()?.getAttribute('aria-disabled') === 'true', 'Upload is busy');
    expect(focused(), 'the busy Upload keeps focus').to.equal(upload());
    await created;
    await waitFor(() => focused() === fileInput(), 'the file button after creating');

    // An upload the server keeps refusing (503 on every try): focus stays on Upload.
    choose(fileInput()!, await pngFile('nope.png', 40, 40));
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area for the next file');
    el.endpoint = flakyEndpoint(100);
    await tabTo(upload, 'Upload');
    const failed = oneEvent(el, 'avatar-error');
    await press('Enter');
    await failed;
    await waitFor(() => upload()?.getAttribute('aria-disabled') === 'false', 'Upload is offered again');
    expect(focused(), 'Upload keeps focus when it fails').to.equal(upload());
    el.endpoint = server.url;
    await waitFor(() => $('[part="emote-list"] input[type="text"]'), 'the list again');

    const rename = () => $<HTMLInputElement>('[part="emote-list"] input[type="text"]');
    await tabTo(rename, 'the shortcode of the listed emote');
    await sendKeys({ press: 'End' });
    await sendKeys({ type: '2' });
    const updated = oneEvent(panel, 'emote-updated');
    await press('Tab'); // leaving the field commits the change
    await updated;
    expectFocusInside(el, 'renaming');
    await tabTo(() => $('[part="emote-list"] input[type="checkbox"]'), 'the public checkbox', true);
    const madePublic = oneEvent(panel, 'emote-updated');
    await press('Space');
    await madePublic;
    expectFocusInside(el, 'making it public');

    await tabTo(() => $('button[part~="delete"]'), 'Delete');
    const deleted = oneEvent(panel, 'emote-deleted');
    await press('Enter');
    await deleted;
    // Its row is gone: focus goes to what is being made next (the crop area of the file still chosen).
    await waitFor(() => focused()?.getAttribute('part') === 'cropper', 'the crop area has focus after Delete');

    await tabTo(() => $('summary'), 'the trash');
    await press('Enter');
    await tabTo(() => $('button[part~="restore"]'), 'Restore');
    const restored = oneEvent(panel, 'emote-updated');
    await press('Enter');
    const emote = (await restored).detail.emote;
    await waitFor(() => focused() === $(`[data-id="${emote.id}"] input[type="text"]`), 'the restored emote’s shortcode has focus');
  });
});
