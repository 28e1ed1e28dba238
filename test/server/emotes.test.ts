// Emotes over HTTP (SPEC §3 "Emotes", issue 5): creation through /v1/uploads, processing into WebP
// variants, listing with position cursors, access for the owner / another user / nobody, signed URLs
// (tampering and real expiry), rename, trash, restore, quota, the shortcode race, message parsing, and
// the periodic trash purge. Three server processes: the main one (short URL lifetime), one with a tiny
// quota, and one that purges the trash at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import * as fixtures from '../fixtures/images.ts';
import { BLUE, GREEN, RED, jpeg, png } from '../fixtures/images.ts';
import { queryValue } from '../helpers/database.ts';
import {
  api, expectError, fetchBytes, signJwt, startServer, userToken, waitUntil,
  type ApiResponse, type RunningServer,
} from '../helpers/server.ts';

const MiB = 1024 * 1024;
/** The main server's private-URL lifetime: the smallest the configuration allows. */
const URL_TTL = 10;
/** Every test user may create as many uploads as it likes: rate limiting is tested elsewhere. */
const NO_RATE_LIMIT = { AVATAR_UPLOAD_RATE_LIMIT: '1000000' };

interface EmoteOptions {
  shortcode?: unknown;
  contentType?: string;
  sizeBytes?: number;
  public?: boolean;
  filename?: string;
}

/** A client of one server, so tests read as the API does. */
function clientOf(server: () => RunningServer) {
  const token = (user: string) => userToken(server(), user);

  /** POST /v1/uploads for an emote; no bytes are sent. */
  function createEmote(user: string, opts: EmoteOptions = {}): Promise<ApiResponse> {
    const json: Record<string, unknown> = {
      upload_type: 'emote',
      filename: opts.filename ?? 'emote.png',
      content_type: opts.contentType ?? 'image/png',
      size_bytes: opts.sizeBytes ?? 100,
    };
    if (opts.shortcode !== undefined) json.shortcode = opts.shortcode;
    if (opts.public !== undefined) json.public = opts.public;
    return api(server(), 'POST', '/v1/uploads', { token: token(user), json });
  }

  /** Creates an emote without uploading its bytes (it stays awaiting_upload); returns its id. */
  async function placeholder(user: string, shortcode: string, sizeBytes = 100): Promise<string> {
    const res = await createEmote(user, { shortcode, sizeBytes });
    assert.equal(res.status, 201, res.text);
    assert.equal(typeof res.json.emote_id, 'string', res.text);
    return res.json.emote_id;
  }

  /** Create, PUT the bytes, complete. Returns the ids; processing may still be running. */
  async function uploadEmote(user: string, shortcode: string, bytes: Uint8Array, opts: EmoteOptions = {}) {
    const created = await createEmote(user, { ...opts, shortcode, sizeBytes: bytes.byteLength });
    assert.equal(created.status, 201, created.text);
    const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
    assert.equal(put.status, server().objects.putStatus, await put.text());
    const done = await api(server(), 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token: token(user) });
    assert.equal(done.status, 202, done.text);
    return { emoteId: created.json.emote_id as string, fileId: created.json.file_id as string };
  }

  /** Polls GET /v1/emotes/{id} (as the owner) until processing has ended; returns the emote. */
  async function settled(user: string, emoteId: string): Promise<any> {
    return waitUntil(async () => {
      const res = await api(server(), 'GET', `/v1/emotes/${emoteId}`, { token: token(user) });
      assert.equal(res.status, 200, res.text);
      return ['ready', 'failed'].includes(res.json.processing_state) ? res.json : undefined;
    }, `emote ${emoteId} to finish processing`);
  }

  /** Uploads and waits until ready; returns the emote JSON. */
  async function readyEmote(user: string, shortcode: string, bytes?: Uint8Array, opts: EmoteOptions = {}): Promise<any> {
    const { emoteId } = await uploadEmote(user, shortcode, bytes ?? (await png(48, 24)), opts);
    const emote = await settled(user, emoteId);
    assert.equal(emote.processing_state, 'ready', JSON.stringify(emote));
    return emote;
  }

  const get = (user: string | null, path: string) => api(server(), 'GET', path, user === null ? {} : { token: token(user) });

  async function list(user: string, query = '', trash = false) {
    const res = await get(user, `/v1/emotes${trash ? '/trash' : ''}${query}`);
    assert.equal(res.status, 200, res.text);
    return res.json as { emotes: any[]; next_cursor: string | null };
  }

  const ids = async (user: string, trash = false) => (await list(user, '?limit=500', trash)).emotes.map((e) => e.id as string);

  async function quota(user: string) {
    const res = await get(user, '/v1/emotes/quota');
    assert.equal(res.status, 200, res.text);
    return res.json as { used_count: number; max_count: number; used_bytes: number; max_bytes: number };
  }

  async function url(user: string | null, emoteId: string, size?: string) {
    const res = await get(user, `/v1/emotes/${emoteId}/url${size === undefined ? '' : `?size=${size}`}`);
    assert.equal(res.status, 200, res.text);
    return res.json as { url: string; expires_at: number | null };
  }

  const del = (user: string, emoteId: string) => api(server(), 'DELETE', `/v1/emotes/${emoteId}`, { token: token(user) });
  const restore = (user: string, emoteId: string) => api(server(), 'POST', `/v1/emotes/${emoteId}/restore`, { token: token(user) });
  const update = (user: string, emoteId: string, json: unknown) => api(server(), 'PUT', `/v1/emotes/${emoteId}`, { token: token(user), json });
  const parse = (user: string, body: string) => api(server(), 'POST', '/v1/messages/parse', { token: token(user), json: { body } });

  return { token, createEmote, placeholder, uploadEmote, settled, readyEmote, get, list, ids, quota, url, del, restore, update, parse };
}

/** A served variant: WebP bytes with its real dimensions and frame count. */
async function variantImage(target: string) {
  const res = await fetchBytes(target);
  assert.equal(res.status, 200, `GET ${target}: ${res.status} ${res.bytes.toString('utf8').slice(0, 200)}`);
  assert.equal(res.headers.get('content-type'), 'image/webp');
  // /cdn adds nosniff (a bucket or CDN sends what it is configured to).
  if (new URL(target).pathname.startsWith('/cdn/')) assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const meta = await sharp(res.bytes, { animated: true }).metadata();
  assert.equal(meta.format, 'webp');
  return { headers: res.headers, width: meta.width, height: meta.pageHeight ?? meta.height, pages: meta.pages ?? 1, bytes: res.bytes };
}

/** Asserts a /cdn response is the JSON error `code` with `status`. */
async function expectCdnError(target: string, status: number, code: string) {
  const res = await api(target, 'GET', target);
  expectError(res, status, code);
}

/** The same signed URL with one query parameter replaced (or removed when `value` is null). */
function withParam(target: string, name: string, value: string | null): string {
  const u = new URL(target);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.toString();
}

const now = () => Math.floor(Date.now() / 1000);

