// Erasing a user and exporting their data (issue 23), against real server processes, on SQLite + folder and on
// PostgreSQL + S3 alike (npm run test:server:scale-out). Nothing is assumed about where a user's data is: every
// table of the database is read from its catalogue and every row searched for the user's id, and the folder or
// bucket is listed before and after.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { userKey } from '../../server/people/user-lock.ts';
import { jpeg, png, readExif, twelveMegapixelJpeg } from '../fixtures/images.ts';
import { queryDb } from '../helpers/database.ts';
import { api, expectError, fetchBytes, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';
import { startReceiver, verified, type Receiver } from '../helpers/webhook-receiver.ts';

const run = promisify(execFile);
const camera = (name: string) => readFile(new URL(`../fixtures/camera/${name}`, import.meta.url));
const UNLIMITED = { AVATAR_UPLOAD_RATE_LIMIT: '100000', AVATAR_CHANGE_RATE_LIMIT: '100000' };
const admin = (server: RunningServer) => ({ authorization: `Bearer ${server.adminKey}` });
const erase = (server: RunningServer, userId: string) => api(server, 'DELETE', `/v1/admin/users/${encodeURIComponent(userId)}`, { headers: admin(server) });

/** A user id no other test data contains. */
const someone = (what: string) => `${what}-${randomUUID()}`;

/** Every table of the server's database, read from the database's own catalogue (a table added later is included). */
async function tables(server: RunningServer): Promise<string[]> {
  const rows = server.databaseUrl
    ? await queryDb<{ name: string }>(server, "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'")
    : await queryDb<{ name: string }>(server, "select name from sqlite_master where type = 'table'");
  return rows.map((row) => row.name).sort();
}

/**
 * Waits until no row names `userId` (the user.deleted event of an erasure does until its delivery has ended), then
 * asserts it, showing what is left if something is.
 */
async function assertNoRowNames(server: RunningServer, userId: string) {
  const left = await waitUntil(async () => {
    const rows = await rowsNaming(server, userId);
    return rows.length === 0 ? rows : undefined;
  }, `no row to name ${userId}`, 15_000).catch(() => rowsNaming(server, userId));
  assert.deepEqual(left, [], 'no table holds a row naming them');
}

/** Every row, in any table, with `needle` anywhere in it, as "table: row". */
async function rowsNaming(server: RunningServer, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const table of await tables(server)) {
    for (const row of await queryDb(server, `select * from "${table}"`)) {
      const text = JSON.stringify(row);
      if (text.includes(needle)) found.push(`${table}: ${text}`);
    }
  }
  return found;
}

async function readyPhoto(server: RunningServer, token: string, bytes: Uint8Array, opts: Parameters<typeof uploadImage>[3] = {}) {
  const id = await uploadImage(server, token, bytes, opts);
  const file = await waitForFile(server, token, id);
  assert.equal(file.processing_state, 'ready', JSON.stringify(file));
  return id;
}

async function readyEmote(server: RunningServer, token: string, shortcode: string, isPublic: boolean) {
  const bytes = await png(40, 40);
  const created = await api(server, 'POST', '/v1/uploads', {
    token,
    json: { upload_type: 'emote', filename: `${shortcode}.png`, content_type: 'image/png', size_bytes: bytes.byteLength, shortcode, public: isPublic },
  });
  assert.equal(created.status, 201, created.text);
  const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: bytes });
  assert.equal(put.status, server.objects.putStatus, await put.text());
  assert.equal((await api(server, 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token })).status, 202);
  assert.equal((await waitForFile(server, token, created.json.file_id)).processing_state, 'ready');
  return created.json.emote_id as string;
}

/**
 * Gives `userId` one of everything: photos (one recropped, so it has a replaced rendition), a camera photo with GPS,
 * cartoons, emotes (public, private, in the trash), an upload never sent, an upload link, an editor session. Returns
 * URLs of their images that answer now.
 */
