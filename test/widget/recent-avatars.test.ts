// The Recent list (issue 23): the user's last avatars — photos and cartoons, newest first — to switch back to with
// one click or one key, and to delete one. In real Chromium against the real server, which is asked after each step
// what the avatar is; by keyboard with focus checked after every action; localized; axe-clean and looked at in every
// look (1280 and 375 px, light and dark, in each locale).
import { expect, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { RECENT_COUNT } from '../../widget/recent-avatars.ts';
import { click, eachLook, expectFits, focused, look } from './browser.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';
import { avatarEditor, pngFile, tabTo } from './user-actions.ts';

const en = LOCALES.en!;

/** A photo uploaded in one request (as a backend would), once it is ready; `setAsAvatar` as the upload says. */
async function photo(token: string, colour: string): Promise<string> {
  const body = await pngFile('p.png', 200, 200, colour);
  const res = await fetch(`${server.url}/v1/users/me/avatar`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' }, body });
  if (!res.ok) throw new Error(`the upload: ${res.status} ${await res.text()}`);
  const { file_id } = (await res.json()) as { file_id: string };
  for (;;) {
    const answer = await fetch(`${server.url}/v1/files/${file_id}?wait=25`, { headers: { authorization: `Bearer ${token}` } });
    if (!answer.ok) throw new Error(`the photo: ${answer.status} ${await answer.text()}`);
    const file = (await answer.json()) as { processing_state: string };
    if (file.processing_state === 'ready') return file_id;
    if (file.processing_state === 'failed') throw new Error(`the photo failed: ${JSON.stringify(file)}`);
  }
}

async function cartoon(token: string, data: Record<string, string>): Promise<void> {
  const res = await fetch(`${server.url}/v1/users/me/avatar/config`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ data }) });
  expect(res.status).to.equal(200);
}

/** What GET /v1/users/me says the avatar is. */
async function serverAvatar(token: string) {
  const res = await fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { avatar: { file_id: string | null; source: string; config?: Record<string, string> } | null }).avatar;
}

/** A user with a cartoon, then two photos (the second the avatar): three recent avatars. */
async function userWithHistory() {
  const user = await newUser();
  await cartoon(user.token, { mouthType: 'Smile' });
  const first = await photo(user.token, '#16a34a');
  const second = await photo(user.token, '#2563eb');
  return { ...user, first, second };
}

/** The editor with its Recent list shown. */
async function editorWithRecent(token: string, lang = 'en') {
  const editor = await avatarEditor(token, { lang });
  await waitFor(() => recentOf(editor.el)?.shadowRoot?.querySelectorAll('button.use').length, 'the Recent list');
  return editor;
}

const recentOf = (el: AvatarEditor) => el.shadowRoot!.querySelector('avatar-recent');
const items = (el: AvatarEditor) => [...recentOf(el)!.shadowRoot!.querySelectorAll<HTMLButtonElement>('button.use')];
const deleteButtons = (el: AvatarEditor) => [...recentOf(el)!.shadowRoot!.querySelectorAll<HTMLButtonElement>('button.delete')];
const labels = (el: AvatarEditor) => items(el).map((b) => b.getAttribute('aria-label'));

