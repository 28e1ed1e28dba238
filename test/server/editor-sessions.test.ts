// Hosted editor sessions against a real server process: POST /v1/admin/sessions and the page at /editor/{id},
// its headers (CSP with a nonce, frame-ancestors from the allowed origins, nosniff, no-store, no-referrer), the
// token it carries, and the 404/410 pages. The page running in Chromium is test/e2e/editor-session.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryDb } from '../helpers/database.ts';
import { api, expectError, startServer, userToken, waitUntil, type ApiResponse, type RunningServer } from '../helpers/server.ts';

const HOST = 'https://host.example';
const OTHER = 'https://other.example:8443';
const now = () => Math.floor(Date.now() / 1000);

interface Session {
  session_id: string;
  url: string;
  expires_at: number;
}

/** The JSON the page embeds for its script. */
function pageConfig(html: string): { token: string; type: string; returnUrl: string | null; messageOrigins: string[] | null } {
  const match = /<script type="application\/json" id="avatar-session">(.*?)<\/script>/s.exec(html);
  assert.ok(match, 'the page embeds its session');
  return JSON.parse(match[1]!);
}

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The directives of a Content-Security-Policy header, by name. */
function csp(res: ApiResponse): Map<string, string> {
  const header = res.headers.get('content-security-policy') ?? '';
  return new Map(header.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)]));
}

function assertStrictHeaders(res: ApiResponse) {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('x-frame-options'), null, 'framing is governed by frame-ancestors alone');
}

