// A person's uploads (issue 23) over HTTP against a real server process: the list of their files, deleting one,
// their recent cartoons, what is kept of an original (no GPS or other personal metadata; the orientation, so the
// same crop), and AVATAR_ORIGINALS_RETENTION_DAYS.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { exifOrientedJpeg, jpeg, png, readExif } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import {
  api, expectError, fetchBytes, sendImage, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer,
} from '../helpers/server.ts';

const camera = (name: string) => readFile(new URL(`../fixtures/camera/${name}`, import.meta.url));

/** Every user may upload as often as it likes here: rate limits are tested elsewhere. */
const UNLIMITED = { AVATAR_UPLOAD_RATE_LIMIT: '100000', AVATAR_CHANGE_RATE_LIMIT: '100000' };

describe("a person's uploads", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { ...UNLIMITED, AVATAR_CLEANUP_GRACE_SECONDS: '1' } });
  });
  after(() => server?.stop());

  const ready = async (token: string, bytes: Uint8Array, opts: Parameters<typeof uploadImage>[3] = {}) => {
    const id = await uploadImage(server, token, bytes, opts);
    const file = await waitForFile(server, token, id);
    assert.equal(file.processing_state, 'ready', JSON.stringify(file));
    return id;
  };

  describe('GET /v1/users/me/files', () => {
    test('lists the user\'s uploads newest first, with state, size, crop, a small picture and the avatar marked', async () => {
      const token = userToken(server, 'lister');
      const first = await ready(token, await jpeg(300, 200), { crop: { crop_x: 10, crop_y: 20, crop_w: 150 } });
      const second = await ready(token, await png(120, 120), { setAsAvatar: false, contentType: 'image/png' });
      const pending = await sendImage(server, token, await jpeg(50, 50)); // bytes sent, never completed
      const emote = await api(server, 'POST', '/v1/uploads', {
        token,
        json: { upload_type: 'emote', filename: 'e.png', content_type: 'image/png', size_bytes: 10, shortcode: 'listed' },
      });
      assert.equal(emote.status, 201, emote.text);
      await api(server, 'POST', '/v1/uploads', { token: userToken(server, 'someone-else'), json: { upload_type: 'profile_pic', filename: 'x.jpg', content_type: 'image/jpeg', size_bytes: 10 } });

      const all = await api(server, 'GET', '/v1/users/me/files', { token });
      assert.equal(all.status, 200, all.text);
      assert.deepEqual(all.json.files.map((f: { id: string }) => f.id), [emote.json.file_id, pending, second, first]);
      assert.equal(all.json.next_cursor, null);
      const [, pendingView, secondView, firstView] = all.json.files;
      // Each is what GET /v1/files/{id} says of it, plus is_avatar and thumbnail_url.
      for (const view of all.json.files) {
        const { is_avatar, thumbnail_url, ...rest } = view;
        assert.deepEqual(rest, (await api(server, 'GET', `/v1/files/${view.id}`, { token })).json);
        assert.equal(typeof is_avatar, 'boolean');
        assert.ok(thumbnail_url === null || typeof thumbnail_url === 'string');
      }
      assert.equal(firstView.is_avatar, true);
      assert.deepEqual([firstView.crop, firstView.crop_source], [{ x: 10, y: 20, w: 150, h: 150 }, 'user']);
      assert.equal(firstView.size_bytes, (await jpeg(300, 200)).byteLength);
      assert.equal(secondView.is_avatar, false);
      assert.deepEqual([pendingView.processing_state, pendingView.thumbnail_url, pendingView.is_avatar], ['awaiting_upload', null, false]);
      // The small picture is the 128 px WebP of the picture made of it.
      const thumbnail = await fetchBytes(firstView.thumbnail_url);
      assert.equal(thumbnail.status, 200);
      const meta = await sharp(thumbnail.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 128, 128]);

      const photos = await api(server, 'GET', '/v1/users/me/files?upload_type=profile_pic', { token });
      assert.deepEqual(photos.json.files.map((f: { id: string }) => f.id), [pending, second, first]);
      const emotes = await api(server, 'GET', '/v1/users/me/files?upload_type=emote', { token });
      assert.deepEqual(emotes.json.files.map((f: { upload_type: string }) => f.upload_type), ['emote']);
    });

    test('pages with limit and cursor; bad ones are refused as GET /v1/emotes refuses them', async () => {
      const token = userToken(server, 'pager');
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await sendImage(server, token, await jpeg(20 + i, 20)));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: any = await api(server, 'GET', `/v1/users/me/files?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
        assert.equal(res.status, 200, res.text);
        assert.ok(res.json.files.length <= 2);
        seen.push(...res.json.files.map((f: { id: string }) => f.id));
        cursor = res.json.next_cursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].reverse());

      for (const limit of ['0', '501', 'abc', '-1', '1.5']) expectError(await api(server, 'GET', `/v1/users/me/files?limit=${limit}`, { token }), 400, 'INVALID_LIMIT');
      for (const bad of ['nope', Buffer.from('e1:12').toString('base64url'), Buffer.from('f1:x').toString('base64url')]) {
        expectError(await api(server, 'GET', `/v1/users/me/files?cursor=${bad}`, { token }), 400, 'INVALID_CURSOR');
      }
      const wrongType = await api(server, 'GET', '/v1/users/me/files?upload_type=video', { token });
      expectError(wrongType, 400, 'INVALID_REQUEST');
      assert.match(wrongType.json.error.message, /upload_type/);
      expectError(await api(server, 'GET', '/v1/users/me/files'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('DELETE /v1/files/{file_id}', () => {
    test('409 FILE_IN_USE while it is the avatar; 404 FILE_NOT_FOUND for another user\'s file; 400 for an emote', async () => {
      const token = userToken(server, 'keeper');
      const avatar = await ready(token, await jpeg(64, 64));
      expectError(await api(server, 'DELETE', `/v1/files/${avatar}`, { token }), 409, 'FILE_IN_USE');
      expectError(await api(server, 'DELETE', `/v1/files/${avatar}`, { token: userToken(server, 'intruder') }), 404, 'FILE_NOT_FOUND');
      expectError(await api(server, 'DELETE', '/v1/files/f_nothing', { token }), 404, 'FILE_NOT_FOUND');
      const emote = await api(server, 'POST', '/v1/uploads', {
        token,
        json: { upload_type: 'emote', filename: 'e.png', content_type: 'image/png', size_bytes: 10, shortcode: 'kept' },
      });
      expectError(await api(server, 'DELETE', `/v1/files/${emote.json.file_id}`, { token }), 400, 'FILE_NOT_PROFILE_PIC');
      expectError(await api(server, 'DELETE', `/v1/files/${avatar}`), 401, 'UNAUTHENTICATED');
      // Nothing changed: the avatar is served as it was.
      assert.equal((await api(server, 'GET', '/v1/users/me', { token })).json.avatar.file_id, avatar);
      // Once it is no longer the avatar, it can go.
      assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
      assert.equal((await api(server, 'DELETE', `/v1/files/${avatar}`, { token })).status, 204);
    });

    test('gone for its owner at once; its images answer until the grace period is over, then every object of it is gone', async () => {
      const token = userToken(server, 'deleter');
      const old = await ready(token, await jpeg(200, 200));
      await ready(token, await jpeg(100, 100)); // the avatar now
      const listed = (await api(server, 'GET', '/v1/users/me/files', { token })).json.files;
      const oldView = listed.find((f: { id: string }) => f.id === old);
      const renditions = await queryDb<{ id: string }>(server, 'select id from renditions where file_id = ?', old);
      assert.equal(renditions.length, 1);
      const objectsBefore = await server.objects.keys();
      const ofOld = objectsBefore.filter((key) => key === `originals/${old}` || key.includes(`/${renditions[0]!.id}/`));
      assert.ok(ofOld.length >= 7, `the original and the variants: ${ofOld.join(', ')}`);

      assert.equal((await api(server, 'DELETE', `/v1/files/${old}`, { token })).status, 204);
      expectError(await api(server, 'GET', `/v1/files/${old}`, { token }), 404, 'FILE_NOT_FOUND');
      expectError(await api(server, 'DELETE', `/v1/files/${old}`, { token }), 404, 'FILE_NOT_FOUND');
      expectError(await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: old } }), 404, 'FILE_NOT_FOUND');
      assert.ok(!(await api(server, 'GET', '/v1/users/me/files', { token })).json.files.some((f: { id: string }) => f.id === old));

      // The grace period is 1 s here: the objects, then the rows, go with the sweep.
      await waitUntil(async () => (await fetchBytes(oldView.thumbnail_url)).status === 404, 'the deleted file\'s picture to stop answering', 15_000);
      await waitUntil(async () => (await queryValue(server, 'select count(*) as n from files where id = ?', old)) === 0, 'its row to go', 15_000);
      // The sweep deletes the rows, then the objects, then the garbage rows that named them.
      await waitUntil(
        async () => (await queryValue(server, 'select count(*) as n from garbage where prefix in (?, ?)', `originals/${old}`, `variants/${renditions[0]!.id}/`)) === 0,
        'the sweep to finish with it',
        15_000,
      );
      const objectsAfter = await server.objects.keys();
      assert.deepEqual(ofOld.filter((key) => objectsAfter.includes(key)), [], 'no object of the deleted file is left');
      assert.equal(await queryValue(server, 'select count(*) as n from renditions where file_id = ?', old), 0);
      assert.equal(await queryValue(server, 'select count(*) as n from variants where rendition_id = ?', renditions[0]!.id), 0);
      // The avatar was not touched.
      assert.equal((await fetchBytes((await api(server, 'GET', '/v1/users/me', { token })).json.avatar.url)).status, 200);
    });

    test('an upload never sent can be deleted; its URL then takes nothing', async () => {
      const token = userToken(server, 'abandoner');
      const bytes = await jpeg(40, 40);
      const created = await api(server, 'POST', '/v1/uploads', {
        token,
        json: { upload_type: 'profile_pic', filename: 'p.jpg', content_type: 'image/jpeg', size_bytes: bytes.byteLength, set_as_avatar: false },
      });
      assert.equal((await api(server, 'DELETE', `/v1/files/${created.json.file_id}`, { token })).status, 204);
      assert.equal(await queryValue(server, 'select count(*) as n from files where id = ?', created.json.file_id), 0);
      const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: bytes });
      if (server.objects.kind === 'local') assert.equal(put.status, 403, 'the server refuses the bytes of a deleted upload');
      // With S3 the bucket takes them (a presigned URL cannot be revoked): the original's deletion waits for the URL to expire.
      else assert.equal(await queryValue(server, 'select count(*) as n from garbage where prefix = ?', `originals/${created.json.file_id}`), 1);
    });
  });

  describe('recent cartoons', () => {
    const setCartoon = (token: string, data: Record<string, string>) => api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data } });

    test('listed with their options, most recent first; set again by their options without being drawn again; deleted unless the avatar', async () => {
      const token = userToken(server, 'cartoonist');
      const smile = await setCartoon(token, { mouthType: 'Smile' });
      const sad = await setCartoon(token, { mouthType: 'Sad' });
      assert.equal(sad.status, 200, sad.text);
      await ready(token, await jpeg(64, 64)); // a photo is the avatar now

      const listed = await api(server, 'GET', '/v1/users/me/cartoons', { token });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.json.cartoons.map((c: { config: { mouthType: string }; is_avatar: boolean }) => [c.config.mouthType, c.is_avatar]), [['Sad', false], ['Smile', false]]);
      assert.deepEqual(listed.json.cartoons[1].config, smile.json.avatar.config);
      const thumbnail = await fetchBytes(listed.json.cartoons[0].thumbnail_url);
      assert.equal(thumbnail.status, 200);
      assert.equal((await sharp(thumbnail.bytes).metadata()).width, 128);

      // Its options again: the kept cartoon becomes the avatar (the same images), not a new drawing.
      const again = await setCartoon(token, listed.json.cartoons[1].config);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json.avatar.urls, smile.json.avatar.urls);
      assert.equal(again.json.avatar.version, smile.json.avatar.version + 3);
      const after = (await api(server, 'GET', '/v1/users/me/cartoons', { token })).json.cartoons;
      assert.deepEqual(after.map((c: { id: string; is_avatar: boolean }) => [c.id, c.is_avatar]), [[listed.json.cartoons[0].id, false], [listed.json.cartoons[1].id, true]]);

      expectError(await api(server, 'DELETE', `/v1/users/me/cartoons/${listed.json.cartoons[1].id}`, { token }), 409, 'CARTOON_IN_USE');
      expectError(await api(server, 'DELETE', `/v1/users/me/cartoons/${listed.json.cartoons[0].id}`, { token: userToken(server, 'intruder') }), 404, 'CARTOON_NOT_FOUND');
      assert.equal((await api(server, 'DELETE', `/v1/users/me/cartoons/${listed.json.cartoons[0].id}`, { token })).status, 204);
      expectError(await api(server, 'DELETE', `/v1/users/me/cartoons/${listed.json.cartoons[0].id}`, { token }), 404, 'CARTOON_NOT_FOUND');
      assert.deepEqual((await api(server, 'GET', '/v1/users/me/cartoons', { token })).json.cartoons.map((c: { id: string }) => c.id), [listed.json.cartoons[1].id]);
      await waitUntil(async () => (await fetchBytes(listed.json.cartoons[0].thumbnail_url)).status === 404, 'the deleted cartoon\'s images to go', 15_000);
    });
  });

  describe('originals', () => {
    test('a camera photo is stored without its GPS position or any other metadata, with its orientation, and crops the same', async () => {
      const token = userToken(server, 'photographer');
      // An iPhone 4S photo: GPS, maker note, XMP, an EXIF thumbnail, and orientation 6 (205×102 stored, 102×205 shown).
      const photo = await camera('iphone-4s.jpg');
      assert.deepEqual(await readExif(photo), { orientation: 6, gpsEntries: (await readExif(photo))!.gpsEntries });
      assert.ok((await readExif(photo))!.gpsEntries > 0, 'the fixture has a GPS position');
      const id = await ready(token, photo, { crop: { crop_x: 0, crop_y: 50, crop_w: 100 } });
      const view = (await api(server, 'GET', `/v1/files/${id}`, { token })).json;
      assert.deepEqual([view.width, view.height], [102, 205]);

      const stored = await server.objects.read(`originals/${id}`);
      assert.ok(stored);
      assert.deepEqual(await readExif(stored), { orientation: 6, gpsEntries: 0 }, 'an EXIF block with the orientation alone');
      const meta = await sharp(stored).metadata();
      assert.equal(meta.exif!.length, 6 + 26, 'nothing else in the EXIF block');
      assert.deepEqual([meta.xmp, meta.iptc, meta.comments], [undefined, undefined, undefined]);
      for (const word of ['Apple', 'iPhone', 'GPS', 'http://ns.adobe.com']) assert.ok(!stored.includes(word), `no "${word}" left in the stored original`);
      // The same pixels, shown the same way.
      const [shown, kept] = await Promise.all([photo, stored].map((bytes) => sharp(bytes).autoOrient().raw().toBuffer({ resolveWithObject: true })));
      assert.deepEqual([kept!.info.width, kept!.info.height], [102, 205]);
      assert.ok(shown!.data.equals(kept!.data), 'the image data is copied, not encoded again');

      // A recrop reads the stored original as the upload was read: the same coordinates are the same square.
      const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 2, crop_y: 100, crop_w: 100 } });
      assert.equal(recrop.status, 202, recrop.text);
      const recropped = await waitUntil(async () => {
        const file = (await api(server, 'GET', `/v1/files/${id}`, { token })).json;
        return file.crop.y === 100 ? file : undefined;
      }, 'the recrop');
      assert.deepEqual(recropped.crop, { x: 2, y: 100, w: 100, h: 100 });
      const expected = await sharp(photo).autoOrient().extract({ left: 2, top: 100, width: 100, height: 100 }).raw().toBuffer();
      const cropped = await fetchBytes((await api(server, 'GET', '/v1/users/me', { token })).json.avatar.urls.cropped);
      const actual = await sharp(cropped.bytes).raw().toBuffer();
      const difference = expected.reduce((sum, value, i) => sum + Math.abs(value - actual[i]!), 0) / expected.length;
      assert.ok(difference < 6, `the recrop is the same part of the photo (mean difference ${difference.toFixed(2)})`);
    });

    test('a photo with GPS written into it at test time loses it too; one without metadata is stored as it was', async () => {
      const token = userToken(server, 'geotagged');
      const tagged = await exifOrientedJpeg();
      assert.ok((await readExif(tagged))!.gpsEntries > 0);
      const id = await ready(token, tagged);
      assert.deepEqual(await readExif((await server.objects.read(`originals/${id}`))!), { orientation: 6, gpsEntries: 0 });
      const plain = await jpeg(80, 60);
      const plainId = await ready(token, plain);
      assert.ok((await server.objects.read(`originals/${plainId}`))!.equals(plain));
    });
  });
});

describe('AVATAR_ORIGINALS_RETENTION_DAYS', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { ...UNLIMITED, AVATAR_ORIGINALS_RETENTION_DAYS: '1', AVATAR_CLEANUP_GRACE_SECONDS: '1' } });
  });
  after(() => server?.stop());

  test('deletes the original of an upload that has not been the avatar for that many days; its pictures stay, a recrop answers 409', async () => {
    const token = userToken(server, 'forgetful');
    const old = await uploadImage(server, token, await jpeg(200, 200));
    assert.equal((await waitForFile(server, token, old)).processing_state, 'ready');
    const current = await uploadImage(server, token, await jpeg(100, 100));
    assert.equal((await waitForFile(server, token, current)).processing_state, 'ready');
    await waitUntil(async () => (await api(server, 'GET', '/v1/users/me', { token })).json.avatar?.file_id === current || undefined, 'the second photo to be the avatar');
    // Not a day yet: both originals are kept.
    assert.ok(await server.objects.exists(`originals/${old}`));
    const since = await queryValue<number>(server, 'select retention_from from files where id = ?', old);
    assert.ok(since > 0, 'the first photo counts from when it stopped being the avatar');
    assert.equal(await queryValue(server, 'select retention_from from files where id = ?', current), null, 'the avatar is not counted');

    // Two days later (as far as the database knows), the next sweep deletes it.
    await queryDb(server, 'update files set retention_from = retention_from - ? where id = ?', 2 * 24 * 3600, old);
    await waitUntil(async () => !(await server.objects.exists(`originals/${old}`)), 'the old original to be deleted', 15_000);
    assert.ok(await server.objects.exists(`originals/${current}`), 'the avatar\'s original stays');
    const listed = (await api(server, 'GET', '/v1/users/me/files', { token })).json.files.find((f: { id: string }) => f.id === old);
    assert.equal(listed.processing_state, 'ready');
    assert.equal((await fetchBytes(listed.thumbnail_url)).status, 200, 'its pictures stay');

    // It can be the avatar again, but not be cropped again.
    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: old } })).status, 204);
    const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w: 100 } });
    expectError(recrop, 409, 'AVATAR_NOT_RECROPPABLE');
    assert.match(recrop.json.error.message, /original/);
  });
});