async function populate(server: RunningServer, userId: string): Promise<string[]> {
  const token = userToken(server, userId);
  for (const mouthType of ['Smile', 'Sad']) {
    const cartoon = await api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data: { mouthType } } });
    assert.equal(cartoon.status, 200, cartoon.text);
  }
  await readyPhoto(server, token, await camera('htc-one-m8.jpg'), { setAsAvatar: false });
  await readyPhoto(server, token, await jpeg(300, 200), { setAsAvatar: false });
  await readyPhoto(server, token, await jpeg(240, 240));
  const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 10, crop_y: 10, crop_w: 200 } });
  assert.equal(recrop.status, 202, recrop.text);
  await waitUntil(async () => (await api(server, 'GET', '/v1/users/me', { token })).json.avatar_processing === false || undefined, 'the recrop');
  const publicEmote = await readyEmote(server, token, 'shared', true);
  const privateEmote = await readyEmote(server, token, 'secret', false);
  const trashed = await readyEmote(server, token, 'binned', false);
  assert.equal((await api(server, 'DELETE', `/v1/emotes/${trashed}`, { token })).status, 204);
  const pending = await api(server, 'POST', '/v1/uploads', { token, json: { upload_type: 'profile_pic', filename: 'later.jpg', content_type: 'image/jpeg', size_bytes: 1000 } });
  assert.equal(pending.status, 201, pending.text);
  assert.equal((await api(server, 'POST', '/v1/admin/avatars/new', { headers: admin(server), json: { user_id: userId } })).status, 201);
  assert.equal((await api(server, 'POST', '/v1/admin/sessions', { headers: admin(server), json: { user_id: userId, type: 'create' } })).status, 201);

  const me = (await api(server, 'GET', '/v1/users/me', { token })).json;
  const urls: string[] = Object.values(me.avatar.urls);
  for (const file of (await api(server, 'GET', '/v1/users/me/files', { token })).json.files) if (file.thumbnail_url) urls.push(file.thumbnail_url);
  for (const cartoon of (await api(server, 'GET', '/v1/users/me/cartoons', { token })).json.cartoons) urls.push(cartoon.thumbnail_url);
  for (const emote of [publicEmote, privateEmote]) urls.push((await api(server, 'GET', `/v1/emotes/${emote}/url`, { token })).json.url);
  for (const url of urls) assert.equal((await fetchBytes(url)).status, 200, url);
  return urls;
}

/** The keys of the objects stored while `work` ran (none of which existed before). */
async function objectsStoredBy(server: RunningServer, work: () => Promise<unknown>): Promise<string[]> {
  const before = new Set(await server.objects.keys());
  await work();
  return (await server.objects.keys()).filter((key) => !before.has(key));
}

