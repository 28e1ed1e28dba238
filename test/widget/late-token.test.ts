// A host app sets `token` (and `endpoint`) after the element is in the page, as the demo does (issue 18 §1.1,
// §1.2): nothing is asked of the server before there is a token, the emote list shows a loading state until
// the first answer and then a returning user's emotes, and an error is kept as its code, so a change of
// language re-renders it.
import { expect, fixture, html } from '@open-wc/testing';
import '../../widget/index.ts';
import type { AvatarEditor } from '../../widget/avatar-editor.ts';
import type { AvatarEmotePanel } from '../../widget/emote-panel.ts';
import type { AvatarErrorDetail } from '../../widget/events.ts';
import { ApiClient } from '../../widget/api/client.ts';
import { createEmote } from '../../widget/api/emotes.ts';
import { LOCALES } from '../../widget/i18n.ts';
import { waitFor } from './fixtures.ts';
import { newUser, server, tokenFor } from './server.ts';
import { pngFile } from './user-actions.ts';

const en = LOCALES.en!;
const de = LOCALES.de!;

/** A user who already has an emote (made through the API, as in an earlier visit). */
async function returningUser(shortcode: string) {
  const user = await newUser();
  const client = new ApiClient({ endpoint: server.url, getToken: () => user.token });
  await createEmote(client, await pngFile(`${shortcode}.png`, 40, 40), { shortcode, public: false });
  return user;
}

/** Every request the page sends while `run` runs (the widget's API client uses fetch). */
async function requestsDuring(run: () => Promise<void>): Promise<string[]> {
  const urls: string[] = [];
  const realFetch = window.fetch;
  window.fetch = (input, init) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return realFetch(input, init);
  };
  try {
    await run();
  } finally {
    window.fetch = realFetch;
  }
  return urls;
}

function collectErrors(el: Element): AvatarErrorDetail[] {
  const errors: AvatarErrorDetail[] = [];
  el.addEventListener('avatar-error', (event) => errors.push((event as CustomEvent<AvatarErrorDetail>).detail));
  return errors;
}

async function emoteEditor() {
  const el = await fixture<AvatarEditor>(html`<avatar-editor mode="emote"></avatar-editor>`);
  await el.updateComplete;
  const panel = el.shadowRoot!.querySelector('avatar-emote-panel') as AvatarEmotePanel;
  const root = panel.shadowRoot!;
  return { el, panel, root, status: () => root.querySelector('[part="status"]')!.textContent!.trim() };
}

describe('token and endpoint set after the element is in the page', () => {
  it('emote mode: no request before the token, a loading state, then the returning user’s emotes and no error', async () => {
    const user = await returningUser('party_cat');
    let editor: Awaited<ReturnType<typeof emoteEditor>> | undefined;
    const early = await requestsDuring(async () => {
      editor = await emoteEditor();
      await editor.panel.updateComplete;
    });
    const { el, root, status } = editor!;
    const errors = collectErrors(el);
    expect(early.filter((url) => url.includes('/v1/')), 'nothing is asked without a token').to.deep.equal([]);
    expect(root.querySelector('[aria-busy="true"]')?.textContent?.trim(), 'a loading state, not “No emotes yet”').to.equal(en.loading);
    expect(root.textContent).not.to.include(en.noEmotes);

    el.endpoint = server.url;
    el.token = user.token;
    await waitFor(() => root.querySelector('[part="emote-list"] img[alt=":party_cat:"]'), 'the returning user’s emote');
    expect(root.querySelectorAll('[aria-busy="true"]').length).to.equal(0);
    expect(status()).to.equal('');
    expect(errors).to.deep.equal([]);
    await expect(el).to.be.accessible();
  });

  it('emote mode: the token first and the endpoint later (the page’s own origin is never asked)', async () => {
    const user = await returningUser('wave');
    const { el, root, status } = await emoteEditor();
    const errors = collectErrors(el);
    el.token = user.token;
    el.endpoint = server.url; // in the same task, as a host app sets both
    await waitFor(() => root.querySelector('[part="emote-list"] img[alt=":wave:"]'), 'the emote');
    expect(status()).to.equal('');
    expect(errors).to.deep.equal([]);
  });

  it('emote mode: another token lists the other user’s emotes', async () => {
    const alice = await returningUser('alice_wave');
    const bob = await returningUser('bob_wave');
    const { el, root } = await emoteEditor();
    el.endpoint = server.url;
    el.token = alice.token;
    await waitFor(() => root.querySelector('img[alt=":alice_wave:"]'), 'Alice’s emote');
    el.token = bob.token;
    await waitFor(() => root.querySelector('img[alt=":bob_wave:"]') && !root.querySelector('img[alt=":alice_wave:"]'), 'Bob’s emote, and not Alice’s');
  });

  it('an error shows in the language in use when it is shown: a change of lang re-renders it (both modes)', async () => {
    const user = await newUser();
    const tampered = `${(await tokenFor(user.id)).slice(0, -4)}AAAA`;
    const { el, status } = await emoteEditor();
    el.endpoint = server.url;
    el.token = tampered;
    await waitFor(() => status() === en.errorAuth, 'the refusal in English');
    el.lang = 'de';
    await waitFor(() => status() === de.errorAuth, 'the same refusal in German');

    const avatar = await fixture<AvatarEditor>(html`<avatar-editor .endpoint=${server.url} .token=${tampered}></avatar-editor>`);
    const avatarStatus = () => avatar.shadowRoot!.querySelector('[part="status"]')!.textContent!.trim();
    await waitFor(() => avatarStatus() === en.errorAuth, 'avatar mode: the refusal in English');
    avatar.lang = 'de';
    await avatar.updateComplete;
    expect(avatarStatus()).to.equal(de.errorAuth);
  });
});
