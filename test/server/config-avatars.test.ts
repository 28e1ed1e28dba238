// Cartoon (config) avatars over HTTP against real server processes: the option list, previews, setting one
// (the verbatim request of the system we replace), every error, the admin twin, switching between photo and
// cartoon, clean-up of replaced cartoons, and a SIGKILL while one is being drawn.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { jpeg } from '../fixtures/images.ts';
import { queryValue } from '../helpers/database.ts';
import { api, completeUpload, expectError, fetchBytes, sendImage, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

/** The request one of the systems we replace sends, verbatim. */
const VERBATIM = {
  data: {
    topType: 'LongHairMiaWallace', accessoriesType: 'Medal04', hairColor: 'Blonde', facialHairType: 'Blank',
    clotheType: 'ShirtVNeck', eyeType: 'StarStruck06', eyebrowType: 'UpDownNatural', mouthType: 'Default',
    skinColor: 'Tanned', clotheColor: 'Blue01', facialHairColor: 'Black', background: 'blank', frame: 'Blank',
  },
};
const KEYS = ['topType', 'accessoriesType', 'hairColor', 'hatColor', 'facialHairType', 'facialHairColor', 'clotheType', 'clotheColor', 'graphicType', 'eyeType', 'eyebrowType', 'mouthType', 'skinColor', 'background', 'frame'];
const SIZES = ['cropped', '1600', '512', '256', '128', '64'];

const setConfig = (server: RunningServer, token: string, body: unknown) => api(server, 'POST', '/v1/users/me/avatar/config', { token, json: body });
const me = (server: RunningServer, token: string) => api(server, 'GET', '/v1/users/me', { token });

/** Decoded RGBA of an image at `side` px, for comparing what two renderings look like. */
async function pixels(bytes: Buffer, side: number): Promise<Buffer> {
  return sharp(bytes).resize(side, side, { fit: 'fill' }).ensureAlpha().raw().toBuffer();
}

/** Mean absolute difference per channel, 0–255. */
function meanDifference(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('config avatars', () => {
  let server: RunningServer;
  let options: Record<string, string[]> & { defaults: Record<string, string> };
  before(async () => {
    server = await startServer({ env: { AVATAR_CLEANUP_GRACE_SECONDS: '1' } });
    options = (await api(server, 'GET', '/v1/avatar-config/options')).json;
  });
  after(async () => {
    await server?.stop();
  });

  describe('GET /v1/avatar-config/options', () => {
    test('lists every option with its values, the default first, plus the defaults; public and cacheable', async () => {
      const res = await api(server, 'GET', '/v1/avatar-config/options', { headers: { Origin: 'https://any.example' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('cache-control') ?? '', /public, max-age=\d+/);
      const { defaults, ...lists } = res.json;
      assert.deepEqual(Object.keys(lists).sort(), [...KEYS].sort());
      assert.deepEqual(Object.keys(defaults).sort(), [...KEYS].sort());
      for (const key of KEYS) {
        assert.ok(lists[key].length >= 2, `${key} has choices`);
        assert.equal(new Set(lists[key]).size, lists[key].length, `${key} lists each value once`);
        assert.equal(lists[key][0], defaults[key], `${key}: the first value is the default`);
      }
      for (const [key, value] of Object.entries(VERBATIM.data)) assert.ok(lists[key].includes(value), `${key} offers ${value}`);
    });
  });

  describe('GET /v1/avatar-config/preview.svg', () => {
    test('draws the options as a locked-down SVG, with an ETag for 304s', async () => {
      const query = new URLSearchParams(VERBATIM.data).toString();
      const res = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?${query}`, { Origin: 'https://any.example' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^image\/svg\+xml/);
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; style-src 'unsafe-inline'");
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d{5,}/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const svg = res.bytes.toString('utf8');
      assert.match(svg, /^<svg[\s>]/);
      assert.doesNotMatch(svg, /<script|foreignObject|href="(?!#)/i);
      const etag = res.headers.get('etag')!;
      assert.ok(etag);
      const again = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?${query}`, { 'If-None-Match': etag });
      assert.equal(again.status, 304);
    });

    test('omitted options take their defaults; other options draw something else', async () => {
      const bare = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg`);
      const defaults = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?${new URLSearchParams(options.defaults)}`);
      const other = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?eyeType=StarStruck01`);
      assert.equal(bare.status, 200);
      assert.deepEqual(bare.bytes, defaults.bytes);
      assert.notDeepEqual(bare.bytes, other.bytes);
    });

    test('an unknown option or value is 400 INVALID_AVATAR_CONFIG naming it', async () => {
      const unknownKey = await api(server, 'GET', '/v1/avatar-config/preview.svg?hatType=Fez');
      expectError(unknownKey, 400, 'INVALID_AVATAR_CONFIG');
      assert.match(unknownKey.json.error.message, /hatType/);
      const unknownValue = await api(server, 'GET', '/v1/avatar-config/preview.svg?eyeType=%3Cscript%3E');
      expectError(unknownValue, 400, 'INVALID_AVATAR_CONFIG');
      assert.match(unknownValue.json.error.message, /eyeType/);
      assert.match(unknownValue.json.error.message, /StarStruck06/);
    });
  });

  describe('POST /v1/users/me/avatar/config', () => {
    test('the verbatim request: 200 AVATAR_HAS_BEEN_UPDATED with the avatar, already served in every size', async () => {
      const token = userToken(server, 'mia');
      const res = await setConfig(server, token, VERBATIM);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.message, 'AVATAR_HAS_BEEN_UPDATED');
      const { avatar } = res.json;
      assert.equal(avatar.source, 'config');
      assert.equal(avatar.file_id, null);
      assert.equal(avatar.version, 1);
      assert.deepEqual(avatar.config, { ...options.defaults, ...VERBATIM.data });
      assert.deepEqual(Object.keys(avatar.urls).sort(), [...SIZES].sort());
      assert.equal(avatar.url, avatar.urls['256']);
      for (const size of SIZES) {
        const image = await fetchBytes(avatar.urls[size]);
        assert.equal(image.status, 200, `${size} is served`);
        assert.match(image.headers.get('cache-control') ?? '', /immutable/);
        const meta = await sharp(image.bytes).metadata();
        assert.equal(meta.format, 'webp');
        assert.equal(meta.width, meta.height, `${size} is square`);
        assert.equal(meta.width, size === 'cropped' ? 1600 : Number(size));
        assert.equal(meta.hasAlpha, true, 'background "blank" is transparent');
      }
      const corner = await sharp((await fetchBytes(avatar.urls['64'])).bytes).ensureAlpha().raw().toBuffer();
      assert.equal(corner[3], 0, 'the top-left corner is transparent');

      const user = await me(server, token);
      assert.equal(user.json.avatar.source, 'config');
      assert.deepEqual(user.json.avatar.config, avatar.config);
      assert.equal(user.json.avatar_url, avatar.urls['256']);
      const publicRead = await api(server, 'GET', '/v1/users/mia/avatar?size=512');
      assert.equal(publicRead.status, 200);
      assert.equal(publicRead.json.url, avatar.urls['512']);
      assert.equal(publicRead.json.version, 1);
    });

    test('the variants are what the preview shows', async () => {
      const token = userToken(server, 'lookalike');
      const res = await setConfig(server, token, { data: { ...VERBATIM.data, background: options.background!.find((b) => b !== 'blank') } });
      assert.equal(res.status, 200, res.text);
      const query = new URLSearchParams(res.json.avatar.config).toString();
      const preview = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?${query}`);
      const variant = await fetchBytes(res.json.avatar.urls['256']);
      const difference = meanDifference(await pixels(preview.bytes, 256), await pixels(variant.bytes, 256));
      assert.ok(difference < 4, `preview and variant differ by ${difference.toFixed(2)} per channel on average`);
      const other = await fetchBytes(`${server.url}/v1/avatar-config/preview.svg?eyeType=Cry`);
      assert.ok(meanDifference(await pixels(other.bytes, 256), await pixels(variant.bytes, 256)) > difference, 'the comparison can tell cartoons apart');
    });

    test('omitted options take their defaults; values match regardless of ASCII case', async () => {
      const token = userToken(server, 'defaults');
      const res = await setConfig(server, token, { data: {} });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.avatar.config, options.defaults);
      const cased = await setConfig(server, token, { data: { eyeType: 'starstruck02', frame: 'CIRCLE' } });
      assert.equal(cased.status, 200, cased.text);
      assert.equal(cased.json.avatar.config.eyeType, 'StarStruck02');
      assert.equal(cased.json.avatar.config.frame, 'Circle');
    });

    test('every save is a new version; the 6 most recent cartoons are kept to go back to, an older one is deleted after the grace period', async () => {
      const token = userToken(server, 'versions');
      const mouths = ['Smile', 'Sad', 'Serious', 'Twinkle', 'Tongue', 'Eating', 'Grimace'];
      const saved: Array<{ version: number; url: string }> = [];
      for (const mouthType of mouths) {
        const res = await setConfig(server, token, { data: { mouthType } });
        assert.equal(res.status, 200, res.text);
        saved.push({ version: res.json.avatar.version, url: res.json.avatar.urls['256'] });
      }
      assert.deepEqual(saved.map((avatar) => avatar.version), [1, 2, 3, 4, 5, 6, 7]);
      assert.equal(new Set(saved.map((avatar) => avatar.url)).size, 7, 'each cartoon has its own images');
      // The first is the 7th most recent now: still served right after the change (URLs already handed out keep
      // working a while), and gone once the grace period (1 s here) is over…
      const [oldest, ...kept] = saved;
      assert.equal((await fetchBytes(oldest!.url)).status, 200);
      await waitUntil(async () => (await fetchBytes(oldest!.url)).status === 404, 'the 7th most recent cartoon to be deleted', 15_000);
      // …while the 6 most recent stay, to go back to.
      for (const avatar of kept) assert.equal((await fetchBytes(avatar.url)).status, 200, avatar.url);
      const recent = await api(server, 'GET', '/v1/users/me/cartoons', { token });
      assert.equal(recent.status, 200, recent.text);
      assert.deepEqual(recent.json.cartoons.map((c: { config: { mouthType: string } }) => c.config.mouthType), mouths.slice(1).reverse());
    });

    test('refuses bad input with the documented codes, and changes nothing', async () => {
      const token = userToken(server, 'refused');
      const cases: Array<[unknown, number, string, RegExp?]> = [
        [{ data: { hatType: 'Fez' } }, 400, 'INVALID_AVATAR_CONFIG', /hatType.*topType/s],
        [{ data: { eyeType: 'StarStruck07' } }, 400, 'INVALID_AVATAR_CONFIG', /eyeType.*StarStruck06/s],
        [{ data: { eyeType: 7 } }, 400, 'INVALID_AVATAR_CONFIG', /eyeType/],
        [{ data: { eyeType: null } }, 400, 'INVALID_AVATAR_CONFIG', /eyeType/],
        [{ data: { background: '<svg onload=alert(1)>' } }, 400, 'INVALID_AVATAR_CONFIG', /background/],
        [{ data: { ['x'.repeat(5000)]: 'Default' } }, 400, 'INVALID_AVATAR_CONFIG'],
        [{ data: ['topType'] }, 400, 'INVALID_REQUEST'],
        [{ data: 'topType=NoHair' }, 400, 'INVALID_REQUEST'],
        [{}, 400, 'INVALID_REQUEST'],
        [[], 400, 'INVALID_REQUEST'],
      ];
      for (const [body, status, code, message] of cases) {
        const res = await setConfig(server, token, body);
        expectError(res, status, code);
        if (message) assert.match(res.json.error.message, message);
        assert.ok(res.json.error.message.length < 2000, 'the message does not echo huge input');
      }
      // Keys JSON.stringify would not write, sent as raw JSON: refused like any unknown option, as the preview does.
      const raw = (body: string) => api(server, 'POST', '/v1/users/me/avatar/config', { token, body, headers: { 'Content-Type': 'application/json' } });
      const proto = await raw('{"data":{"__proto__":{"topType":"NoHair"}}}');
      expectError(proto, 400, 'INVALID_AVATAR_CONFIG');
      assert.match(proto.json.error.message, /__proto__/);
      expectError(await raw('{"data":{"topType":"NoHair","__proto__":null}}'), 400, 'INVALID_AVATAR_CONFIG');
      const outside = await raw('{"data":{},"topType":"NoHair"}');
      expectError(outside, 400, 'INVALID_REQUEST');
      assert.match(outside.json.error.message, /topType/);
      expectError(await raw('{"data":{},"__proto__":{"topType":"NoHair"}}'), 400, 'INVALID_REQUEST');
      const notJson = await api(server, 'POST', '/v1/users/me/avatar/config', { token, body: '{"data":', headers: { 'Content-Type': 'application/json' } });
      expectError(notJson, 400, 'INVALID_REQUEST');
      expectError(await setConfig(server, '', VERBATIM), 401, 'UNAUTHENTICATED');
      expectError(await setConfig(server, 'not.a.token', VERBATIM), 401, 'UNAUTHENTICATED');
      assert.equal((await me(server, token)).json.avatar, null, 'nothing was set');
    });
  });

  describe('switching between photo and cartoon', () => {
    test('a later photo replaces a cartoon and vice versa; a cartoon cannot be recropped', async () => {
      const token = userToken(server, 'switcher');
      const photoId = await uploadImage(server, token, await jpeg(300, 300));
      assert.equal((await waitForFile(server, token, photoId)).processing_state, 'ready');
      await waitUntil(async () => (await me(server, token)).json.avatar?.source === 'upload' || undefined, 'the photo to become the avatar');
      const photoVersion = (await me(server, token)).json.avatar.version;

      const cartoon = await setConfig(server, token, VERBATIM);
      assert.equal(cartoon.json.avatar.version, photoVersion + 1);
      assert.equal((await me(server, token)).json.avatar.source, 'config');
      const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 0, crop_y: 0, crop_w: 100 } });
      expectError(recrop, 409, 'AVATAR_NOT_RECROPPABLE');

      // The photo is kept: it can be set again by file_id…
      assert.equal((await api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: photoId } })).status, 204);
      let user = (await me(server, token)).json;
      assert.equal(user.avatar.source, 'upload');
      assert.equal(user.avatar.file_id, photoId);
      assert.equal(user.avatar.config, undefined);
      assert.equal(user.avatar.version, photoVersion + 2);

      // …a cartoon again, then a newly uploaded photo replaces it once ready.
      await setConfig(server, token, { data: { topType: 'Hat' } });
      const newPhoto = await uploadImage(server, token, await jpeg(200, 200));
      await waitForFile(server, token, newPhoto);
      user = (await waitUntil(async () => {
        const current = (await me(server, token)).json;
        return current.avatar?.file_id === newPhoto ? current : undefined;
      }, 'the new photo to replace the cartoon'));
      assert.equal(user.avatar.source, 'upload');
      assert.equal(user.avatar.version, photoVersion + 4);

      // Removing works for cartoons as for photos.
      await setConfig(server, token, VERBATIM);
      assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
      assert.equal((await me(server, token)).json.avatar, null);
      expectError(await api(server, 'GET', '/v1/users/switcher/avatar'), 404, 'AVATAR_NOT_FOUND');
    });
  });

  describe('the change accepted last wins, whichever kind', () => {
    test('a photo accepted while a cartoon is being drawn becomes the avatar; the cartoon answers 409 AVATAR_SUPERSEDED', async () => {
      // The race needs the photo's complete to land between the cartoon's start and its end; it nearly always
      // does (drawing takes hundreds of ms), and a try where the cartoon finished first is made again.
      for (let attempt = 1; attempt <= 5; attempt++) {
        const user = `overtaken-${attempt}`;
        const token = userToken(server, user);
        const photoId = await sendImage(server, token, await jpeg(300, 300));

        const drawing = setConfig(server, token, VERBATIM);
        await server.waitForLine(new RegExp(`^cartoon started \\S+ ${user}$`));
        await completeUpload(server, token, photoId);
        const cartoon = await drawing;
        assert.equal((await waitForFile(server, token, photoId)).processing_state, 'ready');
        if (cartoon.status === 200) {
          // Was the photo queued before the cartoon was committed? Rendition seqs are in creation order.
          const photoSeq = await queryValue(server, 'select seq from renditions where file_id = ?', photoId);
          const cartoonSeq = await queryValue(server, 'select max(seq) from renditions where config is not null');
          if (cartoonSeq < photoSeq) continue; // the cartoon was done before the photo came: not the race
        }
        expectError(cartoon, 409, 'AVATAR_SUPERSEDED');
        const avatar = (await me(server, token)).json.avatar;
        assert.equal(avatar?.file_id, photoId, `the photo accepted last is the avatar: ${JSON.stringify(avatar)}`);
        assert.equal(avatar.source, 'upload');
        return;
      }
      assert.fail('in 5 tries the photo was never accepted while the cartoon was being drawn');
    });

    test('a cartoon accepted while a photo is processing wins over it, whichever finishes first', async () => {
      const token = userToken(server, 'cartoon-last');
      const photoId = await uploadImage(server, token, await jpeg(1200, 1200));
      const cartoon = await setConfig(server, token, VERBATIM);
      assert.equal(cartoon.status, 200, cartoon.text);
      assert.equal((await waitForFile(server, token, photoId)).processing_state, 'ready');
      const avatar = (await me(server, token)).json.avatar;
      assert.equal(avatar.source, 'config', JSON.stringify(avatar));
      assert.equal(avatar.version, cartoon.json.avatar.version, 'nothing replaced the cartoon after it answered');
    });
  });

  describe('POST /v1/admin/users/{user_id}/avatar/config', () => {
    test('sets a cartoon on behalf of a user with the admin key only', async () => {
      const path = '/v1/admin/users/managed/avatar/config';
      const res = await api(server, 'POST', path, { token: server.adminKey, json: VERBATIM });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.message, 'AVATAR_HAS_BEEN_UPDATED');
      assert.equal(res.json.avatar.source, 'config');
      const read = await api(server, 'GET', '/v1/users/managed/avatar');
      assert.equal(read.json.url, res.json.avatar.urls['256']);
      expectError(await api(server, 'POST', path, { json: VERBATIM }), 401, 'UNAUTHENTICATED');
      expectError(await api(server, 'POST', path, { token: 'wrong', json: VERBATIM }), 401, 'UNAUTHENTICATED');
      expectError(await api(server, 'POST', path, { token: userToken(server, 'managed'), json: VERBATIM }), 403, 'FORBIDDEN');
      expectError(await api(server, 'POST', path, { token: server.adminKey, json: { data: { frame: 'Moon' } } }), 400, 'INVALID_AVATAR_CONFIG');
      expectError(await api(server, 'POST', '/v1/admin/users/bad%20id/avatar/config', { token: server.adminKey, json: VERBATIM }), 400, 'INVALID_REQUEST');
    });
  });
});