describe('editor sessions: POST /v1/admin/sessions and /editor/{session_id}', () => {
  let server: RunningServer;
  let admin: Record<string, string>;

  before(async () => {
    server = await startServer({ dev: false, env: { AVATAR_ALLOWED_ORIGINS: `${HOST},${OTHER}` } });
    admin = { authorization: `Bearer ${server.adminKey}` };
  });
  after(async () => {
    await server?.stop();
  });

  const create = (body: unknown, headers = admin) => api(server, 'POST', '/v1/admin/sessions', { headers, json: body });
  async function newSession(body: Record<string, unknown>): Promise<Session> {
    const res = await create(body);
    assert.equal(res.status, 201, res.text);
    return res.json;
  }
  const page = (session: Session | string) => api(server, 'GET', typeof session === 'string' ? session : new URL(session.url).pathname);

  test('201 {session_id, url, expires_at}: an unguessable id (≥ 128 bits, base64url), a page on this server, 1 hour by default', async () => {
    const before = now();
    const res = await create({ user_id: 'alice', type: 'edit-existing' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['expires_at', 'session_id', 'url']);
    assert.match(res.json.session_id, /^[A-Za-z0-9_-]{22,}$/);
    assert.ok(res.json.session_id.length * 6 >= 128, 'at least 128 bits');
    assert.equal(res.json.url, `${server.url}/editor/${res.json.session_id}`);
    assert.ok(res.json.expires_at >= before + 3600 && res.json.expires_at <= now() + 3600);
    const second = await newSession({ user_id: 'alice', type: 'edit-existing', ttl_seconds: 120 });
    assert.notEqual(second.session_id, res.json.session_id);
    assert.ok(second.expires_at <= now() + 120);
  });

  test('the page runs the editor for that user only, with a token that expires with the session', async () => {
    const session = await newSession({ user_id: 'alice', type: 'edit-existing', ttl_seconds: 900 });
    const res = await page(session);
    assert.equal(res.status, 200, res.text);
    assertStrictHeaders(res);
    assert.match(res.text, /<script type="module" src="\/widget\/avatar-editor\.js" nonce="[^"]+"><\/script>/);
    const config = pageConfig(res.text);
    assert.equal(config.type, 'edit-existing');
    assert.deepEqual(config.messageOrigins, [HOST, OTHER]);
    assert.equal(config.returnUrl, null);
    const claims = jwtPayload(config.token);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.exp, session.expires_at);
    const me = await api(server, 'GET', '/v1/users/me', { token: config.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, 'alice');

    const bobs = pageConfig((await page(await newSession({ user_id: 'bob', type: 'create' }))).text);
    assert.equal(jwtPayload(bobs.token).sub, 'bob');
    assert.equal(bobs.type, 'create');
    assert.match((await page(await newSession({ user_id: 'bob', type: 'create' }))).text, /<h1>Choose your avatar<\/h1>/);
  });

  test('Content-Security-Policy: a fresh nonce for the inline script, frame-ancestors exactly the allowed origins', async () => {
    const session = await newSession({ user_id: 'carol', type: 'edit-existing' });
    const [first, second] = [await page(session), await page(session)];
    const policy = csp(first);
    assert.equal(policy.get('default-src'), "'none'");
    assert.equal(policy.get('frame-ancestors'), `${HOST} ${OTHER}`);
    assert.equal(policy.get('base-uri'), "'none'");
    assert.equal(policy.get('form-action'), "'none'");
    assert.match(policy.get('worker-src') ?? '', /\bblob:/);
    const nonce = /'nonce-([^']+)'/.exec(policy.get('script-src') ?? '')?.[1];
    assert.ok(nonce && nonce.length >= 16, 'a nonce in script-src');
    assert.doesNotMatch(policy.get('script-src') ?? '', /unsafe-inline|unsafe-eval|\*/);
    const scripts = [...first.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    for (const attributes of scripts.filter((a) => !a.includes('application/json'))) assert.ok(attributes.includes(`nonce="${nonce}"`), `script without the nonce: ${attributes}`);
    assert.notEqual(/'nonce-([^']+)'/.exec(csp(second).get('script-src') ?? '')?.[1], nonce, 'a new nonce for every response');
  });

  test('return_url: kept when http(s) on an allowed origin; else 400 (no open redirect)', async () => {
    const ok = await newSession({ user_id: 'dave', type: 'create', return_url: `${OTHER}/settings?done=1#top` });
    assert.equal(pageConfig((await page(ok)).text).returnUrl, `${OTHER}/settings?done=1#top`);
    const refused: Array<[string, string]> = [
      ['https://evil.example/', 'RETURN_URL_NOT_ALLOWED'],
      ['https://host.example.evil.example/', 'RETURN_URL_NOT_ALLOWED'],
      ['http://host.example/', 'RETURN_URL_NOT_ALLOWED'],
      ['https://other.example/', 'RETURN_URL_NOT_ALLOWED'],
      ['javascript:alert(1)', 'INVALID_REQUEST'],
      ['data:text/html,hi', 'INVALID_REQUEST'],
      ['//host.example/x', 'INVALID_REQUEST'],
      ['/relative', 'INVALID_REQUEST'],
      ['https://user:pass@host.example/', 'INVALID_REQUEST'],
    ];
    for (const [returnUrl, code] of refused) {
      const res = await create({ user_id: 'dave', type: 'create', return_url: returnUrl });
      expectError(res, 400, code);
      assert.match(res.json.error.message, /return_url/, returnUrl);
    }
  });

  test('the embedded JSON cannot break out of its script element', async () => {
    const session = await newSession({ user_id: 'erin', type: 'create', return_url: `${HOST}/a?x=</script><script>alert(1)</script>&y=\u2028` });
    const res = await page(session);
    assert.equal((res.text.match(/<\/script>/g) ?? []).length, 3, 'exactly the three scripts close');
    assert.ok(pageConfig(res.text).returnUrl?.startsWith(`${HOST}/a?x=`));
  });

  test('unknown and malformed session ids get a clear 404 page; nothing about any user', async () => {
    const existing = await newSession({ user_id: 'frank', type: 'edit-existing' });
    const lookalike = existing.session_id.slice(0, -1) + (existing.session_id.endsWith('A') ? 'B' : 'A');
    for (const path of [`/editor/${lookalike}`, '/editor/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/editor/short', `/editor/${existing.session_id}x`, '/editor/a%20b']) {
      const res = await page(path);
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assertStrictHeaders(res);
      assert.match(res.text, /<h1>Editor link not found<\/h1>/);
      assert.doesNotMatch(res.text, /avatar-session|eyJ/, 'no token on an error page');
      assert.equal(csp(res).get('frame-ancestors'), `${HOST} ${OTHER}`);
      assert.equal(csp(res).get('script-src'), undefined, 'no script at all');
    }
  });

  test('an expired session gets a clear 410 page', async () => {
    const session = await newSession({ user_id: 'gina', type: 'edit-existing', ttl_seconds: 1 });
    // Real time passes (a second at most); nothing is forged.
    const gone = await waitUntil(async () => {
      const res = await page(session);
      assert.ok([200, 410].includes(res.status), res.text);
      return res.status === 410 ? res : undefined;
    }, 'the session to expire', 5_000);
    assertStrictHeaders(gone);
    assert.match(gone.text, /<h1>Editor link expired<\/h1>/);
    assert.doesNotMatch(gone.text, /avatar-session|eyJ/);
  });

  test('the database keeps only a hash of the session id', async () => {
    const session = await newSession({ user_id: 'hank', type: 'create' });
    const rows = await queryDb(server, 'select * from editor_sessions');
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(session.session_id), 'the id itself is not stored');
  });

  test('400 INVALID_REQUEST naming the field for bad bodies', async () => {
    const bodies: Array<[unknown, string]> = [
      [{ type: 'create' }, 'user_id'],
      [{ user_id: 'bad id', type: 'create' }, 'user_id'],
      [{ user_id: 'ok' }, 'type'],
      [{ user_id: 'ok', type: 'edit' }, 'type'],
      [{ user_id: 'ok', type: 'create', ttl_seconds: 0 }, 'ttl_seconds'],
      [{ user_id: 'ok', type: 'create', ttl_seconds: 86_401 }, 'ttl_seconds'],
      [{ user_id: 'ok', type: 'create', ttl_seconds: '60' }, 'ttl_seconds'],
      [{ user_id: 'ok', type: 'create', return_url: 42 }, 'return_url'],
      [{ user_id: 'ok', type: 'create', return_url: `${HOST}/${'x'.repeat(2100)}` }, 'return_url'],
    ];
    for (const [body, field] of bodies) {
      const res = await create(body);
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, new RegExp(field), JSON.stringify(body));
    }
  });

  test('401 without the admin key, 403 with a user token', async () => {
    const body = { user_id: 'ok', type: 'create' };
    expectError(await create(body, {}), 401, 'UNAUTHENTICATED');
    expectError(await create(body, { authorization: 'Bearer not-the-admin-key' }), 401, 'UNAUTHENTICATED');
    expectError(await create(body, { authorization: `Basic ${Buffer.from('x:nope').toString('base64')}` }), 401, 'UNAUTHENTICATED');
    expectError(await create(body, { authorization: `Bearer ${userToken(server, 'ok')}` }), 403, 'FORBIDDEN');
    assert.equal((await create(body, { authorization: `Basic ${Buffer.from(`admin:${server.adminKey}`).toString('base64')}` })).status, 201);
  });

  test('/openapi.json describes both routes', async () => {
    const doc = (await api(server, 'GET', '/openapi.json')).json;
    assert.ok(doc.paths['/v1/admin/sessions'].post.responses['201']);
    assert.ok(doc.paths['/editor/{session_id}'].get.responses['410']);
    assert.match(doc.components.schemas.EditorSessionRequest.properties.locale.description, /en, de, fr, es/);
  });

  const heading = (html: string) => /<h1>(.*?)<\/h1>/.exec(html)?.[1];
  const htmlLang = (html: string) => /<html lang="([^"]*)">/.exec(html)?.[1];

  test('locale: the page and the editor in it speak the language the host asked for, whatever the browser says', async () => {
    const session = await newSession({ user_id: 'ines', type: 'edit-existing', locale: 'de-AT' });
    const res = await api(server, 'GET', new URL(session.url).pathname, { headers: { 'accept-language': 'fr-FR,fr;q=0.9' } });
    assert.equal(htmlLang(res.text), 'de-AT');
    assert.equal(heading(res.text), 'Profilbild ändern');
    const config = pageConfig(res.text) as ReturnType<typeof pageConfig> & { locale: string; texts: Record<string, string> };
    assert.equal(config.locale, 'de-AT', "the editor's lang");
    assert.equal(config.texts.processing, 'Dein neues Profilbild wird verarbeitet…');
    assert.match(res.headers.get('vary') ?? '', /Accept-Language/i);
  });

  test("without a locale the page follows the browser's languages (Accept-Language), else English", async () => {
    const session = await newSession({ user_id: 'jon', type: 'create' });
    const cases: Array<[string | undefined, string, string]> = [
      ['de-DE,de;q=0.9,en;q=0.8', 'de-DE', 'Profilbild auswählen'],
      ['it-IT,it;q=0.9,es;q=0.8,en;q=0.5', 'es', 'Elige tu avatar'],
      ['en;q=0.2, fr-CA', 'fr-CA', 'Choisir votre avatar'],
      ['ja, zh;q=0.5', 'en', 'Choose your avatar'],
      ['*', 'en', 'Choose your avatar'],
      [undefined, 'en', 'Choose your avatar'],
    ];
    for (const [acceptLanguage, lang, title] of cases) {
      const res = await api(server, 'GET', new URL(session.url).pathname, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
      assert.equal(htmlLang(res.text), lang, `Accept-Language: ${acceptLanguage}`);
      assert.equal(heading(res.text), title, `Accept-Language: ${acceptLanguage}`);
      assert.equal((pageConfig(res.text) as { locale?: string }).locale, lang);
    }
    const gone = await api(server, 'GET', '/editor/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { headers: { 'accept-language': 'de' } });
    assert.equal(gone.status, 404);
    assert.equal(htmlLang(gone.text), 'de');
    assert.equal(heading(gone.text), 'Editor-Link nicht gefunden');
  });

  test('locale is validated: one of en, de, fr, es, optionally with a region', async () => {
    for (const locale of ['it', 'de_DE', 'deutsch', 'de-', 'en-toolongregion', '', 42, '<de>']) {
      const res = await create({ user_id: 'kim', type: 'create', locale });
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, /locale/, JSON.stringify(locale));
    }
    for (const locale of ['en', 'ES', 'fr-CA', 'de-CH']) assert.equal((await create({ user_id: 'kim', type: 'create', locale })).status, 201, locale);
  });

  test("the page's CSP lets it load avatars from, and upload to, where the storage keeps them", async () => {
    const policy = csp(await page(await newSession({ user_id: 'lena', type: 'edit-existing' })));
    const own = new URL(server.url).origin;
    // With S3 storage the browser talks to the bucket (and the CDN) itself; with a folder, only to this server.
    const storage = server.objects.kind === 's3' ? ` ${new URL(process.env.AVATAR_TEST_S3_ENDPOINT!).origin}` : '';
    assert.equal(policy.get('img-src'), `'self' ${own}${storage} blob: data:`);
    assert.equal(policy.get('connect-src'), `'self' ${own}${storage} blob:`);
  });
});