describe('emotes API', () => {
  let server: RunningServer;
  const c = clientOf(() => server);

  // On the local folder whatever the run's storage: these tests read variants through the app's /cdn, whose
  // signed URLs, refusals and trash rules they check. The suites below run on the run's storage (S3 too).
  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_EMOTE_URL_TTL_SECONDS: String(URL_TTL), AVATAR_STORAGE: 'local' } });
  });
  after(() => server?.stop());

  // A private URL taken now is checked again by the last test, once its lifetime has really passed.
  let expiring: { url: string; expires_at: number } | undefined;

  it('a private emote URL works when handed out (its expiry is checked at the end of this suite)', async () => {
    const emote = await c.readyEmote('expiry', 'soon');
    const signed = await c.url('expiry', emote.id, '64');
    assert.ok(signed.expires_at !== null);
    const issuedAt = now();
    assert.ok(signed.expires_at >= issuedAt + URL_TTL - 1 && signed.expires_at <= issuedAt + URL_TTL + 1, `expires_at ${signed.expires_at}`);
    const image = await variantImage(signed.url);
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(image.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge >= 1 && maxAge <= URL_TTL, `cache-control ${image.headers.get('cache-control')}`);
    expiring = { url: signed.url, expires_at: signed.expires_at };
  });

  describe('creating through /v1/uploads', () => {
    it('201 with emote_id; the emote exists at once, private, awaiting its bytes', async () => {
      const res = await c.createEmote('creator', { shortcode: 'wave', filename: 'wave.png', sizeBytes: 1234 });
      assert.equal(res.status, 201, res.text);
      assert.equal(typeof res.json.file_id, 'string');
      assert.equal(typeof res.json.emote_id, 'string');
      assert.equal(res.json.upload_method, 'PUT');
      assert.deepEqual(res.json.upload_headers, { 'Content-Type': 'image/png' });
      const emote = await c.get('creator', `/v1/emotes/${res.json.emote_id}`);
      assert.equal(emote.status, 200, emote.text);
      assert.deepEqual(Object.keys(emote.json).sort(), [
        'animated', 'created_at', 'height', 'id', 'mime_type', 'name', 'owner_id', 'placeholder', 'processing_state', 'public', 'shortcode', 'size_bytes', 'updated_at', 'width',
      ]);
      // Nothing to show yet: no size, no placeholder.
      assert.deepEqual([emote.json.width, emote.json.height, emote.json.placeholder], [null, null, null]);
      assert.equal(emote.json.id, res.json.emote_id);
      assert.equal(emote.json.owner_id, 'creator');
      assert.equal(emote.json.name, 'wave.png');
      assert.equal(emote.json.shortcode, 'wave');
      assert.equal(emote.json.size_bytes, 1234);
      assert.equal(emote.json.mime_type, 'image/png');
      assert.equal(emote.json.processing_state, 'awaiting_upload');
      assert.equal(emote.json.public, false);
      assert.equal(emote.json.animated, false);
      assert.ok(Math.abs(emote.json.created_at - now()) <= 5);
      // The file behind it is the caller's upload like any other.
      const file = await c.get('creator', `/v1/files/${res.json.file_id}`);
      assert.equal(file.status, 200, file.text);
      assert.equal(file.json.upload_type, 'emote');
      // public: true is honoured at creation.
      const shown = await c.createEmote('creator', { shortcode: 'wave_public', public: true });
      assert.equal(shown.status, 201, shown.text);
      assert.equal((await c.get(null, `/v1/emotes/${shown.json.emote_id}`)).json.public, true);
    });

    it('400 SHORTCODE_INVALID when the shortcode is missing or not ^[A-Za-z0-9_]{2,32}$; nothing is created', async () => {
      for (const shortcode of [undefined, '', 'a', 'x'.repeat(33), 'has-dash', 'has space', 'émote', ':colon:', 'tab\t', 'a.b']) {
        expectError(await c.createEmote('shortcodes', { shortcode }), 400, 'SHORTCODE_INVALID');
      }
      assert.deepEqual(await c.quota('shortcodes'), { used_count: 0, max_count: 50, used_bytes: 0, max_bytes: 10 * MiB });
      assert.deepEqual(await c.ids('shortcodes'), []);
      // The edges of the rule are accepted.
      for (const shortcode of ['ab', 'x'.repeat(32), 'Under_score_09']) {
        const res = await c.createEmote('shortcodes', { shortcode });
        assert.equal(res.status, 201, `${shortcode}: ${res.text}`);
      }
    });

    it('413 FILE_TOO_LARGE above 1 MiB (exactly 1 MiB is accepted)', async () => {
      expectError(await c.createEmote('big', { shortcode: 'big', sizeBytes: MiB + 1 }), 413, 'FILE_TOO_LARGE');
      assert.equal((await c.quota('big')).used_count, 0);
      const res = await c.createEmote('big', { shortcode: 'big', sizeBytes: MiB });
      assert.equal(res.status, 201, res.text);
    });

    it('415 UNSUPPORTED_MEDIA_TYPE for SVG and non-images; nothing is created', async () => {
      for (const contentType of ['image/svg+xml', 'text/plain', 'application/octet-stream', 'image/bmp']) {
        expectError(await c.createEmote('types', { shortcode: 'typed', contentType }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      assert.deepEqual(await c.ids('types'), []);
      for (const contentType of ['image/jpeg', 'image/gif', 'image/webp', 'image/avif']) {
        const res = await c.createEmote('types', { shortcode: `t_${contentType.slice(6)}`, contentType });
        assert.equal(res.status, 201, `${contentType}: ${res.text}`);
      }
    });

    it('401 without a token', async () => {
      const res = await api(server, 'POST', '/v1/uploads', {
        json: { upload_type: 'emote', filename: 'a.png', content_type: 'image/png', size_bytes: 10, shortcode: 'nobody' },
      });
      expectError(res, 401, 'UNAUTHENTICATED');
    });

    it('two concurrent creates with the same shortcode (any case): exactly one 201, the others 409 SHORTCODE_TAKEN', async () => {
      for (let round = 0; round < 5; round++) {
        const spellings = [`race${round}`, `RACE${round}`, `Race${round}`];
        const results = await Promise.all(spellings.map((shortcode) => c.createEmote('racer', { shortcode })));
        const won = results.filter((r) => r.status === 201);
        assert.equal(won.length, 1, `round ${round}: ${results.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
        for (const lost of results.filter((r) => r.status !== 201)) expectError(lost, 409, 'SHORTCODE_TAKEN');
      }
      const listed = (await c.list('racer', '?limit=500')).emotes;
      assert.equal(listed.length, 5);
      assert.equal(new Set(listed.map((e) => e.shortcode.toLowerCase())).size, 5);
      assert.equal((await c.quota('racer')).used_count, 5);
    });

    it('shortcodes are unique per owner: another user may use the same one', async () => {
      assert.equal((await c.createEmote('owner_a', { shortcode: 'shared' })).status, 201);
      assert.equal((await c.createEmote('owner_b', { shortcode: 'SHARED' })).status, 201);
      expectError(await c.createEmote('owner_a', { shortcode: 'Shared' }), 409, 'SHORTCODE_TAKEN');
    });
  });

  describe('processing', () => {
    it('a still becomes ready with full/256/128/64 WebP variants that keep the aspect ratio', async () => {
      const emote = await c.readyEmote('painter', 'wide', await png(300, 150), { contentType: 'image/png' });
      assert.equal(emote.animated, false);
      const expected: Record<string, [number, number]> = { full: [300, 150], '256': [256, 128], '128': [128, 64], '64': [64, 32] };
      for (const [size, dims] of Object.entries(expected)) {
        const image = await variantImage((await c.url('painter', emote.id, size)).url);
        assert.deepEqual([image.width, image.height], dims, `size ${size}`);
        assert.equal(image.pages, 1, `size ${size} is a still`);
        assert.match(image.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      }
      // Without size: 128.
      const fallback = await variantImage((await c.url('painter', emote.id)).url);
      assert.deepEqual([fallback.width, fallback.height], [128, 64]);
    });

    it('full is at most 512 px and nothing is upscaled', async () => {
      const large = await c.readyEmote('painter', 'tall', await jpeg(256, 1024), { contentType: 'image/jpeg' });
      const full = await variantImage((await c.url('painter', large.id, 'full')).url);
      assert.deepEqual([full.width, full.height], [128, 512]);
      const small = await c.readyEmote('painter', 'tiny', await png(40, 20));
      for (const size of ['full', '256', '128', '64']) {
        const image = await variantImage((await c.url('painter', small.id, size)).url);
        assert.deepEqual([image.width, image.height], [40, 20], `size ${size}`);
      }
    });

    it('an animated GIF stays animated: animated true, and the variants are animated WebP', async () => {
      const emote = await c.readyEmote('animator', 'blink', await fixtures.animatedGif([RED, GREEN, BLUE], 64, 32), { contentType: 'image/gif' });
      assert.equal(emote.animated, true);
      assert.equal(emote.mime_type, 'image/gif');
      const full = await variantImage((await c.url('animator', emote.id, 'full')).url);
      assert.ok(full.pages > 1, `full has ${full.pages} frame(s)`);
      assert.deepEqual([full.width, full.height], [64, 32]);
      const small = await variantImage((await c.url('animator', emote.id, '64')).url);
      assert.ok(small.pages > 1, `64 has ${small.pages} frame(s)`);
      assert.deepEqual([small.width, small.height], [64, 32]);
      // Listed with the flag too.
      assert.equal((await c.list('animator')).emotes.find((e) => e.id === emote.id)?.animated, true);
    });

    it('an animated WebP stays animated', async () => {
      const emote = await c.readyEmote('animator', 'spin', await fixtures.animatedWebp([RED, BLUE], 80, 40), { contentType: 'image/webp' });
      assert.equal(emote.animated, true);
      const full = await variantImage((await c.url('animator', emote.id, 'full')).url);
      assert.ok(full.pages > 1, `full has ${full.pages} frame(s)`);
      assert.deepEqual([full.width, full.height], [80, 40]);
    });

    it('bytes that are not an image end failed, and the URL is 409 EMOTE_NOT_READY', async () => {
      const { emoteId } = await c.uploadEmote('painter', 'broken', Buffer.from('this is not a PNG at all, just text'));
      const emote = await c.settled('painter', emoteId);
      assert.equal(emote.processing_state, 'failed');
      expectError(await c.get('painter', `/v1/emotes/${emoteId}/url`), 409, 'EMOTE_NOT_READY');
    });
  });

  describe('listing', () => {
    it('own emotes only, newest first, with limit and cursor', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push(await c.placeholder('lister', `item${i}`));
      await c.placeholder('lister_other', 'item0');
      const newestFirst = [...created].reverse();

      const all = await c.list('lister');
      assert.deepEqual(all.emotes.map((e) => e.id), newestFirst);
      assert.equal(all.next_cursor, null);
      assert.ok(all.emotes.every((e) => e.owner_id === 'lister'));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { emotes: any[]; next_cursor: string | null } = await c.list('lister', `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.ok(page.emotes.length <= 2);
        seen.push(...page.emotes.map((e) => e.id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      assert.deepEqual(seen, newestFirst);
      assert.equal(pages, 3);

      // A page that ends exactly at the end of the list has no next cursor.
      assert.equal((await c.list('lister', '?limit=5')).next_cursor, null);
      assert.notEqual((await c.list('lister', '?limit=4')).next_cursor, null);
      assert.deepEqual(await c.ids('lister_nobody'), []);
    });

    it('a cursor is a position: walking while emotes are added and deleted gives no duplicates and skips none that stayed', async () => {
      const user = 'walker';
      const initial: string[] = [];
      for (let i = 0; i < 12; i++) initial.push(await c.placeholder(user, `w${i}`));
      const deleted = new Set<string>();
      const added: string[] = [];
      const remove = async (id: string) => {
        assert.equal((await c.del(user, id)).status, 204);
        deleted.add(id);
      };

      const pages: string[][] = [];
      let cursor: string | null = null;
      const next = async () => {
        const page: { emotes: any[]; next_cursor: string | null } = await c.list(user, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        pages.push(page.emotes.map((e) => e.id));
        cursor = page.next_cursor;
      };

      await next(); // w11 w10 w9
      // Delete the emote the cursor points at, one already seen, and one not reached yet; add newer ones.
      await remove(initial[9]!);
      await remove(initial[11]!);
      await remove(initial[8]!);
      added.push(await c.placeholder(user, 'new_a'), await c.placeholder(user, 'new_b'));
      await next(); // w7 w6 w5
      // Reuse a freed shortcode (a brand-new emote), delete further ahead, add again.
      added.push(await c.placeholder(user, 'w8'));
      await remove(initial[3]!);
      added.push(await c.placeholder(user, 'new_c'));
      await next(); // w4 w2 w1
      await next(); // w0
      assert.equal(cursor, null);

      assert.deepEqual(pages, [
        [initial[11], initial[10], initial[9]],
        [initial[7], initial[6], initial[5]],
        [initial[4], initial[2], initial[1]],
        [initial[0]],
      ]);
      const seen = pages.flat();
      assert.equal(new Set(seen).size, seen.length, 'no duplicates');
      const stayed = initial.filter((id) => !deleted.has(id));
      for (const id of stayed) assert.ok(seen.includes(id), `${id} existed throughout and was skipped`);
      for (const id of added) assert.ok(!seen.includes(id), 'emotes added above the cursor do not show up further down');
      // A fresh walk sees the list as it is now.
      assert.deepEqual(await c.ids(user), [...[...added].reverse(), ...[...stayed].reverse()]);
    });

    it('400 INVALID_LIMIT outside 1–500 or not a whole number', async () => {
      for (const path of ['/v1/emotes', '/v1/emotes/trash']) {
        for (const limit of ['0', '501', 'abc', '-1', '1.5', '', '1e2', '9999999999999']) {
          expectError(await c.get('lister', `${path}?limit=${encodeURIComponent(limit)}`), 400, 'INVALID_LIMIT');
        }
        for (const limit of ['1', '500']) assert.equal((await c.get('lister', `${path}?limit=${limit}`)).status, 200);
      }
    });

    it('400 INVALID_CURSOR for cursors this server did not hand out', async () => {
      const bad = ['garbage', '!!!', Buffer.from('e1:abc').toString('base64url'), Buffer.from('x1:5').toString('base64url'), Buffer.from('e1:').toString('base64url'), 'A'.repeat(300)];
      for (const cursor of bad) {
        for (const path of ['/v1/emotes', '/v1/emotes/trash']) {
          expectError(await c.get('lister', `${path}?cursor=${encodeURIComponent(cursor)}`), 400, 'INVALID_CURSOR');
        }
      }
    });

    it('401 without a token (list, trash, quota)', async () => {
      for (const path of ['/v1/emotes', '/v1/emotes/trash', '/v1/emotes/quota']) expectError(await c.get(null, path), 401, 'UNAUTHENTICATED');
    });
  });

  describe('access to one emote', () => {
    let privateId: string;
    let publicId: string;
    before(async () => {
      privateId = (await c.readyEmote('alice', 'secret')).id;
      publicId = (await c.readyEmote('alice', 'shown', undefined, { public: true })).id;
    });

    it('GET: the owner sees both; another user and nobody see only the public one (404 EMOTE_NOT_FOUND otherwise)', async () => {
      for (const id of [privateId, publicId]) {
        const res = await c.get('alice', `/v1/emotes/${id}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.owner_id, 'alice');
      }
      for (const viewer of ['bob', null]) {
        const shown = await c.get(viewer, `/v1/emotes/${publicId}`);
        assert.equal(shown.status, 200, shown.text);
        assert.equal(shown.json.shortcode, 'shown');
        assert.equal(shown.json.public, true);
        expectError(await c.get(viewer, `/v1/emotes/${privateId}`), 404, 'EMOTE_NOT_FOUND');
      }
      expectError(await c.get('alice', '/v1/emotes/e_does_not_exist'), 404, 'EMOTE_NOT_FOUND');
    });

    it('GET with a bad token is 401 even for a public emote', async () => {
      const forged = signJwt('not-the-server-secret-not-the-server-secret', { sub: 'alice', exp: now() + 3600 });
      const expired = signJwt(server.jwtSecret, { sub: 'alice', exp: now() - 10 });
      for (const token of [forged, expired, 'not.a.jwt']) {
        for (const path of [`/v1/emotes/${publicId}`, `/v1/emotes/${publicId}/url`, `/v1/emotes/${privateId}`]) {
          expectError(await api(server, 'GET', path, { token }), 401, 'UNAUTHENTICATED');
        }
      }
      expectError(await api(server, 'GET', `/v1/emotes/${publicId}`, { headers: { authorization: 'Basic YWxpY2U6eA==' } }), 401, 'UNAUTHENTICATED');
    });

    it('URL of a public emote: immutable, expires_at null, fetchable by anyone without auth', async () => {
      for (const viewer of ['alice', 'bob', null]) {
        const res = await c.url(viewer, publicId, '128');
        assert.equal(res.expires_at, null);
        assert.equal(new URL(res.url).search, '');
        assert.match(new URL(res.url).pathname, /^\/cdn\/variants\//);
        const image = await variantImage(res.url);
        assert.equal(image.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.ok(image.headers.get('etag'));
      }
    });

    it('URL of a private emote: signed and expiring for the owner; 404 for others; unsigned or tampered → 403', async () => {
      for (const viewer of ['bob', null]) expectError(await c.get(viewer, `/v1/emotes/${privateId}/url`), 404, 'EMOTE_NOT_FOUND');
      const signed = await c.url('alice', privateId, 'full');
      assert.ok(signed.expires_at !== null && signed.expires_at > now());
      const u = new URL(signed.url);
      assert.equal(u.searchParams.get('expires'), String(signed.expires_at));
      assert.ok(u.searchParams.get('signature'));
      await variantImage(signed.url);

      const signature = u.searchParams.get('signature')!;
      const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
      await expectCdnError(withParam(withParam(signed.url, 'signature', null), 'expires', null), 403, 'URL_INVALID');
      await expectCdnError(withParam(signed.url, 'signature', null), 403, 'URL_INVALID');
      await expectCdnError(withParam(signed.url, 'signature', flipped), 403, 'URL_INVALID');
      await expectCdnError(withParam(signed.url, 'signature', ''), 403, 'URL_INVALID');
      // Moving the expiry, into the past or the future, breaks the signature.
      await expectCdnError(withParam(signed.url, 'expires', String(now() - 60)), 403, 'URL_INVALID');
      await expectCdnError(withParam(signed.url, 'expires', String(signed.expires_at! + 3600)), 403, 'URL_INVALID');
      await expectCdnError(withParam(signed.url, 'expires', 'abc'), 403, 'URL_INVALID');
      // A signature for one size does not open another.
      const other = new URL((await c.url('alice', privateId, '64')).url);
      other.searchParams.set('expires', String(signed.expires_at));
      other.searchParams.set('signature', signature);
      await expectCdnError(other.toString(), 403, 'URL_INVALID');
      // The signed URL itself still works.
      await variantImage(signed.url);
    });

    it('making an emote private again closes its public URL', async () => {
      const id = (await c.readyEmote('alice', 'flipper', undefined, { public: true })).id;
      const open = await c.url(null, id, '64');
      await variantImage(open.url);
      assert.equal((await c.update('alice', id, { public: false })).status, 200);
      // Its objects moved under private/ (a bucket or CDN exposing variants/ no longer has them): the old URL names nothing.
      await expectCdnError(open.url, 404, 'NOT_FOUND');
      expectError(await c.get(null, `/v1/emotes/${id}/url`), 404, 'EMOTE_NOT_FOUND');
    });

    it('400 INVALID_SIZE for sizes other than full, 256, 128, 64', async () => {
      for (const size of ['512', '32', 'abc', '', 'FULL', '128px']) {
        expectError(await c.get('alice', `/v1/emotes/${publicId}/url?size=${encodeURIComponent(size)}`), 400, 'INVALID_SIZE');
      }
    });

    it('409 EMOTE_NOT_READY while the bytes have not been uploaded or processed', async () => {
      const id = await c.placeholder('alice', 'pending');
      expectError(await c.get('alice', `/v1/emotes/${id}/url`), 409, 'EMOTE_NOT_READY');
      // Bytes received but the upload never completed: still not ready, for the owner and (public) for anyone.
      const created = await c.createEmote('alice', { shortcode: 'uncompleted', public: true, sizeBytes: 4 });
      assert.equal(created.status, 201, created.text);
      const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(4) });
      assert.equal(put.status, 204);
      for (const viewer of ['alice', 'bob', null]) {
        expectError(await c.get(viewer, `/v1/emotes/${created.json.emote_id}/url?size=full`), 409, 'EMOTE_NOT_READY');
      }
      assert.equal((await c.get(null, `/v1/emotes/${created.json.emote_id}`)).json.processing_state, 'awaiting_upload');
      // The size is checked first.
      expectError(await c.get('alice', `/v1/emotes/${id}/url?size=1`), 400, 'INVALID_SIZE');
    });
  });

  describe('updating', () => {
    it('PUT renames and toggles public → 200 with the emote', async () => {
      const id = await c.placeholder('renamer', 'before');
      const renamed = await c.update('renamer', id, { shortcode: 'After_1' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.json.shortcode, 'After_1');
      assert.equal(renamed.json.public, false);
      const shown = await c.update('renamer', id, { public: true });
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.json.public, true);
      assert.equal(shown.json.shortcode, 'After_1');
      const both = await c.update('renamer', id, { shortcode: 'after_2', public: false });
      assert.deepEqual([both.json.shortcode, both.json.public], ['after_2', false]);
      assert.ok(both.json.updated_at >= both.json.created_at);
      const unchanged = await c.update('renamer', id, {});
      assert.equal(unchanged.status, 200, unchanged.text);
      assert.equal(unchanged.json.shortcode, 'after_2');
      // Changing only the case of its own shortcode is not a clash with itself.
      assert.equal((await c.update('renamer', id, { shortcode: 'AFTER_2' })).json.shortcode, 'AFTER_2');
      // The old shortcode is free again.
      assert.equal((await c.createEmote('renamer', { shortcode: 'before' })).status, 201);
    });

    it('400 SHORTCODE_INVALID, 409 SHORTCODE_TAKEN ignoring case, 400 INVALID_REQUEST for a non-boolean public', async () => {
      await c.placeholder('renamer2', 'cool');
      const id = await c.placeholder('renamer2', 'other');
      for (const shortcode of ['a', 'bad-code', '', 'x'.repeat(33)]) expectError(await c.update('renamer2', id, { shortcode }), 400, 'SHORTCODE_INVALID');
      for (const shortcode of ['Cool', 'cool', 'COOL']) expectError(await c.update('renamer2', id, { shortcode }), 409, 'SHORTCODE_TAKEN');
      expectError(await c.update('renamer2', id, { public: 'yes' }), 400, 'INVALID_REQUEST');
      assert.equal((await c.get('renamer2', `/v1/emotes/${id}`)).json.shortcode, 'other');
    });

    it('another user: 403 EMOTE_NOT_OWNER on a public emote, 404 on a private one; 401 without a token', async () => {
      const shownId = await c.placeholder('victim', 'mine_shown');
      assert.equal((await c.update('victim', shownId, { public: true })).status, 200);
      const hiddenId = await c.placeholder('victim', 'mine_hidden');
      expectError(await c.update('mallory', shownId, { shortcode: 'stolen' }), 403, 'EMOTE_NOT_OWNER');
      expectError(await c.update('mallory', shownId, { public: false }), 403, 'EMOTE_NOT_OWNER');
      expectError(await c.update('mallory', hiddenId, { public: true }), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.update('mallory', 'e_nope', { public: true }), 404, 'EMOTE_NOT_FOUND');
      expectError(await api(server, 'PUT', `/v1/emotes/${shownId}`, { json: { public: false } }), 401, 'UNAUTHENTICATED');
      const still = await c.get('victim', `/v1/emotes/${shownId}`);
      assert.deepEqual([still.json.shortcode, still.json.public], ['mine_shown', true]);
    });
  });

  describe('deleting and restoring', () => {
    it('DELETE → 204, idempotent; gone from the list and GET, in the trash; shortcode and quota freed at once', async () => {
      const user = 'deleter';
      const keep = await c.placeholder(user, 'keep', 300);
      const id = await c.placeholder(user, 'cool', 700);
      assert.deepEqual(await c.quota(user), { used_count: 2, max_count: 50, used_bytes: 1000, max_bytes: 10 * MiB });

      const first = await c.del(user, id);
      assert.equal(first.status, 204);
      assert.equal(first.text, '');
      assert.equal((await c.del(user, id)).status, 204);

      assert.deepEqual(await c.ids(user), [keep]);
      expectError(await c.get(user, `/v1/emotes/${id}`), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.get(user, `/v1/emotes/${id}/url`), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.update(user, id, { public: true }), 404, 'EMOTE_NOT_FOUND');
      const trash = await c.list(user, '', true);
      assert.deepEqual(trash.emotes.map((e) => e.id), [id]);
      assert.equal(trash.emotes[0].shortcode, 'cool');
      assert.equal(trash.next_cursor, null);
      assert.deepEqual(await c.quota(user), { used_count: 1, max_count: 50, used_bytes: 300, max_bytes: 10 * MiB });

      const reused = await c.createEmote(user, { shortcode: 'COOL' });
      assert.equal(reused.status, 201, reused.text);
      assert.equal((await c.quota(user)).used_count, 2);
    });

    it('DELETE by another user: 403 EMOTE_NOT_OWNER (public), 404 (private, unknown, or in the trash); 401 without a token', async () => {
      const shown = (await c.createEmote('deleter2', { shortcode: 'shown', public: true })).json.emote_id;
      const hidden = await c.placeholder('deleter2', 'hidden');
      expectError(await c.del('mallory', shown), 403, 'EMOTE_NOT_OWNER');
      expectError(await c.del('mallory', hidden), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.del('mallory', 'e_nope'), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.del('deleter2', 'e_nope'), 404, 'EMOTE_NOT_FOUND');
      expectError(await api(server, 'DELETE', `/v1/emotes/${shown}`), 401, 'UNAUTHENTICATED');
      assert.deepEqual((await c.ids('deleter2')).sort(), [shown, hidden].sort());
      // Once in the trash, even a public emote is invisible to others.
      assert.equal((await c.del('deleter2', shown)).status, 204);
      expectError(await c.del('mallory', shown), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.restore('mallory', shown), 404, 'EMOTE_NOT_FOUND');
      expectError(await c.get(null, `/v1/emotes/${shown}`), 404, 'EMOTE_NOT_FOUND');
    });

    it('the variants of an emote in the trash are 404, public or signed; restored, they are served again', async () => {
      const user = 'binner';
      const shown = await c.readyEmote(user, 'shown_bin', undefined, { public: true });
      const hidden = await c.readyEmote(user, 'hidden_bin');
      const openUrl = (await c.url(user, shown.id, 'full')).url;
      const signedUrl = (await c.url(user, hidden.id, 'full')).url;
      await variantImage(openUrl);
      await variantImage(signedUrl);
      assert.equal((await c.del(user, shown.id)).status, 204);
      assert.equal((await c.del(user, hidden.id)).status, 204);
      await expectCdnError(openUrl, 404, 'NOT_FOUND');
      await expectCdnError(signedUrl, 404, 'NOT_FOUND');
      assert.equal((await c.restore(user, shown.id)).status, 200);
      assert.equal((await c.restore(user, hidden.id)).status, 200);
      await variantImage(openUrl);
      await variantImage(signedUrl);
    });

    it('a public emote in the trash keeps no public copy of its objects; restored, the same URL serves again', async () => {
      const user = 'binner2';
      const shown = await c.readyEmote(user, 'shown_objects', undefined, { public: true });
      const openUrl = (await c.url(user, shown.id, 'full')).url;
      const renditionId = server.objects.keyOfUrl(openUrl).split('/')[1]!;
      const publicCopies = () => server.objects.keys(`variants/${renditionId}/`);
      assert.equal((await publicCopies()).length, 4);
      assert.equal((await c.del(user, shown.id)).status, 204);
      assert.deepEqual(await publicCopies(), [], 'gone from variants/ by the time the delete is answered');
      assert.equal((await server.objects.keys(`private/${renditionId}/`)).length, 4, 'kept under private/ for a restore');
      assert.equal((await c.restore(user, shown.id)).status, 200);
      assert.equal((await publicCopies()).length, 4);
      await variantImage(openUrl);
    });

    it('restore → 200 with the emote back in the list; a no-op outside the trash; 409 SHORTCODE_TAKEN when the shortcode was reused', async () => {
      const user = 'restorer';
      const id = await c.placeholder(user, 'party', 500);
      assert.equal((await c.del(user, id)).status, 204);
      const back = await c.restore(user, id);
      assert.equal(back.status, 200, back.text);
      assert.equal(back.json.id, id);
      assert.equal(back.json.shortcode, 'party');
      assert.deepEqual(await c.ids(user), [id]);
      assert.deepEqual(await c.ids(user, true), []);
      assert.deepEqual(await c.quota(user), { used_count: 1, max_count: 50, used_bytes: 500, max_bytes: 10 * MiB });
      const again = await c.restore(user, id);
      assert.equal(again.status, 200, again.text);

      assert.equal((await c.del(user, id)).status, 204);
      const reuser = await c.placeholder(user, 'PARTY');
      expectError(await c.restore(user, id), 409, 'SHORTCODE_TAKEN');
      assert.deepEqual(await c.ids(user, true), [id], 'still in the trash');
      assert.deepEqual(await c.ids(user), [reuser]);
      // Once the shortcode is free again, the restore goes through.
      assert.equal((await c.update(user, reuser, { shortcode: 'party2' })).status, 200);
      assert.equal((await c.restore(user, id)).status, 200);
      assert.deepEqual((await c.ids(user)).sort(), [id, reuser].sort());
    });

    it('restore: 404 for unknown ids, 401 without a token', async () => {
      expectError(await c.restore('restorer', 'e_nope'), 404, 'EMOTE_NOT_FOUND');
      expectError(await api(server, 'POST', '/v1/emotes/e_nope/restore'), 401, 'UNAUTHENTICATED');
    });

    it('the trash pages like the list', async () => {
      const user = 'trasher';
      const made: string[] = [];
      for (let i = 0; i < 3; i++) made.push(await c.placeholder(user, `t${i}`));
      for (const id of made) assert.equal((await c.del(user, id)).status, 204);
      const first = await c.list(user, '?limit=2', true);
      assert.equal(first.emotes.length, 2);
      assert.ok(first.next_cursor);
      const second = await c.list(user, `?limit=2&cursor=${encodeURIComponent(first.next_cursor!)}`, true);
      assert.equal(second.next_cursor, null);
      assert.deepEqual([...first.emotes, ...second.emotes].map((e) => e.id).sort(), [...made].sort());
    });
  });

  describe('quota endpoint', () => {
    it('counts emotes outside the trash and their original bytes', async () => {
      const user = 'counter';
      assert.deepEqual(await c.quota(user), { used_count: 0, max_count: 50, used_bytes: 0, max_bytes: 10 * MiB });
      const a = await c.placeholder(user, 'qa', 1000);
      await c.placeholder(user, 'qb', 2345);
      assert.deepEqual(await c.quota(user), { used_count: 2, max_count: 50, used_bytes: 3345, max_bytes: 10 * MiB });
      assert.equal((await c.del(user, a)).status, 204);
      assert.deepEqual(await c.quota(user), { used_count: 1, max_count: 50, used_bytes: 2345, max_bytes: 10 * MiB });
      assert.equal((await c.restore(user, a)).status, 200);
      assert.deepEqual(await c.quota(user), { used_count: 2, max_count: 50, used_bytes: 3345, max_bytes: 10 * MiB });
    });
  });

  describe('POST /v1/messages/parse', () => {
    const ids: Record<string, string> = {};
    before(async () => {
      const [cool, party, gone, bobCool, bobOnly] = await Promise.all([
        c.readyEmote('chatter', 'cool'),
        c.readyEmote('chatter', 'Party_2'),
        c.readyEmote('chatter', 'gone'),
        c.readyEmote('chatbob', 'cool'),
        c.readyEmote('chatbob', 'bobonly'),
      ]);
      Object.assign(ids, { cool: cool.id, party: party.id, gone: gone.id, bobCool: bobCool.id, bobOnly: bobOnly.id });
      ids.pending = await c.placeholder('chatter', 'pending');
      const broken = await c.uploadEmote('chatter', 'broken', Buffer.from('definitely not an image'));
      assert.equal((await c.settled('chatter', broken.emoteId)).processing_state, 'failed');
      assert.equal((await c.del('chatter', ids.gone!)).status, 204);
    });

    const parsed = async (user: string, body: string) => {
      const res = await c.parse(user, body);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.body, body);
      for (const e of res.json.inline_emotes) assert.equal(body.slice(e.start_index, e.end_index).toLowerCase(), `:${e.shortcode.toLowerCase()}:`);
      // Each entry carries its emote's size and placeholder, so a renderer holds the emote's box from the first paint.
      for (const { width, height, placeholder, asset_id } of res.json.inline_emotes) {
        const emote = await c.get(user, `/v1/emotes/${asset_id}`);
        assert.deepEqual({ width, height, placeholder }, { width: emote.json.width, height: emote.json.height, placeholder: emote.json.placeholder });
        assert.ok(width > 0 && height > 0 && typeof placeholder === 'string', JSON.stringify(emote.json));
      }
      return (res.json.inline_emotes as Array<{ shortcode: string; asset_id: string; start_index: number; end_index: number }>).map(
        ({ shortcode, asset_id, start_index, end_index }) => ({ shortcode, asset_id, start_index, end_index }),
      );
    };

    it('"Hello :cool: world!" → 6..12 with the emote id', async () => {
      assert.deepEqual(await parsed('chatter', 'Hello :cool: world!'), [{ shortcode: 'cool', asset_id: ids.cool, start_index: 6, end_index: 12 }]);
    });

    it('unknown shortcodes stay text; lookup ignores case and reports the emote’s own spelling', async () => {
      assert.deepEqual(await parsed('chatter', 'no :nope: here :x: or :: or :not closed'), []);
      assert.deepEqual(await parsed('chatter', ':COOL: and :party_2:'), [
        { shortcode: 'cool', asset_id: ids.cool, start_index: 0, end_index: 6 },
        { shortcode: 'Party_2', asset_id: ids.party, start_index: 11, end_index: 20 },
      ]);
      assert.deepEqual(await parsed('chatter', ':nope:cool:'), [{ shortcode: 'cool', asset_id: ids.cool, start_index: 5, end_index: 11 }]);
    });

    it('indices are UTF-16 code units: emoji and astral characters before the shortcode', async () => {
      assert.deepEqual(await parsed('chatter', '😀 :cool:'), [{ shortcode: 'cool', asset_id: ids.cool, start_index: 3, end_index: 9 }]);
      assert.deepEqual(await parsed('chatter', '𝒳𝒴 :cool: 👩‍👩‍👧 :cool:'), [
        { shortcode: 'cool', asset_id: ids.cool, start_index: 5, end_index: 11 },
        { shortcode: 'cool', asset_id: ids.cool, start_index: 21, end_index: 27 },
      ]);
      assert.deepEqual(await parsed('chatter', 'é\u0301🇫🇷:cool:'), [{ shortcode: 'cool', asset_id: ids.cool, start_index: 6, end_index: 12 }]);
    });

    it('only the caller’s ready emotes: not another user’s, not pending, failed or deleted ones', async () => {
      assert.deepEqual(await parsed('chatter', ':bobonly: :pending: :broken: :gone:'), []);
      assert.deepEqual(await parsed('chatbob', ':cool: :bobonly:'), [
        { shortcode: 'cool', asset_id: ids.bobCool, start_index: 0, end_index: 6 },
        { shortcode: 'bobonly', asset_id: ids.bobOnly, start_index: 7, end_index: 16 },
      ]);
      assert.deepEqual(await parsed('stranger', ':cool:'), []);
    });

    it('the body may be 4000 UTF-16 units, not one more (400 INVALID_REQUEST); a body is required', async () => {
      const max = 'a'.repeat(3994) + ':cool:';
      assert.deepEqual(await parsed('chatter', max), [{ shortcode: 'cool', asset_id: ids.cool, start_index: 3994, end_index: 4000 }]);
      expectError(await c.parse('chatter', max + 'a'), 400, 'INVALID_REQUEST');
      assert.equal((await c.parse('chatter', '😀'.repeat(2000))).status, 200);
      expectError(await c.parse('chatter', '😀'.repeat(2000) + 'a'), 400, 'INVALID_REQUEST');
      expectError(await api(server, 'POST', '/v1/messages/parse', { token: c.token('chatter'), json: {} }), 400, 'INVALID_REQUEST');
      expectError(await api(server, 'POST', '/v1/messages/parse', { token: c.token('chatter'), json: { body: 42 } }), 400, 'INVALID_REQUEST');
    });

    it('401 without a token or with a forged one', async () => {
      expectError(await api(server, 'POST', '/v1/messages/parse', { json: { body: ':cool:' } }), 401, 'UNAUTHENTICATED');
      const forged = signJwt('another-secret-another-secret-another', { sub: 'chatter', exp: now() + 60 });
      expectError(await api(server, 'POST', '/v1/messages/parse', { token: forged, json: { body: ':cool:' } }), 401, 'UNAUTHENTICATED');
    });
  });

  it(`the private URL from the start of this suite is refused with 403 URL_EXPIRED once its ${URL_TTL} s have passed`, async () => {
    assert.ok(expiring, 'the first test did not hand out a URL');
    const { url, expires_at } = expiring;
    // Real time passes here; nothing is forged. The wait is at most URL_TTL + 1 s from the first test.
    const refused = await waitUntil(async () => {
      const res = await api(url, 'GET', url);
      return res.status === 200 ? undefined : res;
    }, 'the signed URL to expire', (URL_TTL + 5) * 1000);
    expectError(refused, 403, 'URL_EXPIRED');
    assert.ok(now() >= expires_at, 'refused before its expiry');
  });
});

describe('emote quota limits (AVATAR_EMOTE_QUOTA=2, AVATAR_EMOTE_QUOTA_BYTES=10000)', () => {
  let server: RunningServer;
  const c = clientOf(() => server);
  const QUOTA = { max_count: 2, max_bytes: 10_000 };

  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_EMOTE_QUOTA: '2', AVATAR_EMOTE_QUOTA_BYTES: '10000' } });
  });
  after(() => server?.stop());

  /** Rows of the user's uploads in the database: what "nothing left behind" means. */
  const fileRows = (user: string) => queryValue(server, 'select count(*) as n from files where owner_id = ?', user);

  it('the quota endpoint reports the configured limits', async () => {
    assert.deepEqual(await c.quota('fresh'), { used_count: 0, used_bytes: 0, ...QUOTA });
  });

  it('exactly at the count limit, the next create is 409 EMOTE_QUOTA_EXCEEDED and leaves nothing behind', async () => {
    const user = 'countfull';
    const a = await c.placeholder(user, 'one', 100);
    const b = await c.placeholder(user, 'two', 100);
    const before = { quota: await c.quota(user), ids: await c.ids(user), files: await fileRows(user) };
    assert.deepEqual(before.quota, { used_count: 2, used_bytes: 200, ...QUOTA });
    assert.equal(before.files, 2);

    expectError(await c.createEmote(user, { shortcode: 'three', sizeBytes: 100 }), 409, 'EMOTE_QUOTA_EXCEEDED');
    // A taken shortcode does not change the answer, and neither creates anything.
    expectError(await c.createEmote(user, { shortcode: 'ONE', sizeBytes: 100 }), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.deepEqual(await c.quota(user), before.quota);
    assert.deepEqual(await c.ids(user), before.ids);
    assert.deepEqual(await c.ids(user, true), []);
    assert.equal(await fileRows(user), before.files, 'a refused create left a file row behind');

    // Deleting frees a slot at once, and the refused shortcode was never taken.
    assert.equal((await c.del(user, a)).status, 204);
    const third = await c.createEmote(user, { shortcode: 'three', sizeBytes: 100 });
    assert.equal(third.status, 201, third.text);
    assert.deepEqual(await c.ids(user), [third.json.emote_id, b]);
  });

  it('the bytes limit counts declared original sizes: at most exactly max_bytes', async () => {
    const user = 'bytesfull';
    await c.placeholder(user, 'big', 6000);
    expectError(await c.createEmote(user, { shortcode: 'over', sizeBytes: 4001 }), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.deepEqual(await c.quota(user), { used_count: 1, used_bytes: 6000, ...QUOTA });
    assert.equal(await fileRows(user), 1);
    assert.equal((await c.createEmote(user, { shortcode: 'exact', sizeBytes: 4000 })).status, 201);
    assert.deepEqual(await c.quota(user), { used_count: 2, used_bytes: 10_000, ...QUOTA });
    // One emote alone larger than the budget (though under the 1 MiB file limit).
    expectError(await c.createEmote('bytesalone', { shortcode: 'huge', sizeBytes: 10_001 }), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.equal(await fileRows('bytesalone'), 0);
  });

  it('restore fails with 409 EMOTE_QUOTA_EXCEEDED when the count is full, and works once a slot is free', async () => {
    const user = 'restorefull';
    const a = await c.placeholder(user, 'aa', 100);
    await c.placeholder(user, 'bb', 100);
    assert.equal((await c.del(user, a)).status, 204);
    const cc = await c.placeholder(user, 'cc', 100);
    expectError(await c.restore(user, a), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.deepEqual(await c.ids(user, true), [a], 'still in the trash');
    assert.equal((await c.quota(user)).used_count, 2);
    assert.equal((await c.del(user, cc)).status, 204);
    assert.equal((await c.restore(user, a)).status, 200);
    assert.equal((await c.quota(user)).used_count, 2);
  });

  it('restore fails with 409 EMOTE_QUOTA_EXCEEDED when the bytes would not fit', async () => {
    const user = 'restorebytes';
    const a = await c.placeholder(user, 'aa', 6000);
    assert.equal((await c.del(user, a)).status, 204);
    await c.placeholder(user, 'bb', 5000);
    expectError(await c.restore(user, a), 409, 'EMOTE_QUOTA_EXCEEDED');
    assert.deepEqual(await c.quota(user), { used_count: 1, used_bytes: 5000, ...QUOTA });
  });
});

describe('trash purge (AVATAR_EMOTE_TRASH_DAYS=0, AVATAR_CLEANUP_GRACE_SECONDS=0: swept every second)', () => {
  let server: RunningServer;
  const c = clientOf(() => server);

  before(async () => {
    server = await startServer({ env: { ...NO_RATE_LIMIT, AVATAR_EMOTE_TRASH_DAYS: '0', AVATAR_CLEANUP_GRACE_SECONDS: '0' } });
  });
  after(() => server?.stop());

  it('a deleted emote is purged by the periodic sweep: rows, objects and file; the others stay', async () => {
    const user = 'purger';
    const keep = await c.readyEmote(user, 'keep', undefined, { public: true });
    const { emoteId: doomedId, fileId } = await c.uploadEmote(user, 'doomed', await png(48, 24), { public: true });
    const doomed = await c.settled(user, doomedId);
    assert.equal(doomed.processing_state, 'ready');
    const keepUrl = (await c.url(user, keep.id, '64')).url;
    const doomedUrl = (await c.url(user, doomed.id, 'full')).url;
    await variantImage(doomedUrl);
    const doomedKey = server.objects.keyOfUrl(doomedUrl);
    const renditionId = doomedKey.split('/')[1];
    assert.ok(renditionId);
    const objectsOfDoomed = async () =>
      [...(await server.objects.keys(`variants/${renditionId}/`)), ...(await server.objects.keys(`originals/${fileId}`))];
    assert.ok((await objectsOfDoomed()).length >= 5, 'the original and four variants are stored');

    // One that never got its bytes (no rendition, so nothing for the garbage sweep to take with it).
    const empty = await c.createEmote(user, { shortcode: 'empty' });
    assert.equal(empty.status, 201, empty.text);

    assert.equal((await c.del(user, empty.json.emote_id)).status, 204);
    assert.equal((await c.del(user, doomed.id)).status, 204);
    await waitUntil(async () => (await c.ids(user, true)).length === 0, 'the trash to be purged', 10_000);
    expectError(await c.restore(user, doomed.id), 404, 'EMOTE_NOT_FOUND');
    expectError(await c.del(user, doomed.id), 404, 'EMOTE_NOT_FOUND');
    await expectCdnError(`${server.url}/cdn/${doomedKey}`, 404, 'NOT_FOUND');
    await waitUntil(async () => (await objectsOfDoomed()).length === 0, 'the purged emote’s objects to be deleted', 10_000);
    await waitUntil(async () => (await c.get(user, `/v1/files/${fileId}`)).status === 404, 'the purged emote’s file row to go', 10_000);
    expectError(await c.get(user, `/v1/files/${fileId}`), 404, 'FILE_NOT_FOUND');
    await waitUntil(async () => (await c.get(user, `/v1/files/${empty.json.file_id}`)).status === 404, 'the never-uploaded emote’s file row to go', 10_000);

    assert.deepEqual(await c.ids(user), [keep.id]);
    await variantImage(keepUrl);
    assert.deepEqual(await c.quota(user), { used_count: 1, max_count: 50, used_bytes: keep.size_bytes, max_bytes: 10 * MiB });
    // The shortcode can be used again.
    assert.equal((await c.createEmote(user, { shortcode: 'doomed' })).status, 201);
  });

  it("a private emote's objects live under private/ (never where a bucket policy or CDN exposes variants/); they move when its visibility changes", async () => {
    const user = 'mover';
    const emote = await c.readyEmote(user, 'shy');
    const signed = await c.url(user, emote.id, '64');
    const renditionId = server.objects.keyOfUrl(signed.url).split('/')[1]!;
    const where = async () => ({
      public: await server.objects.keys(`variants/${renditionId}/`),
      private: await server.objects.keys(`private/${renditionId}/`),
    });
    const stored = await where();
    assert.deepEqual(stored.public, [], 'nothing under variants/');
    assert.equal(stored.private.length, 4, JSON.stringify(stored));
    assert.ok(server.objects.keyOfUrl(signed.url).startsWith('private/'), signed.url);
    await variantImage(signed.url);

    // Made public: copies under variants/, served at an immutable URL; the private ones go after the grace period.
    assert.equal((await c.update(user, emote.id, { public: true })).status, 200);
    const shown = await c.url(user, emote.id, '64');
    assert.equal(shown.expires_at, null);
    assert.ok(server.objects.keyOfUrl(shown.url).startsWith(`variants/${renditionId}/`), shown.url);
    await variantImage(shown.url);
    assert.equal((await where()).public.length, 4);
    await waitUntil(async () => (await where()).private.length === 0 || undefined, 'the private copies to be swept', 10_000);

    // Made private again: the public copies are gone by the time the change is answered.
    assert.equal((await c.update(user, emote.id, { public: false })).status, 200);
    assert.deepEqual((await where()).public, [], 'no public copy left');
    assert.equal((await where()).private.length, 4);
    await expectCdnError(`${server.url}/cdn/${server.objects.keyOfUrl(shown.url)}`, 404, 'NOT_FOUND');
    const hidden = await c.url(user, emote.id, '64');
    assert.ok(hidden.expires_at !== null && server.objects.keyOfUrl(hidden.url).startsWith('private/'), hidden.url);
    await variantImage(hidden.url);
  });
});
