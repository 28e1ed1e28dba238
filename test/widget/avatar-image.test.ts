// <avatar-image> in real Chromium against the real avatar-server: the placeholder painted in the first frame, a
// <picture> whose srcset makes a 48 px avatar on a 2× screen fetch the 128 px AVIF, no layout shift, the default
// picture without an avatar, updates from avatar-changed, how it looks (light, dark) with axe; and a page of many:
// elements created together are looked up in one GET /v1/avatars, each painting its placeholder with its picture.
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { AvatarImage } from '../../widget/avatar-image.ts';
import '../../widget/index.ts';
import { cdp, look, screenshot } from './browser.ts';
import { quadrantsPng, waitFor, colourDistance, pixelAt, RED, GREEN, BLUE, YELLOW } from './fixtures.ts';
import { newUser, server } from './server.ts';

/** A user whose avatar is a 600 px photo of four flat quadrants; resolves once it is served. */
async function userWithAvatar() {
  const user = await newUser();
  const res = await fetch(`${server.url}/v1/users/me/avatar`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'image/png' },
    body: await quadrantsPng(600, 600),
  });
  expect(res.status).to.equal(202);
  let avatar: Record<string, any> = {};
  await waitFor(async () => {
    const answer = await fetch(`${server.url}/v1/users/${user.id}/avatar`);
    if (answer.ok) avatar = await answer.json();
    return answer.ok;
  }, 'the avatar to be served');
  return { ...user, avatar };
}

const img = (el: AvatarImage) => el.shadowRoot!.querySelector('img')!;
const canvas = (el: AvatarImage) => el.shadowRoot!.querySelector('canvas');
const loaded = (el: AvatarImage) => waitFor(() => img(el)?.complete && img(el).naturalWidth > 0 && !canvas(el), 'the image to be painted');

