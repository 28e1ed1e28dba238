// The API reference, in process (app.request on a real app: SQLite, local storage, dev mode): every operation of
// /openapi.json has a summary, its error codes and examples; /docs and its files come from this server only, under
// a CSP that allows nothing else, cached by hash or revalidated by ETag.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ZodType } from 'zod';
import { ERRORS } from '../../media/errors.ts';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { App } from '../../server/http/routes.ts';
import { startServer, type RunningServer } from '../../server/server.ts';

type Json = Record<string, any>;

/** What the walker reports: one line per missing piece, naming the operation. */
function problemsOf(doc: Json): string[] {
  const resolve = (node: Json | undefined): Json | undefined => (node?.$ref ? doc.components.schemas[node.$ref.split('/').pop()] : node);
  const hasExample = (media: Json | undefined) =>
    media !== undefined && (media.example !== undefined || media.examples !== undefined || resolve(media.schema)?.example !== undefined || resolve(media.schema)?.examples !== undefined);
  const catalogue: Record<string, { status?: number; message: string }> = ERRORS;
  const problems: string[] = [];
  for (const [path, operations] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(operations)) {
      const name = `${method.toUpperCase()} ${path}`;
      if (typeof op.summary !== 'string' || op.summary.trim() === '') problems.push(`${name}: no summary`);

      const errorStatuses = Object.keys(op.responses).filter((status) => Number(status) >= 400);
      if (errorStatuses.length === 0) problems.push(`${name}: no error response`);
      for (const status of errorStatuses) {
        const media = op.responses[status].content?.['application/json'];
        // The editor's page answers a person with a page, not the API's error shape.
        if (!media && op.responses[status].content?.['text/html'] && op.responses[status].description) continue;
        const codes: string[] = media?.schema?.properties?.error?.properties?.code?.enum ?? [];
        if (codes.length === 0) problems.push(`${name}: ${status} lists no error code`);
        for (const code of codes) if (catalogue[code]?.status !== Number(status)) problems.push(`${name}: ${code} is not a ${status} in the catalogue`);
        if (!hasExample(media)) problems.push(`${name}: ${status} has no example`);
      }

      for (const param of op.parameters ?? []) {
        if (param.in === 'path' && param.example === undefined && param.examples === undefined && param.schema?.example === undefined) {
          problems.push(`${name}: path parameter ${param.name} has no example`);
        }
      }
      const body = op.requestBody?.content?.['application/json'];
      if (body && !hasExample(body)) problems.push(`${name}: request body has no example`);
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        const media = response.content?.['application/json'];
        if (Number(status) < 400 && media && !hasExample(media)) problems.push(`${name}: ${status} response has no example`);
      }
    }
  }
  return problems;
}