describe('Recent avatars', () => {
  it('lists photos and cartoons newest first, the avatar marked and not deletable; one click switches back', async () => {
    const user = await userWithHistory();
    const { el, status } = await editorWithRecent(user.token);
    expect(labels(el)).to.deep.equal([en.current, en.recentPhoto, en.recentCartoon]);
    expect(items(el)[0]!.getAttribute('aria-current')).to.equal('true');
    expect(items(el).map((b) => b.dataset.id).slice(0, 2)).to.deep.equal([user.second, user.first]);
    expect(deleteButtons(el).length, 'a delete button for each but the avatar').to.equal(2);
    await Promise.all(items(el).map((b) => b.querySelector('img')!.decode()));
    await expect(el).to.be.accessible();

    const changed = oneEvent(el, 'avatar-changed');
    await click(items(el)[1]!);
    const detail = (await changed).detail;
    expect(detail).to.include({ file_id: user.first, source: 'upload' });
    expect((await serverAvatar(user.token))?.file_id).to.equal(user.first);
    await waitFor(() => items(el)[1]?.getAttribute('aria-current') === 'true', 'the list to mark it');
    expect(focused(), 'focus stays on the picture clicked').to.equal(items(el)[1]);
    expect(status()).to.equal(en.saved);
    expect(el.shadowRoot!.querySelector<HTMLImageElement>('[part="current-image"]')!.src).to.equal(detail.url);
  });

  it(`shows the ${RECENT_COUNT} newest of more, and fills up again after a deletion`, async () => {
    const user = await newUser();
    await cartoon(user.token, { mouthType: 'Smile' });
    const photos: string[] = [];
    for (const colour of ['#dc2626', '#ea580c', '#ca8a04', '#16a34a', '#0891b2', '#7c3aed']) photos.push(await photo(user.token, colour));
    const { el } = await editorWithRecent(user.token);
    expect(items(el).map((b) => b.dataset.id), 'the newest first; the cartoon, oldest, left out').to.deep.equal([...photos].reverse());
    expect(labels(el)).to.deep.equal([en.current, ...Array(RECENT_COUNT - 1).fill(en.recentPhoto)]);

    await click(deleteButtons(el).at(-1)!);
    await waitFor(() => items(el).at(-1)?.getAttribute('aria-label') === en.recentCartoon, 'the cartoon to take the free place');
    expect(items(el).map((b) => b.dataset.id).slice(0, -1)).to.deep.equal(photos.slice(1).reverse());
    expect(focused(), 'focus on the picture that took its place').to.equal(items(el).at(-1));
  });

  it('by keyboard: one Tab stop, arrows move, Enter uses, Delete deletes; focus is checked after each', async () => {
    const user = await userWithHistory();
    await photo(user.token, '#f59e0b'); // a third photo, the avatar now: four recent ones
    const { el, status } = await editorWithRecent(user.token);
    expect(items(el).length).to.equal(4);

    // The list is one stop of the Tab key, on the avatar; its neighbours are reached with the arrow keys.
    await tabTo(() => items(el)[0], 'the Recent list');
    await tabTo(() => el.shadowRoot!.querySelector('[part~="choose"] input'), 'the file button');
    await tabTo(() => items(el)[0], 'the Recent list', true);
    await sendKeys({ press: 'ArrowRight' });
    expect(focused()).to.equal(items(el)[1]);
    await sendKeys({ press: 'End' });
    expect(focused(), 'End: the last').to.equal(items(el)[3]);
    await sendKeys({ press: 'ArrowRight' });
    expect(focused(), 'past the last: the first').to.equal(items(el)[0]);
    await sendKeys({ press: 'ArrowLeft' });
    expect(focused()).to.equal(items(el)[3]);
    expect(items(el)[3]!.getAttribute('aria-label')).to.equal(en.recentCartoon);

    // Enter on the cartoon: the avatar is that cartoon again, and focus stays on it.
    const changed = oneEvent(el, 'avatar-changed');
    await sendKeys({ press: 'Enter' });
    expect((await changed).detail.source).to.equal('config');
    expect((await serverAvatar(user.token))?.config?.mouthType).to.equal('Smile');
    await waitFor(() => items(el)[3]?.getAttribute('aria-current') === 'true', 'the cartoon to be marked');
    expect(focused(), 'focus stays on the picture used').to.equal(items(el)[3]);
    expect(status()).to.equal(en.saved);

    // Delete on a photo: gone here and on the server; focus on the picture that took its place.
    await sendKeys({ press: 'Home' });
    const deleted = items(el)[0]!.dataset.id!;
    await sendKeys({ press: 'Delete' });
    await waitFor(() => status() === en.recentDeleted, 'the deletion');
    expect(items(el).map((b) => b.dataset.id)).to.not.include(deleted);
    expect(focused(), 'focus on the next picture').to.equal(items(el)[0]);
    const gone = await fetch(`${server.url}/v1/files/${deleted}`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(gone.status).to.equal(404);

    // Its Delete button is the next stop of the Tab key.
    await sendKeys({ press: 'Tab' });
    expect(focused()).to.equal(deleteButtons(el)[0]);
    expect(focused()!.getAttribute('aria-label')).to.equal(en.recentDelete);
    await sendKeys({ press: 'Enter' });
    await waitFor(() => items(el).length === 2, 'the second deletion');
    expect(focused(), 'focus on the next picture').to.equal(items(el)[0]);

    // The avatar itself offers no deletion: Delete on it does nothing.
    const avatar = items(el).find((b) => b.getAttribute('aria-current') === 'true')!;
    avatar.focus();
    await sendKeys({ press: 'Delete' });
    expect(items(el).length).to.equal(2);
    await expect(el).to.be.accessible();
  });

  it('says why in the user\'s words when the picture became the avatar elsewhere meanwhile (409 FILE_IN_USE)', async () => {
    const user = await userWithHistory();
    const { el, status } = await editorWithRecent(user.token);
    // Another tab makes the first photo the avatar; this list still offers to delete it.
    await fetch(`${server.url}/v1/users/me/avatar`, { method: 'PUT', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ file_id: user.first }) });
    const error = oneEvent(el, 'avatar-error');
    const button = deleteButtons(el)[0]!;
    await click(button);
    expect((await error).detail.code).to.equal('FILE_IN_USE');
    await el.updateComplete;
    expect(status()).to.equal(en.errorInUse);
    // The list is read again: the photo is marked as the avatar, without its ×, and focus is on the photo.
    expect(items(el)[1]!.getAttribute('aria-current')).to.equal('true');
    expect(button.isConnected).to.equal(false);
    expect(focused()).to.equal(items(el)[1]);
    expect((await serverAvatar(user.token))?.file_id).to.equal(user.first);
  });

  it('follows the avatar saved in the editor, and shows nothing for a user without pictures', async () => {
    const user = await newUser();
    const { el } = await avatarEditor(user.token);
    await waitFor(() => customElements.get('avatar-recent') && recentOf(el), 'the Recent element');
    expect(items(el).length, 'nothing to show').to.equal(0);
    await el.openFile(await pngFile());
    await waitFor(() => el.currentCrop(), 'the crop area');
    await el.save();
    await waitFor(() => items(el).length === 1, 'the saved photo in the list');
    expect(items(el)[0]!.getAttribute('aria-current')).to.equal('true');
  });
});

eachLook('Recent avatars', async ({ width, scheme, lang }) => {
  const t = LOCALES[lang]!;
  const user = await userWithHistory();
  const { el, root } = await editorWithRecent(user.token, lang);
  const recent = recentOf(el)!.shadowRoot!;
  expect(recent.querySelector('h3')!.textContent!.trim()).to.equal(t.recent);
  expect(labels(el)).to.deep.equal([t.current, t.recentPhoto, t.recentCartoon]);
  expect(deleteButtons(el)[0]!.getAttribute('aria-label')).to.equal(t.recentDelete);
  await Promise.all(items(el).map((b) => b.querySelector('img')!.decode()));
  expectFits(root.querySelector('section')!, recent, `recent-${width}-${scheme}-${lang}`);
  await expect(el).to.be.accessible();
  // Reached by keyboard, so the focus ring shows as a keyboard user sees it.
  await tabTo(() => items(el)[0], 'the Recent list');
  await sendKeys({ press: 'ArrowRight' });
  expect(focused()).to.equal(items(el)[1]);
  await look(el, `recent-${width}-${scheme}-${lang}`);
}, Object.keys(LOCALES));