describe('<avatar-image>', () => {
  afterEach(async () => {
    await cdp('Emulation.clearDeviceMetricsOverride');
    await emulateMedia({ colorScheme: 'light' });
  });

  it('holds its final size from the first frame and paints a given placeholder while the server cannot answer', async () => {
    const { id, avatar } = await userWithAvatar();
    // Every request to this endpoint answers 503: only what the host gave can be shown.
    const endpoint = `${location.origin}/__flaky/1000/placeholder-${id}`;
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${endpoint} user-id=${id} size="96" .placeholder=${avatar.placeholder}></avatar-image>`);
    const box = el.shadowRoot!.querySelector('.box')!.getBoundingClientRect();
    expect([box.width, box.height]).to.deep.equal([96, 96]);
    await waitFor(() => canvas(el)?.width === 32, 'the placeholder to be painted');
    // The placeholder keeps the photo's four colours, blurred: each quadrant leans to its colour.
    const pixels = canvas(el)!.getContext('2d')!.getImageData(0, 0, 32, 32).data;
    const at = (x: number, y: number) => [...pixels.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4)] as [number, number, number, number];
    expect(colourDistance(at(4, 4), RED), 'top left is reddish').to.be.below(colourDistance(at(4, 4), GREEN));
    expect(colourDistance(at(27, 27), YELLOW), 'bottom right is yellowish').to.be.below(colourDistance(at(27, 27), BLUE));
    expect(el.shadowRoot!.querySelector('.box')!.getAttribute('aria-label'), 'named while no image shows').to.equal(id);
    await expect(el).to.be.accessible();
  });

  it('paints the image in the box it had from the first frame: no layout shift', async () => {
    const { id } = await userWithAvatar();
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${id} size="96"></avatar-image>`);
    const box = el.shadowRoot!.querySelector('.box')!.getBoundingClientRect();
    expect([box.width, box.height]).to.deep.equal([96, 96]);
    await loaded(el);
    const after = el.shadowRoot!.querySelector('.box')!.getBoundingClientRect();
    expect([after.x, after.y, after.width, after.height]).to.deep.equal([box.x, box.y, box.width, box.height]);
    await expect(el).to.be.accessible();
  });

  it('48 px on a 2× screen fetches the 128 px AVIF: not 256, not 512, not WebP', async () => {
    await cdp('Emulation.setDeviceMetricsOverride', { width: 800, height: 600, deviceScaleFactor: 2, mobile: false });
    const { id, avatar } = await userWithAvatar();
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${id} size="48"></avatar-image>`);
    await loaded(el);
    expect(img(el).currentSrc).to.equal(avatar.avif_urls['128']);
    // One <source>, AVIF; the <img> itself carries the WebP srcset.
    const [avif, ...others] = [...el.shadowRoot!.querySelectorAll('source')];
    expect(others).to.have.length(0);
    expect(avif!.type).to.equal('image/avif');
    expect(avif!.sizes).to.equal('48px');
    expect(img(el).sizes).to.equal('48px');
    // AVIF from 128 px up; the 64 px (too small for AVIF to pay) is the WebP in both sources.
    expect(avif!.srcset).to.contain(`${avatar.urls['64']} 64w`);
    expect(avif!.srcset).to.contain(`${avatar.avif_urls['512']} 512w`);
    expect(img(el).srcset).to.contain(`${avatar.urls['128']} 128w`);
    expect(img(el).alt).to.equal(id);
  });

  it('32 px on a 1× screen fetches the 64 px WebP', async () => {
    const { id, avatar } = await userWithAvatar();
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${id} size="32"></avatar-image>`);
    await loaded(el);
    expect(img(el).currentSrc).to.equal(avatar.urls['64']);
  });

  it('shows the generated default for a user without an avatar', async () => {
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id="nobody-${Date.now()}" size="64" default="initials" name="Ada Lovelace"></avatar-image>`);
    await waitFor(() => img(el)?.complete && img(el).naturalWidth > 0, 'the default picture');
    expect(img(el).src).to.contain('/avatar/image?size=64&default=initials&name=Ada+Lovelace');
    expect(canvas(el)).to.equal(null);
    expect(img(el).alt).to.equal('Ada Lovelace');
    await expect(el).to.be.accessible();
  });

  it('takes a new avatar from avatar-changed, placeholder first, without asking the server', async () => {
    const first = await userWithAvatar();
    const second = await userWithAvatar(); // another picture to switch to
    const el = await fixture<AvatarImage>(html`<avatar-image .endpoint=${server.url} user-id=${first.id} size="64"></avatar-image>`);
    await loaded(el);
    const detail = { user_id: first.id, file_id: null, version: first.avatar.version + 1, url: second.avatar.url, urls: second.avatar.urls, avif_urls: second.avatar.avif_urls, placeholder: second.avatar.placeholder, source: 'upload' };
    document.dispatchEvent(new CustomEvent('avatar-changed', { detail }));
    await el.updateComplete;
    expect(canvas(el), 'the new placeholder shows until the new image is painted').to.exist;
    await loaded(el);
    expect(Object.values(second.avatar.urls).concat(Object.values(second.avatar.avif_urls))).to.include(img(el).currentSrc);
    document.dispatchEvent(new CustomEvent('avatar-removed', { detail: { user_id: first.id } }));
    await el.updateComplete;
    await waitFor(() => img(el)?.src.includes('/avatar/image?'), 'the default after removal');
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`looks right, ${scheme}: placeholder, then the photo`, async () => {
      await emulateMedia({ colorScheme: scheme });
      const { id, avatar } = await userWithAvatar();
      const page = await fixture(html`<div style="padding:16px;background:${scheme === 'dark' ? '#111827' : '#fff'};display:inline-flex;gap:12px">
        <avatar-image .endpoint=${`${location.origin}/__flaky/1000/look-${id}`} user-id=${id} size="64" .placeholder=${avatar.placeholder}></avatar-image>
        <avatar-image .endpoint=${server.url} user-id=${id} size="64"></avatar-image>
        <avatar-image .endpoint=${server.url} user-id="nobody-${id}" size="64" default="initials" name="Grace Hopper"></avatar-image>
      </div>`);
      const [pending, photo, initials] = [...page.querySelectorAll('avatar-image')] as AvatarImage[];
      await loaded(photo!);
      await waitFor(() => img(initials!)?.complete && img(initials!).naturalWidth > 0, 'the initials');
      // The first one's server answers 503 to everything: its placeholder stays.
      expect(canvas(pending!)).to.exist;
      await look(page, `avatar-image-${scheme}`);
      const shot = await screenshot(photo!.getBoundingClientRect());
      // The photo's top-left quadrant is red, inside the circle.
      expect(colourDistance(pixelAt(shot, 20, 20), RED)).to.be.below(60);
      for (const el of [pending!, photo!, initials!]) await expect(el).to.be.accessible();
    });
  }

  describe('a page of many', () => {
    /** The page's requests (Resource Timing) whose URL matches. */
    const requested = (pattern: RegExp) => performance.getEntriesByType('resource').filter((entry) => pattern.test(entry.name));
    const LOOKUPS = /\/v1\/avatars\?user_ids=/;

    /**
     * `count` <avatar-image>s appended in one task, as a host page renders a list. For each, how its shadow root
     * looked when its <picture> first appeared: was the placeholder's canvas there, was the image still loading.
     */
    function appendMany(userIds: string[], attributes: (id: string, i: number) => Record<string, string> = () => ({})) {
      performance.setResourceTimingBufferSize(2000);
      performance.clearResourceTimings();
      const list = document.createElement('div');
      list.style.cssText = 'display:flex;flex-wrap:wrap;gap:4px;width:560px';
      const firstPicture = new Map<string, { canvas: boolean; imageComplete: boolean }>();
      const observers: MutationObserver[] = [];
      const elements = userIds.map((id, i) => {
        const el = document.createElement('avatar-image') as AvatarImage;
        el.endpoint = server.url;
        el.setAttribute('user-id', id);
        el.setAttribute('size', '48');
        for (const [name, value] of Object.entries(attributes(id, i))) el.setAttribute(name, value);
        list.append(el);
        return el;
      });
      document.body.append(list);
      for (const [i, el] of elements.entries()) {
        // Connected, so its shadow root exists; its lookup cannot have been answered yet (it is not even sent).
        const observer = new MutationObserver(() => {
          const img = el.shadowRoot!.querySelector('picture img') as HTMLImageElement | null;
          if (!img || firstPicture.has(userIds[i]!)) return;
          firstPicture.set(userIds[i]!, { canvas: !!el.shadowRoot!.querySelector('canvas'), imageComplete: img.complete });
        });
        observer.observe(el.shadowRoot!, { childList: true, subtree: true });
        observers.push(observer);
      }
      return { list, elements, firstPicture, stop: () => observers.forEach((observer) => observer.disconnect()) };
    }

    it('100 elements created together: one lookup request; each picture comes with its placeholder, then the image; alt text; axe', async () => {
      await cdp('Emulation.setDeviceMetricsOverride', { width: 800, height: 600, deviceScaleFactor: 2, mobile: false });
      const withAvatars = await Promise.all([userWithAvatar(), userWithAvatar(), userWithAvatar()]);
      const stamp = Date.now().toString(36);
      const ids = [...withAvatars.map((user) => user.id), ...Array.from({ length: 97 }, (_, i) => `nobody-${stamp}-${i}`)];
      const page = appendMany(ids, (_id, i): Record<string, string> => (i >= 3 && i % 2 ? { default: 'initials', name: `Person ${i}` } : {}));
      try {
        const [photos, defaults] = [page.elements.slice(0, 3), page.elements.slice(3)];
        await Promise.all(photos.map(loaded));
        await waitFor(() => defaults.every((el) => img(el)?.complete && img(el).naturalWidth > 0), 'every default picture');

        expect(requested(LOOKUPS).length, 'one GET /v1/avatars for the 100').to.equal(1);
        expect(new URL(requested(LOOKUPS)[0]!.name).searchParams.get('user_ids')!.split(',').sort()).to.deep.equal([...ids].sort());
        expect(requested(/\/v1\/users\/[^/]+\/avatar(\?|$)/).map((entry) => entry.name), 'no lookup per user').to.deep.equal([]);
        expect(requested(/\/avatar\/image\?/).length, 'a default picture per user without an avatar').to.equal(97);

        for (const [i, { id, avatar }] of withAvatars.entries()) {
          expect(page.firstPicture.get(id), `${id}: the placeholder is there when the picture appears, before the image is`).to.deep.equal({ canvas: true, imageComplete: false });
          expect(img(photos[i]!).alt).to.equal(id);
          // 48 px at 2×: the 128 px AVIF.
          expect(img(photos[i]!).currentSrc).to.equal(avatar.avif_urls['128']);
        }
        expect(img(defaults[0]!).alt, 'named by the name given').to.equal('Person 3');
        expect(img(defaults[0]!).src).to.contain('default=initials&name=Person+3');
        expect(img(defaults[1]!).alt, 'named by its user id').to.equal(ids[4]);
        expect(img(defaults[1]!).src).to.contain('default=identicon');
        await look(page.list, 'avatar-image-page-of-100');
        await expect(page.list).to.be.accessible();
      } finally {
        page.stop();
        page.list.remove();
      }
    });

    it('more than 100 users: requests of at most 100; a user already looked up is not asked again', async () => {
      const stamp = Date.now().toString(36);
      const ids = Array.from({ length: 150 }, (_, i) => `many-${stamp}-${i}`);
      const page = appendMany(ids);
      try {
        await waitFor(() => page.elements.every((el) => img(el)?.complete && img(el).naturalWidth > 0), 'every default picture');
        const lookups = requested(LOOKUPS).map((entry) => new URL(entry.name).searchParams.get('user_ids')!.split(','));
        expect(lookups.map((batch) => batch.length).sort()).to.deep.equal([100, 50]);
        expect(lookups.flat().sort()).to.deep.equal([...ids].sort());

        const again = appendMany(ids.slice(0, 10));
        try {
          await waitFor(() => again.elements.every((el) => img(el)?.complete && img(el).naturalWidth > 0), 'the same users shown again');
          expect(requested(LOOKUPS).length, 'answered from what the page already knows').to.equal(0);
        } finally {
          again.stop();
          again.list.remove();
        }
      } finally {
        page.stop();
        page.list.remove();
      }
    });
  });
});