describe('API reference', () => {
  let dataDir: string;
  let server: RunningServer;
  let app: App;
  let doc: Json;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'avatar-docs-'));
    server = await startServer(loadConfig({}, { AVATAR_DEV: '1', AVATAR_DATA_DIR: dataDir, PORT: '0', AVATAR_STORAGE: 'local' }));
    app = createApp(server.deps);
    doc = await (await app.request('/openapi.json')).json();
  });
  after(async () => {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every operation has a summary, error responses with their codes, and examples', () => {
    const operations = Object.values<Json>(doc.paths).flatMap((methods) => Object.keys(methods));
    assert.ok(operations.length >= 48, `${operations.length} operations`);
    assert.deepEqual(problemsOf(doc), []);
  });

  test('every example is valid: it passes the schema that validates the request or makes the answer', () => {
    const resolve = (node: Json | undefined): Json | undefined => (node?.$ref ? doc.components.schemas[node.$ref.split('/').pop()] : node);
    const examplesOf = (media: Json): unknown[] =>
      media.examples ? Object.values<Json>(media.examples).map((example) => example.value) : [media.example ?? resolve(media.schema)?.example].filter((example) => example !== undefined);
    let checked = 0;
    const check = (what: string, schema: ZodType | undefined, examples: unknown[]) => {
      if (!(schema instanceof ZodType)) return;
      for (const example of examples) {
        const parsed = schema.safeParse(example);
        assert.ok(parsed.success, `${what}: ${JSON.stringify(example)}: ${parsed.error?.message}`);
        checked++;
      }
    };
    for (const definition of app.openAPIRegistry.definitions) {
      if (definition.type !== 'route') continue;
      const { route } = definition;
      const op = doc.paths[route.path]?.[route.method];
      if (!op) continue; // routes of another mode (none today)
      const name = `${route.method.toUpperCase()} ${route.path}`;
      const params = Object.fromEntries((op.parameters ?? []).filter((param: Json) => param.in === 'path').map((param: Json) => [param.name, param.example ?? param.schema?.example]));
      if (Object.keys(params).length > 0) check(`${name} path`, route.request?.params as ZodType | undefined, [params]);
      const body = op.requestBody?.content?.['application/json'];
      if (body) check(`${name} body`, (route.request?.body?.content['application/json'] as { schema?: unknown } | undefined)?.schema as ZodType | undefined, examplesOf(body));
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        const media = response.content?.['application/json'];
        const declared = (route.responses[status] as { content?: Record<string, { schema?: unknown }> } | undefined)?.content?.['application/json']?.schema;
        if (media) check(`${name} ${status}`, declared as ZodType | undefined, examplesOf(media));
      }
    }
    assert.ok(checked > 200, `${checked} examples checked`);
  });

  test('the walker reports what an operation lacks', () => {
    const op = doc.paths['/v1/users/me'].get;
    const stripped = structuredClone(doc);
    stripped.paths['/v1/users/me'].get = { ...op, summary: '', responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } };
    assert.deepEqual(problemsOf(stripped).filter((problem) => problem.startsWith('GET /v1/users/me:')), ['GET /v1/users/me: no summary', 'GET /v1/users/me: no error response', 'GET /v1/users/me: 200 response has no example']);
  });

  test('user routes take a bearer token: the scheme behind the Authorize button', () => {
    assert.deepEqual(doc.paths['/v1/users/me'].get.security, [{ userToken: [] }]);
    assert.equal(doc.components.securitySchemes.userToken.type, 'http');
    assert.equal(doc.components.securitySchemes.userToken.scheme, 'bearer');
    assert.equal(doc.components.securitySchemes.adminKey.scheme, 'bearer');
    assert.ok(doc.paths['/v1/dev/token'].post, 'dev mode documents POST /v1/dev/token');
  });

  test('/docs loads only files of this server, under a CSP with no other host, inline code or eval', async () => {
    const res = await app.request('/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    const csp = new Map(res.headers.get('content-security-policy')!.split(';').map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name!, sources];
    }));
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('style-src'), ["'self'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    for (const sources of csp.values()) for (const source of sources) assert.match(source, /^('self'|'none'|data:|blob:)$/);

    const html = await res.text();
    assert.doesNotMatch(html, /<script>|<style|style=/, 'no inline script or style');
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    assert.deepEqual(urls.filter((url) => !url.startsWith('/')), [], 'every URL is on this server');
    const assets = urls.filter((url) => url.startsWith('/docs/assets/'));
    assert.equal(assets.length, 5, urls.join(' '));
    for (const url of assets) {
      assert.match(url, /\.[0-9a-f]{16}\.(js|css|png)$/);
      const asset = await app.request(url, { headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(asset.status, 200, url);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable', url);
      assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
      const revalidated = await app.request(url, { headers: { 'accept-encoding': 'gzip, br', 'if-none-match': asset.headers.get('etag')! } });
      assert.equal(revalidated.status, 304, url);
    }
  });

  test('/openapi.json is compressed and revalidated by ETag', async () => {
    const res = await app.request('/openapi.json', { headers: { 'accept-encoding': 'br' } });
    assert.equal(res.headers.get('content-encoding'), 'br');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal((await app.request('/openapi.json', { headers: { 'accept-encoding': 'br', 'if-none-match': res.headers.get('etag')! } })).status, 304);
  });

  test('/docs itself is revalidated by ETag, and unknown or stale asset names are 404 NOT_FOUND', async () => {
    const page = await app.request('/docs');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.equal((await app.request('/docs', { headers: { 'if-none-match': page.headers.get('etag')! } })).status, 304);
    for (const name of ['swagger-ui-bundle.js', 'swagger-ui-bundle.0000000000000000.js', 'swagger-ui-bundle.js.map', '..%2Fpackage.json', 'index.html']) {
      const res = await app.request(`/docs/assets/${name}`);
      assert.equal(res.status, 404, name);
      assert.equal((await res.json()).error.code, 'NOT_FOUND', name);
    }
  });
});
