// What people see in the states issue 18 §1 and the cartoon builder (§3) added or changed, in every look (1280 and 375 px, light and dark,
// English and German): each fits its frame, reads in the language, has no axe violation, and is kept as a
// screenshot when $AVATAR_SCREENSHOTS is set. Avatar mode: a refused token, a server not answering (Try again),
// a small photo's warning, Remove with Undo, a file dragged over the editor. Emote mode: loading, an animation
// over the frame limit. The cartoon builder: its options with a hat, a beard and a printed shirt (every group
// shows), its list of pictures open, and scrolled on a phone (the preview stays at the top).
import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import { LOCALES, format } from '../../widget/i18n.ts';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import { eachLook, expectFits, look } from './browser.ts';
import { animatedGif, waitFor } from './fixtures.ts';
import { newUser, server, tokenFor } from './server.ts';
import { avatarEditor, choose, pngFile, STOPPED_SERVER } from './user-actions.ts';

/** Keeps what the screen shows (for a state that is about scrolling). */
const screenshotOfViewport = (name: string) =>
  executeServerCommand('screenshot', { clip: { x: 0, y: 0, width: innerWidth, height: innerHeight, scale: 1 }, name, pixels: false });

/** Checks and keeps one state: it fits, it is accessible, and its screenshot is kept. */
async function state(el: AvatarEditor, frame: Element, root: ParentNode, name: string) {
  expectFits(frame, root, name);
  await expect(el, name).to.be.accessible();
  await look(el, name);
}

eachLook('the states of issue 18 §1', async ({ width, scheme, lang }) => {
  const t = LOCALES[lang]!;
  const tag = `${width}-${scheme}-${lang}`;
  const user = await newUser();

  const refused = await avatarEditor(`${(await tokenFor(user.id)).slice(0, -4)}AAAA`, { lang });
  await waitFor(() => refused.status() === t.errorAuth, 'the refusal');
  await state(refused.el, refused.root.querySelector('section')!, refused.root, `refused-${tag}`);
  refused.el.remove();

  const stopped = await avatarEditor(user.token, { endpoint: STOPPED_SERVER, lang });
  await waitFor(() => stopped.root.querySelector('[part~="retry"]'), 'Try again', 15_000);
  expect(stopped.status()).to.equal(t.errorUnreachable);
  await state(stopped.el, stopped.root.querySelector('section')!, stopped.root, `unreachable-${tag}`);
  stopped.el.remove();

  const { el, root, status } = await avatarEditor(user.token, { lang });
  const section = root.querySelector('section')!;
  await el.openFile(await pngFile('tiny.png', 50, 50));
  await waitFor(() => root.querySelector('[part="warning"]'), 'the small-photo warning');
  expect(root.querySelector('[part="warning"]')!.textContent!.replace('⚠', '').trim()).to.equal(format(t.smallPhoto, { size: 50 }));
  await state(el, section, root, `small-photo-${tag}`);

  await el.save();
  root.querySelector<HTMLButtonElement>('[part~="remove"]')!.click();
  await oneEvent(el, 'avatar-removed');
  await waitFor(() => root.querySelector('[part~="undo"]'), 'Undo');
  expect(status()).to.equal(t.removed);
  await state(el, section, root, `removed-undo-${tag}`);

  const data = new DataTransfer();
  data.items.add(await pngFile());
  section.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, composed: true, cancelable: true }));
  expect(el.matches(':state(drop)')).to.equal(true);
  await look(el, `dragover-${tag}`);
  el.remove();

  const emotes = await fixture<AvatarEditor>(html`<avatar-editor mode="emote" lang=${lang}></avatar-editor>`);
  await emotes.updateComplete;
  const panel = emotes.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  const panelRoot = panel.shadowRoot!;
  expect(panelRoot.querySelector('[aria-busy="true"]')!.textContent!.trim()).to.equal(t.loading);
  await state(emotes, panelRoot.querySelector('section')!, panelRoot, `emotes-loading-${tag}`);
  emotes.endpoint = server.url;
  emotes.token = user.token;
  await waitFor(() => panelRoot.querySelector('[part="quota"]'), 'the quota');
  const refusedGif = oneEvent(emotes, 'avatar-error');
  choose(panelRoot.querySelector<HTMLInputElement>('input[type="file"]')!, new File([animatedGif(210)], 'party.gif', { type: 'image/gif' }));
  await refusedGif;
  await panel.updateComplete;
  expect(panelRoot.querySelector('[part="status"]')!.textContent!.trim()).to.equal(format(t.errorFrames, { frames: 210, maxFrames: 200 }));
  await state(emotes, panelRoot.querySelector('section')!, panelRoot, `emotes-frames-${tag}`);
  emotes.remove();

  const cartoon = await avatarEditor(user.token, { lang });
  cartoon.root.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
  const select = (key: string) => cartoon.root.querySelector<HTMLSelectElement>(`select[name="${key}"]`)!;
  await waitFor(() => cartoon.root.querySelector('select[name="topType"]'), 'the cartoon options');
  for (const [key, value] of [['topType', 'WinterHat2'], ['facialHairType', 'BeardMajestic'], ['clotheType', 'GraphicShirt']]) {
    select(key!).value = value!;
    select(key!).dispatchEvent(new Event('change'));
  }
  await cartoon.el.updateComplete;
  expect(select('topType').querySelector('option[value="WinterHat2"]')!.textContent!.trim()).to.equal(lang === 'de' ? 'Wintermütze 2' : 'Winter hat 2');
  const pictures = [...cartoon.root.querySelectorAll<HTMLImageElement>('[part="cartoon-preview"], select > button img')];
  await Promise.all(pictures.map((img) => img.decode()));
  await state(cartoon.el, cartoon.root.querySelector('section')!, cartoon.root, `cartoon-${tag}`);
  select('eyeType').focus();
  await sendKeys({ press: 'Enter' });
  await Promise.all([...select('eyeType').querySelectorAll('img')].map((img) => img.decode()));
  await look(cartoon.el, `cartoon-eyes-open-${tag}`);
  await sendKeys({ press: 'Escape' });
  if (width === 375) {
    select('frame').scrollIntoView({ block: 'end' });
    await screenshotOfViewport(`cartoon-scrolled-${tag}`);
    window.scrollTo(0, 0);
  }
  cartoon.el.remove();
});
