// /cdn/ (SPEC §3 "Serving and operations", issue 13 point 9): the variant bytes are answered by a plain node:http
// listener in front of Hono's. What the Hono route did, it still does: HEAD, the CORS preflight, If-None-Match
// including "*", signed private URLs (valid, tampered, expired), the JSON errors, other methods going to Hono,
// encoded or dotted paths refused, big objects streamed; and bytes held in memory stop being served as soon as the
// object is deleted. One server: short private-URL lifetime, garbage swept every second. It stores to the local
// folder whatever the run's storage: with S3 the URLs handed out point at the bucket or CDN, not at /cdn.
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { png } from '../fixtures/images.ts';
import {
  api, expectError, fetchBytes, startServer, uploadImage, userToken, waitForFile, waitUntil, type ApiResponse, type RunningServer,
} from '../helpers/server.ts';

/** The shortest private-URL lifetime the configuration allows; the expiry test waits for it. */
const URL_TTL = 10;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const now = () => Math.floor(Date.now() / 1000);

/** One request exactly as written (fetch would normalise '..' and percent-encoding away). */
function rawRequest(server: RunningServer, method: string, path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        const json = (res.headers['content-type'] ?? '').includes('json') && text ? JSON.parse(text) : undefined;
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, json, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A photo-like (noisy) JPEG: its large variants are well over the 64 KiB kept in memory. */
async function noisyJpeg(size: number): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

describe('/cdn: variant bytes in front of Hono', () => {
  let server: RunningServer;
  let publicUrl: string;
  let privateUrl: { url: string; expires_at: number };
  let avatarUrls: Record<string, string>;

  async function readyEmote(user: string, shortcode: string, isPublic: boolean): Promise<string> {
    const token = userToken(server, user);
    const bytes = await png(48, 24);
    const created = await api(server, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'emote', filename: 'e.png', content_type: 'image/png', size_bytes: bytes.byteLength, shortcode, public: isPublic },
    });
    assert.equal(created.status, 201, created.text);
    const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
    assert.equal(put.status, 204);
    assert.equal((await api(server, 'POST', `/v1/uploads/${created.json.file_id}/complete`, { token })).status, 202);
    const id = created.json.emote_id as string;
    await waitUntil(async () => (await api(server, 'GET', `/v1/emotes/${id}`, { token })).json?.processing_state === 'ready', `emote ${shortcode}`);
    return id;
  }

  async function emoteUrl(user: string, id: string, size = '128') {
    const res = await api(server, 'GET', `/v1/emotes/${id}/url?size=${size}`, { token: userToken(server, user) });
    assert.equal(res.status, 200, res.text);
    return res.json as { url: string; expires_at: number | null };
  }

  before(async () => {
    server = await startServer({ env: { AVATAR_UPLOAD_RATE_LIMIT: '1000000', AVATAR_EMOTE_URL_TTL_SECONDS: String(URL_TTL), AVATAR_CLEANUP_GRACE_SECONDS: '1', AVATAR_STORAGE: 'local' } });
    const pub = await readyEmote('owner', 'open', true);
    const priv = await readyEmote('owner', 'closed', false);
    publicUrl = (await emoteUrl('owner', pub)).url;
    const signed = await emoteUrl('owner', priv);
    assert.ok(signed.expires_at !== null);
    privateUrl = { url: signed.url, expires_at: signed.expires_at };
    const token = userToken(server, 'pictured');
    await waitForFile(server, token, await uploadImage(server, token, await noisyJpeg(600)));
    avatarUrls = (await api(server, 'GET', '/v1/users/me', { token })).json.avatar.urls;
  });
  after(() => server?.stop());

  it('GET: the bytes with immutable caching, ETag, Content-Length, nosniff, CSP and CORS; the same from memory the second time', async () => {
    const first = await fetchBytes(publicUrl);
    const again = await fetchBytes(publicUrl);
    for (const res of [first, again]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      assert.equal(res.headers.get('content-length'), String(res.bytes.length));
      assert.equal(res.headers.get('cache-control'), IMMUTABLE);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; sandbox");
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-expose-headers'), 'ETag');
      assert.match(res.headers.get('etag') ?? '', /^"[a-f0-9]{16,64}"$/);
    }
    assert.deepEqual(again.bytes, first.bytes);
    assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  });

  it('HEAD: the headers of GET, Content-Length included, and no body', async () => {
    for (const url of [publicUrl, avatarUrls['256']!, avatarUrls.cropped!]) {
      const get = await fetchBytes(url);
      const head = await rawRequest(server, 'HEAD', new URL(url).pathname);
      assert.equal(head.status, 200, url);
      assert.equal(head.text, '');
      for (const name of ['content-type', 'content-length', 'cache-control', 'etag', 'x-content-type-options', 'content-security-policy', 'access-control-allow-origin']) {
        assert.equal(head.headers.get(name), get.headers.get(name), `${name} of ${url}`);
      }
    }
  });

  it('OPTIONS: the preflight of a conditional GET is granted to any origin', async () => {
    const res = await api(server, 'OPTIONS', new URL(publicUrl).pathname, {
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD');
    assert.equal(res.headers.get('access-control-allow-headers'), 'If-None-Match');
    assert.equal(res.headers.get('access-control-max-age'), '600');
  });

  it('If-None-Match: the ETag, "*", a weak tag or a list with it → 304 with the caching headers and no body; another tag → 200', async () => {
    const etag = (await fetchBytes(publicUrl)).headers.get('etag')!;
    for (const tag of [etag, '*', ' * ', `W/${etag}`, `"other", ${etag}`]) {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawRequest(server, method, new URL(publicUrl).pathname, { 'if-none-match': tag });
        assert.equal(res.status, 304, `${method} ${tag}`);
        assert.equal(res.text, '');
        assert.equal(res.headers.get('etag'), etag);
        assert.equal(res.headers.get('cache-control'), IMMUTABLE);
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        assert.equal(res.headers.get('content-type'), null);
      }
    }
    assert.equal((await fetchBytes(publicUrl, { 'if-none-match': '"other"' })).status, 200);
    assert.equal((await fetchBytes(publicUrl, { 'if-none-match': '' })).status, 200);
  });

  it('a private emote: its signed URL serves (GET, HEAD, 304) with private caching for the rest of its lifetime', async () => {
    const res = await fetchBytes(privateUrl.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge > 0 && maxAge <= privateUrl.expires_at - now() + 1, `max-age ${maxAge}`);
    const { pathname, search } = new URL(privateUrl.url);
    const head = await rawRequest(server, 'HEAD', pathname + search);
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.match(head.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
    const revalidated = await fetchBytes(privateUrl.url, { 'if-none-match': res.headers.get('etag')! });
    assert.equal(revalidated.status, 304);
    assert.match(revalidated.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);
  });

  it('a private emote: unsigned, tampered or re-dated URLs → 403 URL_INVALID (GET and HEAD), whatever was served before', async () => {
    await fetchBytes(privateUrl.url); // in memory now
    const u = new URL(privateUrl.url);
    const signature = u.searchParams.get('signature')!;
    const flipped = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    const refused = [
      u.pathname,
      `${u.pathname}?expires=${privateUrl.expires_at}`,
      `${u.pathname}?expires=${privateUrl.expires_at}&signature=${flipped}`,
      `${u.pathname}?expires=${privateUrl.expires_at + 60}&signature=${signature}`,
      `${u.pathname}?expires=abc&signature=${signature}`,
      `${u.pathname}?signature=${signature}`,
    ];
    for (const path of refused) {
      expectError(await api(server, 'GET', path), 403, 'URL_INVALID');
      const head = await rawRequest(server, 'HEAD', path);
      assert.equal(head.status, 403, path);
      assert.equal(head.text, '');
    }
    // The same parameters in another order, or percent-encoded, are the same signed URL.
    assert.equal((await fetchBytes(`${server.url}${u.pathname}?signature=${signature}&expires=${privateUrl.expires_at}`)).status, 200);
    assert.equal((await fetchBytes(`${server.url}${u.pathname}?expires=${privateUrl.expires_at}&signature=%${signature.charCodeAt(0).toString(16)}${signature.slice(1)}`)).status, 200);
  });

  it('other methods are not served: POST /cdn/x and PUT, POST, DELETE on a real object → 404 NOT_FOUND', async () => {
    expectError(await api(server, 'POST', '/cdn/x'), 404, 'NOT_FOUND');
    const path = new URL(publicUrl).pathname;
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) expectError(await api(server, method, path, { body: 'x' }), 404, 'NOT_FOUND');
    assert.equal((await fetchBytes(publicUrl)).status, 200, 'still served');
  });

  it('paths with percent-encoding or dot segments, unknown keys and originals → 404 NOT_FOUND (GET and HEAD)', async () => {
    const path = new URL(publicUrl).pathname;
    const [, , renditionId, name] = path.slice(1).split('/');
    const refused = [
      path.replace('.webp', '%2Ewebp'),
      path.replace(name!, `%${name!.charCodeAt(0).toString(16)}${name!.slice(1)}`),
      `/cdn/variants/${renditionId}/../${renditionId}/${name}`,
      `/cdn/variants/${renditionId}/./${name}`,
      '/cdn/../avatar.db',
      '/cdn/%2e%2e/avatar.db',
      `/cdn/variants/${renditionId}/..%2f..%2favatar.db`,
      `/cdn/originals/${renditionId}`,
      '/cdn/variants/nope/128-0123456789abcdef0123456789abcdef.webp',
      `${path}/`,
      `/cdn//${path.slice('/cdn/'.length)}`,
      '/cdn/',
    ];
    for (const target of refused) {
      expectError(await rawRequest(server, 'GET', target), 404, 'NOT_FOUND');
      const head = await rawRequest(server, 'HEAD', target);
      assert.equal(head.status, 404, target);
      assert.equal(head.text, '');
    }
  });

  it('objects over 64 KiB are streamed from storage, with their length', async () => {
    const url = avatarUrls.cropped!;
    const key = new URL(url).pathname.slice('/cdn/'.length);
    const onDisk = await readFile(join(server.dataDir, 'objects', key));
    assert.ok(onDisk.length > 64 * 1024, `the cropped variant is ${onDisk.length} bytes`);
    for (let i = 0; i < 2; i++) {
      const res = await fetchBytes(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(onDisk.length));
      assert.deepEqual(res.bytes, onDisk);
    }
  });

  it('bytes held in memory stop being served once the garbage sweep has deleted the object', async () => {
    const token = userToken(server, 'swept');
    await waitForFile(server, token, await uploadImage(server, token, await noisyJpeg(300)));
    const old = (await api(server, 'GET', '/v1/users/me', { token })).json.avatar.urls as Record<string, string>;
    for (const size of ['64', '256']) {
      assert.equal((await fetchBytes(old[size]!)).status, 200);
      assert.equal((await fetchBytes(old[size]!)).status, 200, 'served from memory');
    }
    const recrop = await api(server, 'POST', '/v1/users/me/avatar/recrop', { token, json: { crop_x: 20, crop_y: 20, crop_w: 200 } });
    assert.equal(recrop.status, 202, recrop.text);
    const objects = join(server.dataDir, 'objects');
    const oldKeys = Object.values(old).map((url) => new URL(url).pathname.slice('/cdn/'.length));
    await waitUntil(async () => oldKeys.every((key) => !existsSync(join(objects, key))), 'the old objects to be deleted', 20_000);
    for (const size of ['64', '256']) expectError(await api(server, 'GET', new URL(old[size]!).pathname), 404, 'NOT_FOUND');
    const fresh = (await api(server, 'GET', '/v1/users/me', { token })).json.avatar.urls as Record<string, string>;
    assert.notEqual(fresh['256'], old['256']);
    assert.equal((await fetchBytes(fresh['256']!)).status, 200);
  });

  it(`the signed URL from the start is refused with 403 URL_EXPIRED once its ${URL_TTL} s have passed (GET and HEAD)`, async () => {
    const refused = await waitUntil(async () => {
      const res = await api(server, 'GET', privateUrl.url);
      return res.status === 200 ? undefined : res;
    }, 'the signed URL to expire', (URL_TTL + 5) * 1000);
    expectError(refused, 403, 'URL_EXPIRED');
    assert.ok(now() >= privateUrl.expires_at, 'refused before its expiry');
    const { pathname, search } = new URL(privateUrl.url);
    const head = await rawRequest(server, 'HEAD', pathname + search);
    assert.equal(head.status, 403);
    assert.equal(head.text, '');
  });
});