describe('config avatars: limits and crashes', () => {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  after(async () => {
    for (const s of servers) await s.kill();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('drawing counts against the per-user rate limit (429 RATE_LIMITED with Retry-After)', async () => {
    const server = await startServer({ env: { AVATAR_UPLOAD_RATE_LIMIT: '2' } });
    servers.push(server);
    const token = userToken(server, 'eager');
    // Three different cartoons: the same options again would not be drawn again (one of the user's recent cartoons).
    const drawn = (mouthType: string) => ({ data: { ...VERBATIM.data, mouthType } });
    assert.equal((await setConfig(server, token, drawn('Smile'))).status, 200);
    assert.equal((await setConfig(server, token, drawn('Sad'))).status, 200);
    const limited = await setConfig(server, token, drawn('Serious'));
    expectError(limited, 429, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  test('SIGKILL while a cartoon is drawn: the previous avatar stays served, and what was written is swept', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-cartoon-kill-'));
    dirs.push(dataDir);
    // The killed drawing's objects are due for the sweep 2 × 5 s after it started.
    const env = { AVATAR_CLEANUP_GRACE_SECONDS: '0', AVATAR_PROCESSING_TIMEOUT_SECONDS: '5' };
    const first = await startServer({ dataDir, env });
    servers.push(first);
    const token = userToken(first, 'phoenix');
    const before = await setConfig(first, token, { data: { mouthType: 'Smile' } });
    assert.equal(before.status, 200);

    const earlier = first.lines.filter((line) => line.startsWith('cartoon started ')).map((line) => line.split(' ')[2]!);
    const pending = setConfig(first, token, VERBATIM).catch(() => null); // the connection dies with the server
    const started = await first.waitForLine(new RegExp(`^cartoon started (?!${earlier.join('|')})\\S+ phoenix$`));
    const renditionId = started.split(' ')[2]!;
    await first.kill();
    await pending;

    const rendition = await queryValue(first, 'select count(*) as n from renditions where id = ?', renditionId);
    assert.equal(rendition, 0, 'the kill landed while drawing (the rendition was never committed)');
    assert.equal(await queryValue(first, 'select count(*) as n from garbage where prefix = ?', `variants/${renditionId}/`), 1, 'its objects are marked for the sweep');
    // The kill may land before the drawing stored anything: a half-written object stands in for what it left.
    await first.objects.write(`variants/${renditionId}/256-half-written.webp`, new Uint8Array(100));

    const second = await startServer({ dataDir, env, jwtSecret: first.jwtSecret, adminKey: first.adminKey });
    servers.push(second);
    const user = (await me(second, token)).json;
    assert.equal(user.avatar.version, before.json.avatar.version, 'the previous avatar is still the avatar');
    assert.equal(user.avatar.urls['256'].replace(second.url, ''), before.json.avatar.urls['256'].replace(first.url, ''));
    assert.equal((await fetchBytes(user.avatar.urls['256'])).status, 200);
    // Whatever the killed request wrote under its prefix is removed once its garbage row is due.
    await waitUntil(
      async () => (await queryValue(second, 'select count(*) as n from garbage where prefix = ?', `variants/${renditionId}/`)) === 0 || undefined,
      'the sweep to take the half-drawn objects',
      45_000,
    );
    assert.deepEqual(await second.objects.keys(`variants/${renditionId}/`), [], 'no object of the killed drawing is left');
    assert.equal((await setConfig(second, token, VERBATIM)).status, 200, 'and the next save works');
  });
});
