// What each webhook event says, triggered through the real API: avatar.ready (a processed photo, a photo that is
// not the avatar, PUT of an existing one, a recrop, a cartoon), avatar.failed for a bad image, avatar.removed,
// emote.ready (private and public), emote.failed and emote.deleted. Every delivery is verified with the
// official standardwebhooks library. Events are written with the change they report, so right after a call
// returns the deliveries listing already shows them (or shows that there were none).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { htmlAsPng, jpeg, png } from '../fixtures/images.ts';
import { api, fetchBytes, startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';
import { startReceiver, verified, type Receiver } from '../helpers/webhook-receiver.ts';

const AVATAR_SIZES = ['cropped', '1600', '512', '256', '128', '64'];
const EMOTE_SIZES = ['full', '256', '128', '64'];

interface Payload {
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

describe('webhook events', () => {
  let server: RunningServer;
  let receiver: Receiver;
  let hook: { id: string; secret: string };
  const admin = () => ({ authorization: `Bearer ${server.adminKey}` });

  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_WEBHOOK_RETRY_SCHEDULE: '1' } });
    const res = await api(server, 'POST', '/v1/admin/webhooks', { headers: admin(), json: { url: receiver.url } });
    assert.equal(res.status, 201, res.text);
    hook = res.json;
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  /** The first verified delivery of `type` whose data matches. */
  async function event(type: string, match: (data: Record<string, any>) => boolean): Promise<Payload> {
    const request = await receiver.waitFor((r) => {
      const payload = verified<Payload>(hook.secret, r);
      return payload.type === type && match(payload.data);
    }, type);
    return verified<Payload>(hook.secret, request);
  }

  /** Event types recorded so far for a user (from the deliveries listing: no waiting needed). */
  async function recordedFor(userId: string): Promise<string[]> {
    const res = await api(server, 'GET', `/v1/admin/webhooks/${hook.id}/deliveries?limit=200`, { headers: admin() });
    assert.equal(res.status, 200, res.text);
    return res.json.deliveries.filter((d: { user_id: string }) => d.user_id === userId).map((d: { event_type: string }) => d.event_type).reverse();
  }

  async function uploadEmote(user: string, shortcode: string, bytes: Uint8Array, isPublic: boolean, contentType = 'image/png') {
    const token = userToken(server, user);
    const created = await api(server, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'emote', filename: 'e.png', content_type: contentType, size_bytes: bytes.byteLength, shortcode, public: isPublic },
    });
    assert.equal(created.status, 201, created.text);
    const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
    assert.equal(put.status, server.objects.putStatus, await put.text());
    assert.equal((await api(server, 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token })).status, 202);
    return { emoteId: created.json.emote_id as string, fileId: created.json.file_id as string, token };
  }

  test('avatar.ready for a processed photo: user, file, version, source and every variant URL', async () => {
    const token = userToken(server, 'ada');
    const fileId = await uploadImage(server, token, await jpeg(300, 200));
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    const payload = await event('avatar.ready', (d) => d.file_id === fileId);
    assert.ok(Date.parse(payload.timestamp) <= Date.now());
    assert.deepEqual(Object.keys(payload.data).sort(), ['avif_urls', 'file_id', 'placeholder', 'source', 'urls', 'user_id', 'version']);
    assert.equal(payload.data.user_id, 'ada');
    assert.equal(payload.data.source, 'upload');
    const avatar = await api(server, 'GET', '/v1/users/ada/avatar');
    assert.equal(payload.data.version, avatar.json.version);
    assert.deepEqual(Object.keys(payload.data.urls).sort(), [...AVATAR_SIZES].sort());
    assert.equal(payload.data.urls['256'], avatar.json.url);
    assert.equal(payload.data.placeholder, avatar.json.placeholder);
    assert.deepEqual(payload.data.avif_urls, avatar.json.avif_urls);
    assert.equal((await fetchBytes(payload.data.urls['64'])).status, 200);
  });

  test('a photo that is not made the avatar has version null; PUT of it, and a recrop, report the new version', async () => {
    const token = userToken(server, 'grace');
    const first = await uploadImage(server, token, await jpeg(120, 120));
    await waitForFile(server, token, first);
    const firstReady = await event('avatar.ready', (d) => d.file_id === first);
    const spare = await uploadImage(server, token, await png(90, 90), { setAsAvatar: false, contentType: 'image/png' });
    await waitForFile(server, token, spare);
    const spareReady = await event('avatar.ready', (d) => d.file_id === spare);
    assert.equal(spareReady.data.version, null, 'not the avatar');

    assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: spare } })).status, 204);
    const chosen = await event('avatar.ready', (d) => d.file_id === spare && d.version !== null);
    assert.equal(chosen.data.version, firstReady.data.version + 1);
    assert.deepEqual(chosen.data.urls, spareReady.data.urls, 'the same pictures');

    const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w: 50 } });
    assert.equal(recrop.status, 202, recrop.text);
    const recropped = await event('avatar.ready', (d) => d.file_id === spare && d.version > chosen.data.version);
    assert.notEqual(recropped.data.urls['cropped'], chosen.data.urls['cropped'], 'new pictures for the new crop');
    assert.deepEqual(await recordedFor('grace'), ['avatar.ready', 'avatar.ready', 'avatar.ready', 'avatar.ready']);
  });

  test('avatar.failed for bytes that are not the declared type, with the error code and message', async () => {
    const token = userToken(server, 'mallory');
    const fileId = await uploadImage(server, token, htmlAsPng(), { contentType: 'image/png' });
    const file = await waitForFile(server, token, fileId);
    assert.equal(file.processing_state, 'failed');
    const payload = await event('avatar.failed', (d) => d.file_id === fileId);
    assert.deepEqual(payload.data, { user_id: 'mallory', file_id: fileId, version: null, source: 'upload', error: { code: file.error.code, message: file.error.message } });
    assert.equal(payload.data.error.code, 'IMAGE_INVALID');
    assert.deepEqual(await recordedFor('mallory'), ['avatar.failed']);
  });

  test('a cartoon is avatar.ready with source "config" and no file; removing it is avatar.removed, removing nothing is silent', async () => {
    const token = userToken(server, 'toon');
    const saved = await api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } });
    assert.equal(saved.status, 200, saved.text);
    const ready = await event('avatar.ready', (d) => d.user_id === 'toon');
    const { urls, avif_urls, placeholder } = saved.json.avatar;
    assert.deepEqual(ready.data, { user_id: 'toon', file_id: null, version: saved.json.avatar.version, source: 'config', urls, avif_urls, placeholder });
    assert.equal(typeof placeholder, 'string');

    assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
    const removed = await event('avatar.removed', (d) => d.user_id === 'toon');
    assert.deepEqual(removed.data, { user_id: 'toon', file_id: null, version: saved.json.avatar.version + 1, source: 'config' });

    // Nothing left to remove: no event (the listing shows every recorded event at once).
    assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
    assert.equal((await api(server, 'PATCH', '/v1/users/me', { token, json: { remove_avatar: true } })).status, 200);
    assert.equal((await api(server, 'DELETE', '/v1/admin/users/toon/avatar', { headers: admin() })).status, 204);
    assert.deepEqual(await recordedFor('toon'), ['avatar.ready', 'avatar.removed']);
    assert.deepEqual(await recordedFor('never-seen'), []);
  });

  test('removing a photo avatar names its file', async () => {
    const token = userToken(server, 'photo-gone');
    const fileId = await uploadImage(server, token, await jpeg(64, 64));
    await waitForFile(server, token, fileId);
    assert.equal((await api(server, 'DELETE', '/v1/admin/users/photo-gone/avatar', { headers: admin() })).status, 204);
    const removed = await event('avatar.removed', (d) => d.user_id === 'photo-gone');
    assert.equal(removed.data.file_id, fileId);
    assert.equal(removed.data.source, 'upload');
  });

  test('emote.ready: a private emote without URLs (they are signed), a public one with them; emote.deleted once', async () => {
    const secret = await uploadEmote('emma', 'secret_cat', await png(40, 40), false);
    await waitForFile(server, secret.token, secret.fileId);
    const privateReady = await event('emote.ready', (d) => d.emote_id === secret.emoteId);
    const secretEmote = await api(server, 'GET', `/v1/emotes/${secret.emoteId}`, { token: secret.token });
    assert.deepEqual(privateReady.data, {
      user_id: 'emma', emote_id: secret.emoteId, file_id: secret.fileId, shortcode: 'secret_cat', public: false, animated: false, source: 'upload',
      placeholder: secretEmote.json.placeholder,
    });
    assert.equal(typeof secretEmote.json.placeholder, 'string');

    const shown = await uploadEmote('emma', 'party_cat', await png(60, 30), true);
    await waitForFile(server, shown.token, shown.fileId);
    const publicReady = await event('emote.ready', (d) => d.emote_id === shown.emoteId);
    assert.equal(publicReady.data.public, true);
    assert.deepEqual(Object.keys(publicReady.data.urls).sort(), [...EMOTE_SIZES].sort());
    const url = await api(server, 'GET', `/v1/emotes/${shown.emoteId}/url?size=64`);
    assert.equal(publicReady.data.urls['64'], url.json.url);

    for (let i = 0; i < 2; i++) assert.equal((await api(server, 'DELETE', `/v1/emotes/${shown.emoteId}`, { token: shown.token })).status, 204);
    const deleted = await event('emote.deleted', (d) => d.emote_id === shown.emoteId);
    assert.deepEqual(deleted.data, { user_id: 'emma', emote_id: shown.emoteId, file_id: shown.fileId, shortcode: 'party_cat' });
    assert.deepEqual(await recordedFor('emma'), ['emote.ready', 'emote.ready', 'emote.deleted'], 'a second delete of the same emote is silent');
  });

  test('emote.failed for bytes that are not the declared type', async () => {
    const bad = await uploadEmote('eve', 'fake_png', htmlAsPng(), false);
    const file = await waitForFile(server, bad.token, bad.fileId);
    assert.equal(file.processing_state, 'failed');
    const payload = await event('emote.failed', (d) => d.emote_id === bad.emoteId);
    assert.deepEqual(payload.data, {
      user_id: 'eve', emote_id: bad.emoteId, file_id: bad.fileId, shortcode: 'fake_png', source: 'upload', error: { code: 'IMAGE_INVALID', message: file.error.message },
    });
  });
});
