// AVIF variants (issue 20 §2) against a real server process, on SQLite + folder or PostgreSQL + S3: made on the first
// request for them and stored, never by the render job; answered meanwhile with the WebP (not cached); picked by
// Accept on /avatar/image; private emotes' addresses signed; animated emotes and small sizes WebP only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { animatedGif, jpeg, png } from '../fixtures/images.ts';
import { queryDb } from '../helpers/database.ts';
import { api, expectError, fetchBytes, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

/** The format sharp reads in the bytes: AVIF is HEIF with AV1 inside. */
async function formatOf(bytes: Buffer): Promise<string> {
  const { format, compression } = await sharp(bytes).metadata();
  return format === 'heif' && compression === 'av1' ? 'avif' : format;
}

/** Fetches an AVIF address until it answers with the made AVIF (it answers with the WebP while it is made). */
async function fetchMadeAvif(url: string) {
  return waitUntil(async () => {
    const res = await fetchBytes(url);
    assert.equal(res.status, 200, `${url}: ${res.bytes.toString()}`);
    return res.headers.get('content-type') === 'image/avif' ? res : undefined;
  }, `${url} to be made`);
}

describe('AVIF variants', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  const avifRows = (renditionOfKey: string) =>
    queryDb<{ size: string; key: string }>(server, `select size, key from variants where format = 'avif' and rendition_id = ?`, renditionOfKey);

  test('an avatar names an AVIF URL per size from 100 px up; the first request gets the WebP (no-store) while the AVIF is made, later ones the stored AVIF', async () => {
    const token = userToken(server, 'avif-photo');
    const fileId = await uploadImage(server, token, await jpeg(600, 600));
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    const avatar = (await api(server, 'GET', '/v1/users/avif-photo/avatar?size=128')).json;
    // Uploads never make AVIF: the render job stored WebP only.
    const renditionId = server.objects.keyOfUrl(avatar.url).split('/')[1]!;
    assert.deepEqual(await avifRows(renditionId), []);
    assert.deepEqual(Object.keys(avatar.avif_urls).sort(), ['128', '1600', '256', '512', 'cropped'], '64 px is WebP only');
    assert.equal(avatar.avif_url, avatar.avif_urls['128']);
    // Until made, an AVIF URL is this server's address for it (with S3 too: the bucket cannot make it).
    for (const [size, url] of Object.entries(avatar.avif_urls)) assert.equal(url, `${server.url}/cdn/variants/${renditionId}/${size}.avif`);

    const first = await fetchBytes(avatar.avif_url);
    assert.equal(first.status, 200);
    const made = first.headers.get('content-type') === 'image/avif' ? first : await fetchMadeAvif(avatar.avif_url);
    if (first !== made) {
      assert.equal(first.headers.get('content-type'), 'image/webp');
      assert.equal(first.headers.get('cache-control'), 'no-store', 'the stand-in is not cached');
      assert.equal(await formatOf(first.bytes), 'webp');
    }
    assert.equal(made.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await formatOf(made.bytes), 'avif');
    assert.deepEqual((({ width, height }) => ({ width, height }))(await sharp(made.bytes).metadata()), { width: 128, height: 128 });
    const webp = await fetchBytes(avatar.url);
    assert.ok(made.bytes.length < webp.bytes.length, `AVIF ${made.bytes.length} B < WebP ${webp.bytes.length} B`);

    // Stored once, under its own content-addressed key, which answers now name; the other sizes are still to be made.
    const rows = await avifRows(renditionId);
    assert.deepEqual(rows.map((row) => row.size), ['128']);
    assert.match(rows[0]!.key, new RegExp(`^variants/${renditionId}/128-[a-f0-9]{32}\\.avif$`));
    const again = (await api(server, 'GET', '/v1/users/avif-photo/avatar?size=128')).json;
    assert.equal(again.avif_url, `${server.objects.publicBase}${rows[0]!.key}`);
    assert.equal(again.avif_urls['256'], avatar.avif_urls['256']);
    const direct = await fetchBytes(again.avif_url);
    assert.equal(direct.status, 200);
    assert.deepEqual(direct.bytes, made.bytes);
    // The address handed out before keeps working, with the stored bytes.
    assert.deepEqual((await fetchBytes(avatar.avif_url)).bytes, made.bytes);
  });

  test('many first requests at once make one AVIF', async () => {
    const token = userToken(server, 'avif-crowd');
    const fileId = await uploadImage(server, token, await jpeg(300, 300));
    await waitForFile(server, token, fileId);
    const avatar = (await api(server, 'GET', '/v1/users/avif-crowd/avatar?size=256')).json;
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetchBytes(avatar.avif_url)));
    assert.ok(answers.every((res) => res.status === 200));
    await fetchMadeAvif(avatar.avif_url);
    const renditionId = server.objects.keyOfUrl(avatar.url).split('/')[1]!;
    const keys = (await server.objects.keys(`variants/${renditionId}/`)).filter((key) => key.endsWith('.avif'));
    assert.equal(keys.length, 1, keys.join(', '));
  });

  test('/avatar/image picks AVIF for browsers that take it (Vary: Accept), WebP for the rest and for 64 px', async () => {
    const token = userToken(server, 'avif-accept');
    const fileId = await uploadImage(server, token, await jpeg(400, 400));
    await waitForFile(server, token, fileId);
    const avatar = (await api(server, 'GET', '/v1/users/avif-accept/avatar?size=128')).json;
    const image = (accept: string, size = '128') => fetch(`${server.url}/v1/users/avif-accept/avatar/image?size=${size}`, { redirect: 'manual', headers: { accept } });
    const chrome = await image('image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8');
    assert.equal(chrome.status, 302);
    assert.ok(/(^|, *)Accept(,|$)/.test(chrome.headers.get('vary') ?? ''), chrome.headers.get('vary') ?? 'no Vary');
    assert.equal(chrome.headers.get('location'), avatar.avif_url);
    assert.equal((await image('image/webp,*/*')).headers.get('location'), avatar.url);
    assert.equal((await image('image/avif;q=0, image/webp')).headers.get('location'), avatar.url, 'q=0 refuses AVIF');
    const small = await image('image/avif,image/webp', '64');
    assert.equal(small.headers.get('location'), (await api(server, 'GET', '/v1/users/avif-accept/avatar?size=64')).json.url);
  });

  test('a cartoon gets AVIF like a photo', async () => {
    const token = userToken(server, 'avif-toon');
    const saved = await api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } });
    assert.equal(saved.status, 200, saved.text);
    const made = await fetchMadeAvif(saved.json.avatar.avif_urls['256']);
    assert.equal(await formatOf(made.bytes), 'avif');
  });

  test('a private emote signs its AVIF address; an animated emote has none; a public still emote has one', async () => {
    const createEmote = async (user: string, shortcode: string, bytes: Buffer, contentType: string, isPublic: boolean) => {
      const token = userToken(server, user);
      const created = await api(server, 'POST', '/v1/uploads', {
        token,
        json: { upload_type: 'emote', filename: 'e', content_type: contentType, size_bytes: bytes.length, shortcode, public: isPublic },
      });
      assert.equal(created.status, 201, created.text);
      const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
      assert.equal(put.status, server.objects.putStatus);
      assert.equal((await api(server, 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token })).status, 202);
      assert.equal((await waitForFile(server, token, created.json.file_id)).processing_state, 'ready');
      return { id: created.json.emote_id as string, token };
    };
    const secret = await createEmote('avif-emoter', 'secret_avif', await png(300, 150), 'image/png', false);
    const url = await api(server, 'GET', `/v1/emotes/${secret.id}/url?size=full`, { token: secret.token });
    assert.equal(url.status, 200, url.text);
    assert.deepEqual([url.json.width, url.json.height], [300, 150]);
    assert.equal(typeof url.json.placeholder, 'string');
    const address = new URL(url.json.avif_url);
    assert.equal(address.searchParams.get('expires'), String(url.json.expires_at));
    expectError(await api(server, 'GET', `${address.pathname}`), 403, 'URL_INVALID');
    const tampered = new URL(address);
    tampered.pathname = tampered.pathname.replace('full.avif', '256.avif');
    expectError(await api(server, 'GET', `${tampered.pathname}${tampered.search}`), 403, 'URL_INVALID');
    const made = await fetchMadeAvif(url.json.avif_url);
    assert.equal(made.headers.get('cache-control')?.startsWith('private, max-age='), true, made.headers.get('cache-control') ?? '');
    assert.deepEqual((({ width, height }) => ({ width, height }))(await sharp(made.bytes).metadata()), { width: 300, height: 150 });

    const party = await createEmote('avif-emoter', 'party_avif', await animatedGif([[255, 0, 0], [0, 255, 0], [0, 0, 255]], 120, 120), 'image/gif', true);
    const animated = await api(server, 'GET', `/v1/emotes/${party.id}/url?size=128`);
    assert.equal(animated.json.avif_url, null, 'animated emotes stay WebP');

    const shown = await createEmote('avif-emoter', 'shown_avif', await png(200, 200), 'image/png', true);
    const still = await api(server, 'GET', `/v1/emotes/${shown.id}/url?size=128`);
    assert.equal(still.json.expires_at, null);
    assert.equal(await formatOf((await fetchMadeAvif(still.json.avif_url)).bytes), 'avif');
    const small = await api(server, 'GET', `/v1/emotes/${shown.id}/url?size=64`);
    assert.equal(small.json.avif_url, null, 'too small for AVIF to pay');
  });

  test('addresses that name nothing are 404, never a 5xx', async () => {
    const token = userToken(server, 'avif-missing');
    const fileId = await uploadImage(server, token, await jpeg(200, 200));
    await waitForFile(server, token, fileId);
    const avatar = (await api(server, 'GET', '/v1/users/avif-missing/avatar')).json;
    const renditionId = server.objects.keyOfUrl(avatar.url).split('/')[1]!;
    for (const path of [`variants/nope/128.avif`, `variants/${renditionId}/999.avif`, `variants/${renditionId}/128.gif`, `variants/${renditionId}/128.webp`, `originals/${fileId}`]) {
      expectError(await api(server, 'GET', `/cdn/${path}`), 404, 'NOT_FOUND');
    }
  });
});
