// Operations and serving: /healthz, /readyz, /openapi.json, /docs, and the variant bytes under /cdn/.
import { createRoute, z } from '@hono/zod-openapi';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createTtlCache } from '../ttl-cache.ts';
import type { Deps } from '../context.ts';
import { pingDatabase } from '../db/index.ts';
import { ApiError, notFound } from '../errors.ts';
import { emoteOfVariantKey } from '../services/emotes.ts';
import { PUBLIC_KEY } from '../storage/index.ts';
import { json } from '../schemas.ts';
import { renderDocsPage } from './docs-page.ts';
import type { App } from './env.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const SMALL_OBJECT_BYTES = 64 * 1024;
const smallObjects = createTtlCache<Buffer>(60_000, 32 * 1024 * 1024);

async function probe(check: () => Promise<void>): Promise<'ok' | 'error'> {
  try {
    await check();
    return 'ok';
  } catch {
    return 'error';
  }
}

export function openApiDocument(app: App) {
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Avatar Editor API', version: 'v1', description: 'Avatars and uploads. Errors are {"error":{"code","message"}}.' },
  });
  doc.components = {
    ...doc.components,
    securitySchemes: {
      userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      adminKey: { type: 'http', scheme: 'bearer', description: 'AVATAR_ADMIN_KEY as Bearer, or as the Basic-auth password' },
    },
  };
  return doc;
}

export function opsRoutes(app: App, deps: Deps) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Operations'],
      summary: 'The process is up',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'Up') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  const Readiness = z.object({ status: z.enum(['ok', 'error']), database: z.enum(['ok', 'error']), storage: z.enum(['ok', 'error']) });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Operations'],
      summary: 'Database and storage are reachable',
      responses: { 200: json(Readiness, 'Ready'), 503: json(z.object({ error: z.object({ code: z.string(), message: z.string() }), ...Readiness.shape }), 'Not ready') },
    }),
    async (c) => {
      const database = await probe(() => pingDatabase(deps.db));
      const storage = await probe(() => deps.storage.check());
      if (database === 'ok' && storage === 'ok') return c.json({ status: 'ok' as const, database, storage }, 200);
      const error = { code: 'NOT_READY', message: `database ${database}, storage ${storage}` };
      return c.json({ error, status: 'error' as const, database, storage }, 503);
    },
  );

  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderDocsPage(openApiDocument(app)));
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/cdn/{key}',
    tags: ['Operations'],
    summary: 'Variant bytes (content-addressed keys, immutable)',
    request: { params: z.object({ key: z.string().openapi({ param: { name: 'key', in: 'path' } }) }) },
    responses: { 200: { description: 'The image', content: { 'image/webp': { schema: z.string().openapi({ format: 'binary' }) } } }, 304: { description: 'Not modified' }, 404: { description: 'No such object' } },
  });
  app.get('/cdn/*', async (c) => {
    const key = c.req.path.slice('/cdn/'.length);
    const hash = PUBLIC_KEY.exec(key)?.[1];
    if (!hash) throw notFound('NOT_FOUND', 'Object');
    const etag = `"${hash}"`;
    // Avatar variants are public. An emote's are public only while it is; a private one needs a signed URL.
    const access = await emoteOfVariantKey(deps, key);
    const emote = access?.emote;
    if (!access || (emote && emote.deleted_at !== null)) throw notFound('NOT_FOUND', 'Object');
    let cacheControl = IMMUTABLE;
    if (emote && !emote.public) {
      const expiresAt = Number(c.req.query('expires') ?? NaN);
      if (!deps.readSigner.verify(key, expiresAt, c.req.query('signature') ?? '')) throw new ApiError(403, 'URL_INVALID', 'This private image needs a valid signed URL');
      const remaining = expiresAt - deps.clock();
      if (remaining <= 0) throw new ApiError(403, 'URL_EXPIRED', 'This signed URL has expired; ask for a new one');
      cacheControl = `private, max-age=${remaining}`;
    }
    c.header('Cache-Control', cacheControl);
    c.header('ETag', etag);
    // Set here rather than by the CORS middleware, which would cost every /cdn response its fast path.
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', 'ETag');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Content-Security-Policy', "default-src 'none'; sandbox");
    // "*" matches any current representation (RFC 9110 §13.1.2); weak tags compare equal to ours.
    if (c.req.header('if-none-match')?.split(',').some((tag) => ['*', etag].includes(tag.trim().replace(/^W\//, '')))) return c.body(null, 304);
    c.header('Content-Type', 'image/webp');
    // Small variants (emotes, small avatars) are served from memory: keys are content-addressed, so an entry
    // never goes stale; the TTL only bounds how long a garbage-collected object can still be served.
    const small = smallObjects.get(key);
    if (small) return c.body(new Uint8Array(small), 200);
    const object = await deps.storage.get(key);
    if (!object) throw notFound('NOT_FOUND', 'Object');
    if (object.size <= SMALL_OBJECT_BYTES) {
      const bytes = await buffer(object.body);
      smallObjects.set(key, bytes, bytes.byteLength);
      return c.body(new Uint8Array(bytes), 200);
    }
    c.header('Content-Length', String(object.size));
    return c.body(Readable.toWeb(object.body) as ReadableStream, 200);
  });
  // Browsers preflight a conditional GET (If-None-Match): answer it here, /cdn skips the CORS middleware.
  app.options('/cdn/*', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Methods', 'GET, HEAD');
    c.header('Access-Control-Allow-Headers', 'If-None-Match');
    c.header('Access-Control-Max-Age', '600');
    return c.body(null, 204);
  });
}