describe('editor sessions on S3 storage behind a CDN', () => {
  let server: RunningServer;
  before(async () => {
    // The page never touches the bucket: nothing needs to answer at these addresses.
    server = await startServer({
      dev: false,
      env: {
        AVATAR_STORAGE: 's3',
        AVATAR_S3_BUCKET: 'avatars',
        AVATAR_S3_REGION: 'eu-west-1',
        AVATAR_S3_ENDPOINT: 'https://s3.storage.example:9000',
        AVATAR_S3_ACCESS_KEY_ID: 'key',
        AVATAR_S3_SECRET_ACCESS_KEY: 'secret',
        AVATAR_CDN_URL: 'https://cdn.example/avatars/',
      },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('img-src and connect-src name the bucket (virtual-hosted) and the CDN', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const created = await api(server, 'POST', '/v1/admin/sessions', { headers: admin, json: { user_id: 'cdn', type: 'edit-existing' } });
    const policy = csp(await api(server, 'GET', new URL(created.json.url).pathname));
    const own = new URL(server.url).origin;
    assert.equal(policy.get('img-src'), `'self' ${own} https://avatars.s3.storage.example:9000 https://cdn.example blob: data:`);
    assert.equal(policy.get('connect-src'), `'self' ${own} https://avatars.s3.storage.example:9000 https://cdn.example blob:`);
  });
});

describe('editor sessions without AVATAR_ALLOWED_ORIGINS', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ dev: false });
  });
  after(async () => {
    await server?.stop();
  });

  test('the page cannot be framed anywhere, posts no messages, and no return_url is allowed', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}` };
    const created = await api(server, 'POST', '/v1/admin/sessions', { headers: admin, json: { user_id: 'solo', type: 'edit-existing' } });
    assert.equal(created.status, 201, created.text);
    const res = await api(server, 'GET', new URL(created.json.url).pathname);
    assert.equal(res.status, 200);
    assert.equal(csp(res).get('frame-ancestors'), "'none'");
    assert.deepEqual(pageConfig(res.text).messageOrigins, []);
    expectError(await api(server, 'POST', '/v1/admin/sessions', { headers: admin, json: { user_id: 'solo', type: 'create', return_url: 'https://anywhere.example/' } }), 400, 'RETURN_URL_NOT_ALLOWED');
  });
});
