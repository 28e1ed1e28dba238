// Remove with Undo (issue 18 §1.9): the avatar goes at once (avatar-removed), and for a few seconds Undo sets it
// again — a photo by its file (PUT /v1/users/me/avatar, the server keeps the file), a cartoon by saving its
// options again (a cartoon has no file). The server is asked what the avatar is after each step.
import { expect, oneEvent } from '@open-wc/testing';
import '../../widget/index.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server } from './server.ts';
import { avatarEditor, pngFile } from './user-actions.ts';

const en = LOCALES.en!;

/** What GET /v1/users/me says the avatar is. */
async function serverAvatar(token: string) {
  const res = await fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { avatar: { file_id: string | null; source: string; config?: Record<string, string> } | null }).avatar;
}

describe('Remove, then Undo', () => {
  it('a photo: removed at once, and Undo sets the same file again', async () => {
    const user = await newUser();
    const { el, status, button } = await avatarEditor(user.token);
    await el.openFile(await pngFile());
    await waitFor(() => el.currentCrop(), 'the crop area');
    const saved = oneEvent(el, 'avatar-changed');
    await el.save();
    const fileId = (await saved).detail.file_id;

    const removed = oneEvent(el, 'avatar-removed');
    button('remove')!.click();
    await removed;
    expect(await serverAvatar(user.token), 'removed on the server at once').to.equal(null);
    await el.updateComplete;
    expect(status()).to.equal(en.removed);
    expect(button('undo')?.textContent?.trim()).to.equal(en.undo);
    await expect(el).to.be.accessible();

    const restored = oneEvent(el, 'avatar-changed');
    button('undo')!.click();
    const detail = (await restored).detail;
    expect(detail).to.include({ file_id: fileId, source: 'upload' });
    expect((await serverAvatar(user.token))?.file_id).to.equal(fileId);
    await el.updateComplete;
    expect(status()).to.equal(en.avatarRestored);
    expect(Boolean(button('undo')), 'Undo is gone').to.equal(false);
    expect(el.shadowRoot!.querySelector<HTMLImageElement>('[part="current-image"]')!.src).to.equal(detail.url);
  });

  it('a cartoon: Undo saves its options again', async () => {
    const user = await newUser();
    const { el, root, button } = await avatarEditor(user.token);
    root.querySelector<HTMLButtonElement>('#tab-cartoon')!.click();
    await waitFor(() => root.querySelector('select[name="topType"]'), 'the cartoon options');
    const hair = root.querySelector<HTMLSelectElement>('select[name="topType"]')!;
    hair.selectedIndex = 3;
    hair.dispatchEvent(new Event('change'));
    const saved = oneEvent(el, 'avatar-changed');
    await el.save();
    await saved;
    const config = (await serverAvatar(user.token))!.config;

    button('remove')!.click();
    await oneEvent(el, 'avatar-removed');
    await waitFor(() => button('undo'), 'Undo');
    const restored = oneEvent(el, 'avatar-changed');
    button('undo')!.click();
    expect((await restored).detail.source).to.equal('config');
    expect((await serverAvatar(user.token))?.config).to.deep.equal(config);
  });

  it('Undo is offered for a few seconds, then the removal stands', async function () {
    this.timeout(30_000);
    const user = await newUser();
    const { el, status, button } = await avatarEditor(user.token);
    await el.openFile(await pngFile());
    await waitFor(() => el.currentCrop(), 'the crop area');
    await el.save();
    button('remove')!.click();
    await oneEvent(el, 'avatar-removed');
    await waitFor(() => button('undo'), 'Undo');
    (el.shadowRoot!.activeElement as HTMLElement | null)?.blur(); // Undo is kept while it has focus
    await waitFor(() => button('undo') === null, 'Undo goes after a few seconds', 15_000);
    expect(status()).to.equal(en.removed);
    expect(await serverAvatar(user.token)).to.equal(null);
  });
});