describe('DELETE /v1/admin/users/{user_id}', () => {
  let server: RunningServer;
  let receiver: Receiver;
  let hook: { id: string; secret: string };
  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { ...UNLIMITED, AVATAR_CLEANUP_GRACE_SECONDS: '1', AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_WEBHOOK_RETRY_SCHEDULE: '1' } });
    const res = await api(server, 'POST', '/v1/admin/webhooks', { headers: admin(server), json: { url: receiver.url } });
    assert.equal(res.status, 201, res.text);
    hook = res.json;
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const userDeleted = (userId: string) => receiver.received.filter((r) => {
    const payload = verified<{ type: string; data: { user_id: string } }>(hook.secret, r);
    return payload.type === 'user.deleted' && payload.data.user_id === userId;
  });

  test('erases every row and object of the user, and nothing of anyone else; their URLs answer 404; user.deleted is sent once', async () => {
    const bystander = someone('bystander');
    const bystanderUrls = await populate(server, bystander);
    const victim = someone('victim');
    let urls: string[] = [];
    const theirs = await objectsStoredBy(server, async () => {
      urls = await populate(server, victim);
    });
    for (const prefix of ['originals/', 'variants/', 'private/']) assert.ok(theirs.some((key) => key.startsWith(prefix)), `they have objects under ${prefix}`);
    // The search finds what there is: the user is named in every kind of row they have.
    const named = new Set((await rowsNaming(server, victim)).map((row) => row.split(':')[0]));
    for (const table of ['files', 'renditions', 'users', 'emotes', 'jobs', 'editor_sessions', 'webhook_events', 'webhook_deliveries']) assert.ok(named.has(table), `a ${table} row names them`);
    const othersBefore = (await server.objects.keys()).filter((key) => !theirs.includes(key));

    const erased = await erase(server, victim);
    assert.equal(erased.status, 200, erased.text);
    // What a CDN may still hold: every public image URL of theirs starts with one of the prefixes to purge.
    assert.equal(erased.json.user_id, victim);
    for (const url of urls.filter((u) => !u.includes('/private/') && !u.includes('X-Amz-Signature'))) {
      assert.ok(erased.json.purge_url_prefixes.some((prefix: string) => url.startsWith(prefix)), `${url} is under a prefix to purge`);
    }

    // Their images stop answering at once.
    for (const url of urls) assert.equal((await fetchBytes(url)).status, 404, url);
    expectError(await api(server, 'GET', `/v1/users/${victim}/avatar`), 404, 'AVATAR_NOT_FOUND');
    const listed = await api(server, 'GET', `/v1/avatars?user_ids=${victim},${bystander}`);
    assert.deepEqual(listed.json.users.map((user: { id: string; avatar: unknown }) => [user.id, user.avatar !== null]), [[victim, false], [bystander, true]]);
    const left = await server.objects.keys();
    assert.deepEqual(theirs.filter((key) => left.includes(key)), [], 'no object of theirs is left in the folder or bucket');
    assert.deepEqual(othersBefore.filter((key) => !left.includes(key)), [], "everyone else's objects are there");
    for (const url of bystanderUrls) assert.equal((await fetchBytes(url)).status, 200, url);

    // The host hears of it; once that delivery is done, no table holds a row naming them.
    const told = await receiver.waitFor((r) => verified<{ type: string }>(hook.secret, r).type === 'user.deleted', 'user.deleted');
    assert.deepEqual(verified<{ data: unknown }>(hook.secret, told).data, { user_id: victim });
    await assertNoRowNames(server, victim);
    assert.ok((await rowsNaming(server, bystander)).length > 0, "the bystander's rows are there");

    // Idempotent: again, 200, and no second user.deleted (a later event of someone else arrives, and still only one).
    assert.equal((await erase(server, victim)).status, 200);
    const later = someone('later');
    await readyPhoto(server, userToken(server, later), await jpeg(32, 32));
    await receiver.waitFor((r) => {
      const payload = verified<{ type: string; data: { user_id: string } }>(hook.secret, r);
      return payload.type === 'avatar.ready' && payload.data.user_id === later;
    }, 'a later event');
    assert.equal(userDeleted(victim).length, 1);
    assert.deepEqual(await rowsNaming(server, victim), []);
  });

  test('refuses their writes for a while (409 USER_ERASED); erasing a user who has nothing is 200 and sends nothing', async () => {
    const victim = someone('refused');
    await readyPhoto(server, userToken(server, victim), await jpeg(32, 32));
    assert.equal((await erase(server, victim)).status, 200);
    const token = userToken(server, victim);
    expectError(await api(server, 'POST', '/v1/uploads', { token, json: { upload_type: 'profile_pic', filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: 10 } }), 409, 'USER_ERASED');
    expectError(await api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } }), 409, 'USER_ERASED');
    expectError(await api(server, 'POST', '/v1/admin/sessions', { headers: admin(server), json: { user_id: victim, type: 'create' } }), 409, 'USER_ERASED');
    assert.deepEqual((await api(server, 'GET', '/v1/users/me', { token })).json, { id: victim, avatar_url: null, avatar: null, avatar_processing: false });

    const nobody = someone('nobody');
    const nothing = await erase(server, nobody);
    assert.deepEqual([nothing.status, nothing.json], [200, { user_id: nobody, purge_url_prefixes: [] }]);
    const later = someone('later');
    await readyPhoto(server, userToken(server, later), await jpeg(32, 32));
    await receiver.waitFor((r) => JSON.parse(r.body).data?.user_id === later, 'a later event');
    assert.equal(userDeleted(nobody).length, 0);
    expectError(await erase(server, 'bad id!'), 400, 'INVALID_REQUEST');
    const userToken_ = userToken(server, 'admin-wannabe');
    expectError(await api(server, 'DELETE', `/v1/admin/users/${victim}`, { token: userToken_ }), 403, 'FORBIDDEN');
    expectError(await api(server, 'DELETE', `/v1/admin/users/${victim}`), 401, 'UNAUTHENTICATED');
  });

  test('an upload whose bytes are still arriving during the erasure is refused when they end, and leaves nothing behind', async () => {
    const victim = someone('uploading');
    await readyPhoto(server, userToken(server, victim), await jpeg(32, 32));
    const bytes = await jpeg(400, 300);
    const stored = await objectsStoredBy(server, async () => {
      const url = new URL('/v1/users/me/avatar', server.url);
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${userToken(server, victim)}`, 'content-type': 'image/jpeg', 'content-length': bytes.byteLength } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.write(bytes.subarray(0, bytes.byteLength / 2));
        // The rest once the erasure is done.
        void erase(server, victim).then((res) => {
          assert.equal(res.status, 200, res.text);
          req.end(bytes.subarray(bytes.byteLength / 2));
        }, reject);
      });
      const { status, body } = await answer;
      assert.equal(status, 409, body);
      assert.equal(JSON.parse(body).error.code, 'USER_ERASED');
    });
    assert.deepEqual(stored, []);
    await assertNoRowNames(server, victim);
  });

  test('a photo being processed during the erasure leaves nothing behind when it finishes', async () => {
    const victim = someone('processing');
    const token = userToken(server, victim);
    const stored = await objectsStoredBy(server, async () => {
      const fileId = await uploadImage(server, token, await twelveMegapixelJpeg());
      await server.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
      assert.equal((await erase(server, victim)).status, 200);
      // The render ends by finding its rows gone, and takes what it wrote with it.
      await server.waitForLine(/^job dropped /, 60_000);
    });
    assert.deepEqual(stored, []);
    await assertNoRowNames(server, victim);
  });
});

describe('an erasure cut off by kill -9, then repeated', () => {
  const dirs: string[] = [];
  const running: RunningServer[] = [];
  after(async () => {
    for (const server of running) await server.kill();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  // A short refusal (upload URLs valid 3 s, processing at most 2 s), so its end can be waited for.
  const env = { ...UNLIMITED, AVATAR_CLEANUP_GRACE_SECONDS: '1', AVATAR_UPLOAD_URL_TTL_SECONDS: '3', AVATAR_PROCESSING_TIMEOUT_SECONDS: '2' };
  /** Renditions given to the victim behind the server's back, each with objects, so deleting them takes a while. */
  const EXTRA_RENDITIONS = 150;

  test('leaves nothing once repeated, whenever the kill landed; a write that was under way leaves nothing either', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-erasure-kill-'));
    dirs.push(dataDir);
    let server = await startServer({ dataDir, env });
    running.push(server);
    const secrets = { jwtSecret: server.jwtSecret, adminKey: server.adminKey };
    for (let attempt = 1; ; attempt++) {
      const victim = someone('killed');
      const token = userToken(server, victim);
      const theirs = await objectsStoredBy(server, async () => {
        await readyPhoto(server, token, await jpeg(64, 64));
        await readyPhoto(server, token, await jpeg(80, 80), { setAsAvatar: false });
        const values = Array.from({ length: EXTRA_RENDITIONS }, (_, i) => `('r_extra${attempt}x${i}', null, '${victim}', '{}', ${1_000_000_000 + attempt * 1000 + i}, 'ready', 0)`);
        await queryDb(server, `insert into renditions (id, file_id, owner_id, config, seq, state, created_at) values ${values.join(', ')}`);
        const bytes = Buffer.from('a variant');
        const writes = Array.from({ length: EXTRA_RENDITIONS }, (_, i) => `variants/r_extra${attempt}x${i}/64-${'a'.repeat(32)}.webp`);
        for (let i = 0; i < writes.length; i += 16) await Promise.all(writes.slice(i, i + 16).map((key) => server.objects.write(key, bytes)));
      });
      const killed = server.waitForLine(new RegExp(`^erasure rows deleted ${userKey(victim)} `)).then(() => server.kill());
      void erase(server, victim).catch(() => {}); // cut off by the kill
      await killed;
      const present = new Set(await server.objects.keys());
      const remaining = theirs.filter((key) => present.has(key));
      // The rows went in one transaction, before the objects.
      assert.deepEqual(await rowsNaming(server, victim), [], 'the rows went before the kill');

      server = await startServer({ dataDir, env, ...secrets });
      running.push(server);
      if (remaining.length === 0) {
        assert.ok(attempt < 5, 'in 5 attempts the kill never landed before the objects were gone');
        continue;
      }
      t.diagnostic(`the kill landed on attempt ${attempt} with ${remaining.length} of ${theirs.length} objects left`);
      // Cut off mid-way: objects of theirs are left, and no row names them any more. Repeating finds them.
      assert.equal((await erase(server, victim)).status, 200);
      const after = new Set(await server.objects.keys());
      assert.deepEqual(theirs.filter((key) => after.has(key)), [], `nothing left after the repeat (${remaining.length} of ${theirs.length} objects were left by the kill)`);
      await assertNoRowNames(server, victim);

      // An upload URL handed out before an erasure and used after it.
      const late = someone('late');
      const lateToken = userToken(server, late);
      await readyPhoto(server, lateToken, await jpeg(32, 32));
      const bytes = await jpeg(50, 50);
      const created = await api(server, 'POST', '/v1/uploads', {
        token: lateToken,
        json: { upload_type: 'profile_pic', filename: 'late.jpg', content_type: 'image/jpeg', size_bytes: bytes.byteLength },
      });
      assert.equal((await erase(server, late)).status, 200);
      const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: bytes });
      const original = `originals/${created.json.file_id}`;
      if (server.objects.kind === 'local') {
        assert.equal(put.status, 403, 'the server takes no bytes for an erased upload');
        assert.equal(await server.objects.exists(original), false);
      } else {
        // A presigned S3 PUT cannot be revoked: the bucket takes the bytes, and the erasure's second pass (when
        // its refusal ends: 3 + 2 × 2 + 1 s here) deletes them.
        assert.equal(put.status, 200);
        await waitUntil(async () => !(await server.objects.exists(original)), 'the late original to be deleted', 30_000);
      }
      await assertNoRowNames(server, late);
      return;
    }
  });
});

describe('GET /v1/admin/users/{user_id}/export', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    server = await startServer({ env: UNLIMITED });
    dir = await mkdtemp(join(tmpdir(), 'avatar-export-'));
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every page of a list. */
  async function all(token: string, path: string, field: string): Promise<any[]> {
    const items = [];
    let cursor: string | null = null;
    do {
      const res: any = await api(server, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      assert.equal(res.status, 200, res.text);
      items.push(...res.json[field]);
      cursor = res.json.next_cursor;
    } while (cursor);
    return items;
  }

  test('a ZIP that unzip opens: every original (without GPS), the current variants, and a manifest that matches the API', async () => {
    const userId = someone('exporter');
    await populate(server, userId);
    const token = userToken(server, userId);

    const res = await fetch(`${server.url}/v1/admin/users/${userId}/export`, { headers: admin(server) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="avatar-data-exporter-[0-9a-f-]+\.zip"$/);
    assert.equal(res.headers.get('content-length'), null, 'streamed, not buffered to count its length');
    const path = join(dir, 'export.zip');
    await writeFile(path, Buffer.from(await res.arrayBuffer()));

    const tested = await run('unzip', ['-t', path]);
    assert.match(tested.stdout, /No errors detected/);
    const names = (await run('unzip', ['-Z1', path])).stdout.trim().split('\n');
    assert.equal(names.at(-1), 'manifest.json');
    const manifest = JSON.parse((await run('unzip', ['-p', path, 'manifest.json'], { maxBuffer: 64 << 20 })).stdout);
    const entry = async (name: string) => (await run('unzip', ['-p', path, name], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout;

    // The manifest is the API's view of the same rows.
    assert.equal(manifest.format, 'avatar-server-export/1');
    assert.equal(manifest.user_id, userId);
    assert.deepEqual(manifest.user, (await api(server, 'GET', '/v1/users/me', { token })).json);
    const files = await all(token, '/v1/users/me/files', 'files');
    assert.equal(files.length, 8, 'photos, emotes, the upload never sent and the upload link');
    assert.deepEqual(
      manifest.files.map(({ archive: _archive, ...file }: { archive: unknown }) => file),
      files.map(({ thumbnail_url: _thumbnail, ...file }) => file),
    );
    const emotes = [...(await all(token, '/v1/emotes', 'emotes')), ...(await all(token, '/v1/emotes/trash', 'emotes'))];
    assert.deepEqual(manifest.emotes.map(({ file_id: _f, deleted_at: _d, ...emote }: { file_id: unknown; deleted_at: unknown }) => emote), emotes);
    assert.deepEqual(manifest.emotes.map((emote: { shortcode: string; public: boolean; deleted_at: number | null }) => [emote.shortcode, emote.public, emote.deleted_at !== null]), [
      ['secret', false, false],
      ['shared', true, false],
      ['binned', false, true],
    ]);
    const cartoons = (await api(server, 'GET', '/v1/users/me/cartoons', { token })).json.cartoons;
    assert.deepEqual(
      manifest.cartoons.map(({ archive: _archive, ...cartoon }: { archive: unknown }) => cartoon),
      cartoons.map(({ thumbnail_url: _thumbnail, ...cartoon }: { thumbnail_url: unknown }) => cartoon),
    );

    // Every path the manifest names is in the archive, and the archive holds nothing else.
    const paths: string[] = [];
    for (const file of manifest.files) {
      if (file.archive.original) paths.push(file.archive.original);
      for (const formats of Object.values(file.archive.variants) as Array<Record<string, string>>) paths.push(...Object.values(formats));
    }
    for (const cartoon of manifest.cartoons) for (const formats of Object.values(cartoon.archive.variants) as Array<Record<string, string>>) paths.push(...Object.values(formats));
    assert.deepEqual([...paths, 'manifest.json'].sort(), [...names].sort());

    // Originals are there for every ready upload, stored without GPS; the variants are the served images.
    const ready = manifest.files.filter((file: { processing_state: string }) => file.processing_state === 'ready');
    assert.equal(ready.length, 6);
    for (const file of ready) {
      assert.ok(file.archive.original, `${file.id} has its original in the archive`);
      const exif = await readExif(await entry(file.archive.original));
      assert.ok(exif === null || exif.gpsEntries === 0, `${file.archive.original} carries no GPS`);
    }
    const avatarFile = manifest.files.find((file: { is_avatar: boolean }) => file.is_avatar);
    const served = await fetchBytes(manifest.user.avatar.urls['256']);
    assert.ok(served.bytes.equals(await entry(avatarFile.archive.variants['256'].webp)), 'the 256 px variant is the one served');

    expectError(await api(server, 'GET', `/v1/admin/users/${userId}/export`, { token }), 403, 'FORBIDDEN');
  });

  test("a user with nothing stored gets an archive with just the manifest", async () => {
    const res = await fetch(`${server.url}/v1/admin/users/${someone('empty')}/export`, { headers: admin(server) });
    assert.equal(res.status, 200);
    const path = join(dir, 'empty.zip');
    await writeFile(path, Buffer.from(await res.arrayBuffer()));
    assert.deepEqual((await run('unzip', ['-Z1', path])).stdout.trim().split('\n'), ['manifest.json']);
    const manifest = JSON.parse((await run('unzip', ['-p', path, 'manifest.json'])).stdout);
    assert.deepEqual([manifest.files, manifest.cartoons, manifest.emotes, manifest.user.avatar], [[], [], [], null]);
  });
});
