// <emote-text>, renderEmoteText and splitMessage in real Chromium; URLs from the real avatar-server started by
// the test runner. User text must only ever become text: hostile bodies render literally.
import { expect, fixture, html } from '@open-wc/testing';
import {
  clearEmoteUrlCache, emoteVariant, renderEmoteText, resolveEmoteUrl, splitMessage, type EmoteText, type InlineEmote,
} from '../../widget/emote-text.ts';
import { quadrantsPng, waitFor } from './fixtures.ts';

interface ServerInfo {
  url: string;
  adminKey: string;
}

const server: ServerInfo = await (await fetch('/__avatar-server.json')).json();

const HOSTILE = '<img src=x onerror="window.__emoteXss=true"><script>window.__emoteXss=true</script>';

declare global {
  interface Window {
    __emoteXss?: boolean;
  }
}

/**
 * Resolves once an `<img src=x>` parsed from markup now has failed to load: a hostile `<img onerror>` rendered
 * before this call, had it been parsed as markup, would have run its handler by then too. Waiting for this
 * control, not for a fixed time, is what lets a test then check that the handler did not run.
 */
async function hostileImageHadItsChance(): Promise<void> {
  const control = document.createElement('div');
  control.innerHTML = '<img src=x>';
  let failed = false;
  control.querySelector('img')!.addEventListener('error', () => (failed = true));
  await waitFor(() => failed, 'the control <img src=x> to fail');
}

/** A 2×2 PNG as a data: URL, for resolveUrl stubs. */
const PIXEL = (() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 2;
  return canvas.toDataURL('image/png');
})();

const emote = (shortcode: string, asset_id: string, start_index: number, end_index: number): InlineEmote => ({ shortcode, asset_id, start_index, end_index });

/** Text of each child node, with `<img alt>` as [alt]: the rendered message at a glance. */
function rendered(root: ParentNode): string {
  return [...root.childNodes]
    .map((node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.textContent;
      if (node instanceof HTMLImageElement) return `[${node.alt}]`;
      if (node.nodeType === Node.COMMENT_NODE) return ''; // Lit's markers
      return `<${(node as Element).localName}>`;
    })
    .join('');
}

