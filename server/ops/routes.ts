// Operations: /healthz, /readyz, /openapi.json, /docs and its files. (The variant bytes under /cdn/ are cdn/listener.ts's.)
import { createRoute, z } from '@hono/zod-openapi';
import { documentCdnRoute } from '../cdn/listener.ts';
import { pingDatabase } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { matchesEtag } from '../http/etag.ts';
import { createRoutes, PUBLIC, type App } from '../http/routes.ts';
import { json } from '../http/schemas.ts';
import { prepareStaticFile, sendStaticFile, type StaticFile } from '../http/static-files.ts';
import { DOCS_CSP, makeDocsPage, type DocsPage } from './docs-page.ts';

const API_TITLE = 'Avatar Editor API';

async function probe(check: () => Promise<void>): Promise<'ok' | 'error'> {
  try {
    await check();
    return 'ok';
  } catch {
    return 'error';
  }
}

/** The document's introduction (Markdown): what the API is, and how to try it from /docs. */
function description(dev: boolean): string {
  return [
    'Avatars, emotes and their uploads. Every error is `{"error": {"code", "message"}}`; each operation lists the codes it answers with.',
    'Operations with a lock need a token: press **Authorize** and give `userToken` a user JWT (signed by your backend with `AVATAR_JWT_SECRET`, or from `POST /v1/admin/tokens`), or `adminKey` the `AVATAR_ADMIN_KEY` for `/v1/admin/…`.',
    ...(dev ? ['**Dev mode:** open **Dev mode → POST /v1/dev/token** and press **Execute**: this page authorizes itself with the token it returns. Then **Execute** any user operation.'] : []),
  ].join('\n\n');
}

export function openApiDocument(app: App, dev: boolean) {
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: API_TITLE, version: 'v1', description: description(dev) },
  });
  doc.components = {
    ...doc.components,
    securitySchemes: {
      userToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: "A user's token: a JWT signed with AVATAR_JWT_SECRET (HS256) or by a key of AVATAR_JWT_JWKS_URL; its `sub` (or AVATAR_JWT_USER_CLAIM) is the user id",
      },
      adminKey: { type: 'http', scheme: 'bearer', description: 'AVATAR_ADMIN_KEY as Bearer, or as the Basic-auth password' },
    },
  };
  // Listed tags come first in /docs: in dev mode, the way to a token.
  if (dev) doc.tags = [{ name: 'Dev mode', description: 'Only with --dev: Execute POST /v1/dev/token and /docs is authorized as that user' }];
  return doc;
}

/**
 * Mounted at /: `document` is the whole app's OpenAPI document (openApiDocument), made when first asked for (every
 * route is mounted by then) and kept: making it takes a few hundred milliseconds.
 */
export function opsRoutes(deps: Deps, document: () => ReturnType<typeof openApiDocument>) {
  const app = createRoutes(deps, PUBLIC);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Operations'],
      summary: 'The process is up',
      responses: { 200: json(z.object({ status: z.literal('ok') }).openapi({ example: { status: 'ok' } }), 'Up') },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  const Readiness = z.object({ status: z.enum(['ok', 'error']), database: z.enum(['ok', 'error']), storage: z.enum(['ok', 'error']) });
  const NotReady = z
    .object({ error: z.object({ code: z.literal('NOT_READY'), message: z.string() }), ...Readiness.shape })
    .openapi({ example: { error: { code: 'NOT_READY', message: 'database ok, storage error' }, status: 'error', database: 'ok', storage: 'error' } });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Operations'],
      summary: 'Database and storage are reachable',
      responses: { 200: json(Readiness.openapi({ example: { status: 'ok', database: 'ok', storage: 'ok' } }), 'Ready'), 503: json(NotReady, 'Not ready') },
    }),
    async (c) => {
      const database = await probe(() => pingDatabase(deps.db));
      const storage = await probe(() => deps.storage.check());
      if (database === 'ok' && storage === 'ok') return c.json({ status: 'ok' as const, database, storage }, 200);
      const error = { code: 'NOT_READY' as const, message: `database ${database}, storage ${storage}` };
      return c.json({ error, status: 'error' as const, database, storage }, 503);
    },
  );

  // 180 kB of JSON, 11 kB in brotli: compressed once with the rest, revalidated by its ETag.
  let documentFile: Promise<StaticFile> | null = null;
  app.handle(['GET'], '/openapi.json', null, async (c) => {
    documentFile ??= prepareStaticFile(Buffer.from(JSON.stringify(document())));
    return sendStaticFile(c, await documentFile, 'no-cache', 'application/json');
  });
  // Made on the first visit (reading and hashing Swagger UI's files), then kept: they change only with a new process.
  let docsPage: Promise<DocsPage> | null = null;
  const docs = () => {
    docsPage ??= makeDocsPage({ title: API_TITLE, dev: deps.config.dev }).catch((err: unknown) => {
      docsPage = null;
      throw err;
    });
    return docsPage;
  };
  app.handle(['GET'], '/docs', null, async (c) => {
    const page = await docs();
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('Cache-Control', 'no-cache');
    c.header('ETag', page.etag);
    c.header('X-Content-Type-Options', 'nosniff');
    if (matchesEtag(c.req.header('if-none-match'), page.etag)) return c.body(null, 304);
    return c.html(page.html);
  });
  app.handle(['GET'], '/docs/assets/:name', null, async (c) => {
    const asset = (await docs()).assets.get(c.req.param('name'));
    if (!asset) throw new ApiError('NOT_FOUND', `No docs file ${c.req.param('name')}`);
    return sendStaticFile(c, await asset.file, 'public, max-age=31536000, immutable', asset.contentType);
  });

  // The bytes under /cdn/ are answered in front of Hono (cdn/listener.ts); documented here with the rest.
  documentCdnRoute(app);
  return app;
}