async function tokenFor(userId: string): Promise<string> {
  const res = await fetch(`${server.url}/v1/admin/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, ttl_seconds: 3600 }),
  });
  expect(res.status).to.equal(200);
  return ((await res.json()) as { token: string }).token;
}

const newToken = () => tokenFor(`emote-text-${crypto.randomUUID()}`);

beforeEach(() => {
  clearEmoteUrlCache();
  window.__emoteXss = false;
});

describe('splitMessage', () => {
  it('splits text and emotes; the segments join back into the body', () => {
    const body = 'Hello :cool: world :ok:';
    const segments = splitMessage(body, [emote('ok', 'e2', 19, 23), emote('cool', 'e1', 6, 12)]);
    expect(segments).to.deep.equal([
      { text: 'Hello ' },
      { emote: emote('cool', 'e1', 6, 12), text: ':cool:' },
      { text: ' world ' },
      { emote: emote('ok', 'e2', 19, 23), text: ':ok:' },
    ]);
    expect(segments.map((s) => s.text).join('')).to.equal(body);
  });

  it('counts UTF-16 code units: astral characters before the shortcode', () => {
    const body = '😀 :cool: 🇫🇷:ok:';
    const segments = splitMessage(body, [emote('cool', 'e1', 3, 9), emote('ok', 'e2', 14, 18)]);
    expect(segments.filter((s) => 'emote' in s).map((s) => s.text)).to.deep.equal([':cool:', ':ok:']);
    // Code-point indices (2, 8) are off by one unit here: ignored, not misplaced.
    expect(splitMessage(body, [emote('cool', 'e1', 2, 8)])).to.deep.equal([{ text: body }]);
  });

  it('matches the token ignoring case and keeps the body\'s spelling as the fallback text', () => {
    const [, segment] = splitMessage('a :COOL:', [emote('cool', 'e1', 2, 8)]);
    expect(segment).to.deep.equal({ emote: emote('cool', 'e1', 2, 8), text: ':COOL:' });
  });

  it('ignores bad, out-of-range, mismatched and overlapping entries', () => {
    const body = 'x :cool: :ok:';
    const bad: unknown[] = [
      null,
      'cool',
      42,
      {},
      emote('cool', 'e1', -1, 7),
      emote('cool', 'e1', 2, 99),
      emote('cool', 'e1', 8, 2),
      emote('cool', 'e1', 2, 2),
      emote('cool', 'e1', 2.5, 8),
      { ...emote('cool', 'e1', 2, 8), start_index: '2' },
      emote('cool', 'e1', 0, 6), // range does not hold ":cool:"
      emote('nope', 'e1', 2, 8), // shortcode does not match the text
      emote('c', 'e1', 2, 8), // not a valid shortcode
      emote('<b>x</b>', 'e1', 2, 8),
      emote('cool', '', 2, 8), // no asset id
      { ...emote('cool', 'e1', 2, 8), asset_id: 7 },
    ];
    expect(splitMessage(body, bad as InlineEmote[])).to.deep.equal([{ text: body }]);
    expect(splitMessage(body, 'not an array' as unknown as InlineEmote[])).to.deep.equal([{ text: body }]);
    expect(splitMessage(body, null)).to.deep.equal([{ text: body }]);
    expect(splitMessage(body, undefined)).to.deep.equal([{ text: body }]);

    // Overlaps: the earlier entry wins, a duplicate is dropped; the valid one among bad ones still renders.
    const overlapping = ':ab:cd:';
    expect(splitMessage(overlapping, [emote('cd', 'e2', 3, 7), emote('ab', 'e1', 0, 4), emote('ab', 'e1', 0, 4)])).to.deep.equal([
      { emote: emote('ab', 'e1', 0, 4), text: ':ab:' },
      { text: 'cd:' },
    ]);
    expect(splitMessage(body, [...(bad as InlineEmote[]), emote('ok', 'e2', 9, 13)])).to.deep.equal([
      { text: 'x :cool: ' },
      { emote: emote('ok', 'e2', 9, 13), text: ':ok:' },
    ]);
  });

  it('does not trust the shape of what it is given', () => {
    expect(splitMessage(undefined as unknown as string, [emote('ok', 'e', 0, 4)])).to.deep.equal([]);
    const segments = splitMessage(':ok:', [{ ...emote('ok', 'e', 0, 4), extra: '<script>' } as InlineEmote]);
    expect(segments).to.deep.equal([{ emote: emote('ok', 'e', 0, 4), text: ':ok:' }]); // copied, extra fields dropped
  });
});

describe('renderEmoteText', () => {
  it('keeps hostile text as text and renders emotes as <img alt=":shortcode:">', async () => {
    const container = document.createElement('p');
    document.body.append(container);
    try {
      const body = `${HOSTILE} :cool: & <b>bold</b>`;
      const start = body.indexOf(':cool:');
      const asked: string[] = [];
      await renderEmoteText(container, body, [emote('cool', 'em_cool', start, start + 6)], async (id) => {
        asked.push(id);
        return PIXEL;
      });
      expect(asked).to.deep.equal(['em_cool']);
      const images = container.querySelectorAll('img');
      expect(images.length).to.equal(1, 'only the emote is an element');
      expect(container.querySelectorAll('script, b').length).to.equal(0);
      expect(images[0]!.alt).to.equal(':cool:');
      expect(images[0]!.title).to.equal(':cool:');
      expect(images[0]!.src).to.equal(PIXEL);
      expect(container.textContent).to.equal(`${HOSTILE}  & <b>bold</b>`);
      expect(rendered(container)).to.equal(`${HOSTILE} [:cool:] & <b>bold</b>`);
      await hostileImageHadItsChance();
      expect(window.__emoteXss).to.equal(false);
    } finally {
      container.remove();
    }
  });

  it('replaces what the container held, one resolveUrl call per asset, astral text before the shortcode', async () => {
    const container = document.createElement('div');
    container.innerHTML = '<span>old</span>';
    const body = '𝒜😀 :cool: :ok::cool:';
    const calls: string[] = [];
    await renderEmoteText(container, body, [emote('cool', 'a', 5, 11), emote('ok', 'b', 12, 16), emote('cool', 'a', 16, 22)], async (id) => {
      calls.push(id);
      return PIXEL;
    });
    expect(calls.sort()).to.deep.equal(['a', 'b']);
    expect(rendered(container)).to.equal('𝒜😀 [:cool:] [:ok:][:cool:]');
  });

  it('leaves an emote as its text when resolveUrl fails or throws', async () => {
    const container = document.createElement('div');
    await renderEmoteText(container, 'a :ok: b :cool:', [emote('ok', 'bad', 2, 6), emote('cool', 'good', 9, 15)], (id) => {
      if (id === 'bad') throw new Error('sync throw');
      return Promise.resolve(PIXEL);
    });
    expect(rendered(container)).to.equal('a :ok: b [:cool:]');
    await renderEmoteText(container, 'a :ok:', [emote('ok', 'x', 2, 6)], () => Promise.reject(new Error('404')));
    expect(rendered(container)).to.equal('a :ok:');
    expect(container.querySelectorAll('img').length).to.equal(0);
  });

  it('shows the text while resolving, and a late answer does not touch a newer rendering', async () => {
    const container = document.createElement('div');
    let release!: (url: string) => void;
    const first = renderEmoteText(container, 'one :ok:', [emote('ok', 'x', 4, 8)], () => new Promise<string>((resolve) => (release = resolve)));
    await Promise.resolve();
    expect(rendered(container)).to.equal('one :ok:');
    await renderEmoteText(container, 'two', [], async () => PIXEL);
    release(PIXEL);
    await first;
    expect(rendered(container)).to.equal('two');
  });
});

describe('<emote-text>', () => {
  /** A random asset id: GET /v1/emotes/{id}/url answers 404. */
  const missing = () => `em_missing_${crypto.randomUUID().replace(/-/g, '')}`;

  /** Waits until the element's URL request for `id` has settled (the element shares the cached promise). */
  async function settled(el: EmoteText, id: string) {
    await resolveEmoteUrl(el.endpoint, el.token, id, el.size).catch(() => {});
    await el.updateComplete;
  }

  it('falls back to the :shortcode: text when the URL request fails (404), hostile text staying text', async () => {
    const token = await newToken();
    const id = missing();
    const body = `${HOSTILE} 😀 :cool:`;
    const start = body.indexOf(':cool:');
    const el = await fixture<EmoteText>(
      html`<emote-text .endpoint=${server.url} .token=${token} .body=${body} .inlineEmotes=${[emote('cool', id, start, start + 6)]}></emote-text>`,
    );
    const root = el.shadowRoot!;
    expect(rendered(root)).to.equal(body, 'the text while resolving');
    let error: unknown;
    await resolveEmoteUrl(server.url, token, id).catch((e: unknown) => (error = e));
    expect((error as { status?: number }).status).to.equal(404);
    await el.updateComplete;
    expect(root.querySelectorAll('img, script').length).to.equal(0);
    expect(rendered(root)).to.equal(body);
    expect(root.textContent).to.contain('<img src=x onerror="window.__emoteXss=true">');
    await hostileImageHadItsChance();
    expect(window.__emoteXss).to.equal(false);
  });

  it('reads inline-emotes from its attribute and ignores invalid JSON or entries', async () => {
    const id = missing();
    const el = await fixture<EmoteText>(
      html`<emote-text endpoint=${server.url} body="hi :cool:" inline-emotes=${JSON.stringify([emote('cool', id, 3, 9), emote('cool', id, 0, 2)])}></emote-text>`,
    );
    expect(el.inlineEmotes).to.have.length(2);
    expect(el.size).to.equal(128);
    await settled(el, id);
    expect(rendered(el.shadowRoot!)).to.equal('hi :cool:');

    el.setAttribute('inline-emotes', '{not json');
    await el.updateComplete;
    expect(el.inlineEmotes).to.deep.equal([]);
    expect(rendered(el.shadowRoot!)).to.equal('hi :cool:');
  });

  it('falls back to text when the endpoint is not an avatar server (404 with a non-JSON body)', async () => {
    const endpoint = `${location.origin}/__no-such-server`;
    const el = await fixture<EmoteText>(html`<emote-text .endpoint=${endpoint} .body=${'x :ok: y'} .inlineEmotes=${[emote('ok', 'idx', 2, 6)]}></emote-text>`);
    await settled(el, 'idx');
    expect(rendered(el.shadowRoot!)).to.equal('x :ok: y');
  });

  it('is defined once and typed in HTMLElementTagNameMap', () => {
    const el = document.createElement('emote-text');
    expect(el.size).to.equal(128);
    expect(customElements.get('emote-text')).to.equal(el.constructor);
  });

  it('emoteVariant rounds sizes up to a server variant', () => {
    expect([1, 64, 65, 128, 200, 256, 257, 1000, NaN, 0].map(emoteVariant)).to.deep.equal(['64', '64', '128', '128', '256', '256', 'full', 'full', '128', '128']);
  });

  describe('with a real emote', () => {
    /** Uploads a private emote through /v1/uploads and returns its id, found by parsing a message with it. */
    async function createEmote(token: string, shortcode: string, isPublic = false): Promise<string> {
      const png = await quadrantsPng(96, 64);
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ upload_type: 'emote', filename: 'e.png', content_type: 'image/png', size_bytes: png.size, shortcode, public: isPublic }),
      });
      expect(created.status).to.equal(201, await created.clone().text());
      const upload = (await created.json()) as { file_id: string; upload_url: string; upload_headers: Record<string, string> };
      const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.upload_headers, body: png });
      expect(put.status).to.be.within(200, 299);
      const complete = await fetch(`${server.url}/v1/uploads/${upload.file_id}/complete`, { method: 'POST', headers: auth });
      expect(complete.status).to.equal(202);
      await waitFor(
        async () => {
          const file = (await (await fetch(`${server.url}/v1/files/${upload.file_id}`, { headers: auth })).json()) as { processing_state: string };
          if (file.processing_state === 'failed') throw new Error('emote processing failed');
          return file.processing_state === 'ready';
        },
        'emote ready',
        15_000,
      );
      const parsed = await fetch(`${server.url}/v1/messages/parse`, { method: 'POST', headers: auth, body: JSON.stringify({ body: `:${shortcode}:` }) });
      const { inline_emotes } = (await parsed.json()) as { inline_emotes: InlineEmote[] };
      expect(inline_emotes).to.have.length(1);
      return inline_emotes[0]!.asset_id;
    }

    it('parses a message on the server and renders it: image for the emote, text for the rest', async () => {
      const token = await newToken();
      await createEmote(token, 'Wave_1');
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const message = `${HOSTILE} 😀 :wave_1: :unknown: 𝒜:WAVE_1:`;
      const parsed = (await (await fetch(`${server.url}/v1/messages/parse`, { method: 'POST', headers: auth, body: JSON.stringify({ body: message }) })).json()) as {
        body: string;
        inline_emotes: InlineEmote[];
      };
      expect(parsed.inline_emotes.map((e) => [e.start_index, e.end_index])).to.deep.equal([
        [message.indexOf(':wave_1:'), message.indexOf(':wave_1:') + 8],
        [message.indexOf(':WAVE_1:'), message.indexOf(':WAVE_1:') + 8],
      ]);

      const el = await fixture<EmoteText>(
        html`<emote-text style="font-size: 20px" .endpoint=${server.url} .token=${token} .body=${parsed.body} .inlineEmotes=${parsed.inline_emotes}></emote-text>`,
      );
      const root = el.shadowRoot!;
      await waitFor(() => root.querySelectorAll('img').length === 2, 'both emotes shown');
      expect(rendered(root)).to.equal(`${HOSTILE} 😀 [:Wave_1:] :unknown: 𝒜[:Wave_1:]`);
      const img = root.querySelector('img')!;
      expect(img.title).to.equal(':Wave_1:');
      await img.decode();
      expect(img.naturalWidth).to.be.greaterThan(0);
      expect(img.getBoundingClientRect().height).to.be.closeTo(30, 0.5, '1.5em of 20px');
      el.style.setProperty('--emote-size', '40px');
      expect(img.getBoundingClientRect().height).to.be.closeTo(40, 0.5);
      await hostileImageHadItsChance();
      expect(window.__emoteXss).to.equal(false);

      // A second element reuses the cached URL: shown at once, no text flash.
      const again = await fixture<EmoteText>(html`<emote-text .endpoint=${server.url} .token=${token} .body=${parsed.body} .inlineEmotes=${parsed.inline_emotes}></emote-text>`);
      expect(again.shadowRoot!.querySelectorAll('img').length).to.equal(2);

      // An image that fails to load (say its signed URL expired) turns back into its text.
      again.shadowRoot!.querySelector('img')!.dispatchEvent(new Event('error'));
      await again.updateComplete;
      expect(rendered(again.shadowRoot!)).to.equal(message);
    });

    it('holds each emote\'s box from the first paint: its placeholder, then the image in the same place', async () => {
      const token = await newToken();
      await createEmote(token, 'boxed');
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const parsed = (await (await fetch(`${server.url}/v1/messages/parse`, { method: 'POST', headers: auth, body: JSON.stringify({ body: 'a :boxed: b' }) })).json()) as {
        body: string;
        inline_emotes: InlineEmote[];
      };
      expect([parsed.inline_emotes[0]!.width, parsed.inline_emotes[0]!.height]).to.deep.equal([96, 64]);
      const el = await fixture<EmoteText>(
        html`<emote-text style="font-size: 20px" .endpoint=${server.url} .token=${token} .body=${parsed.body} .inlineEmotes=${parsed.inline_emotes}></emote-text>`,
      );
      // The first frame: no URL yet (it is a request), but the emote's box is there, 1.5em high at its aspect ratio.
      const placeholder = el.shadowRoot!.querySelector('canvas')!;
      expect(placeholder, 'the placeholder').to.exist;
      expect(placeholder.getAttribute('aria-label')).to.equal(':boxed:');
      const before = placeholder.getBoundingClientRect();
      expect(before.height).to.be.closeTo(30, 0.5);
      expect(before.width).to.be.closeTo(45, 0.5);
      await expect(el).to.be.accessible();
      await waitFor(() => el.shadowRoot!.querySelector('img')?.complete, 'the emote image');
      const after = el.shadowRoot!.querySelector('img')!.getBoundingClientRect();
      for (const side of ['x', 'y', 'width', 'height'] as const) expect(after[side], `${side}: no layout shift`).to.be.closeTo(before[side], 0.5);
      expect(el.shadowRoot!.querySelector('canvas')).to.equal(null);
    });

    it('a private emote is text for someone else, an image for its owner', async () => {
      const owner = await newToken();
      const id = await createEmote(owner, 'secret_one');
      const inline = [emote('secret_one', id, 0, 12)];
      const stranger = await fixture<EmoteText>(html`<emote-text .endpoint=${server.url} .token=${await newToken()} .body=${':secret_one:'} .inlineEmotes=${inline}></emote-text>`);
      await settled(stranger, id);
      expect(rendered(stranger.shadowRoot!)).to.equal(':secret_one:');

      clearEmoteUrlCache(server.url, id);
      const mine = await fixture<EmoteText>(html`<emote-text .endpoint=${server.url} .token=${owner} size="64" .body=${':secret_one:'} .inlineEmotes=${inline}></emote-text>`);
      await waitFor(() => mine.shadowRoot!.querySelector('img'), 'owner sees the image');
      const url = await resolveEmoteUrl(server.url, owner, id, 64);
      expect(mine.shadowRoot!.querySelector('img')!.src).to.equal(url);
      const response = await fetch(`${server.url}/v1/emotes/${id}/url?size=64`, { headers: { authorization: `Bearer ${owner}` } });
      expect(((await response.json()) as { expires_at: unknown }).expires_at).to.be.a('number');
    });
  });
});
