// GET /widget/avatar-editor.js: the widget's entry module, GET /widget/chunks/{name}.js: the parts it loads only
// when used (emote mode, …), and GET /widget/assets/{name}.bin: the data those load (the face model). Built by
// `npm run build` into dist/widget.
import { z } from '@hono/zod-openapi';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { matchesEtag } from '../http/etag.ts';
import { ApiError } from '../http/errors.ts';
import type { Context } from 'hono';
import type { Deps } from '../deps.ts';
import { createRoutes, PUBLIC } from '../http/routes.ts';
import { errors } from '../http/schemas.ts';

// From server/routes (run from source) or dist/server/routes (built), the build is in dist/widget.
const BUILD_DIRS = ['../../dist/widget/', '../../widget/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
/** What the bundler names a chunk: chunkFileNames in vite.config.ts, `[name]-[hash].js`. */
const CHUNK_NAME = /^[A-Za-z0-9_-]{1,100}\.js$/;
/** What it names the binary data it emits: assetFileNames in vite.config.ts, `[name]-[hash].bin` (nothing else there is served). */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.bin$/;

type Encoding = 'br' | 'gzip' | 'identity';

interface BuiltFile {
  hash: string;
  bodies: Record<Encoding, Buffer>;
}

/** Reads a built file and compresses it once: it never changes while the process runs. */
async function loadFile(name: string): Promise<BuiltFile | null> {
  let body: Buffer | null = null;
  for (const dir of BUILD_DIRS) if ((body = await readFile(dir + name).catch(() => null))) break;
  if (!body) return null;
  return {
    hash: createHash('sha256').update(body).digest('hex').slice(0, 32),
    bodies: {
      br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      gzip: gzipSync(body, { level: 9 }),
      identity: body,
    },
  };
}

function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return 'identity';
}

const javascript = { 'text/javascript': { schema: z.string() } };
const binary = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };

/** Mounted at /widget: loaded by any page that embeds the widget. */
export function widgetRoutes(deps: Deps) {
  const app = createRoutes(deps, PUBLIC);
  // Each file is read once: the build only changes with a new build, which means a new process. A file not built
  // yet is looked for again next time.
  const files = new Map<string, Promise<BuiltFile | null>>();
  const load = async (name: string) => {
    let file = files.get(name);
    if (!file) files.set(name, (file = loadFile(name)));
    const found = await file;
    if (!found) files.delete(name);
    return found;
  };

  const serve = (found: BuiltFile, c: Context, cacheControl: string, contentType = 'text/javascript; charset=utf-8') => {
    const encoding = pickEncoding(c.req.header('accept-encoding'));
    const etag = `"${found.hash}-${encoding}"`;
    c.header('Cache-Control', cacheControl);
    c.header('ETag', etag);
    c.header('Vary', 'Accept-Encoding');
    c.header('X-Content-Type-Options', 'nosniff');
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
    c.header('Content-Type', contentType);
    if (encoding !== 'identity') c.header('Content-Encoding', encoding);
    return c.body(new Uint8Array(found.bodies[encoding]), 200);
  };

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/avatar-editor.js',
    tags: ['Widget'],
    summary: 'The <avatar-editor> widget as one ES module (worker and styles inlined); it loads its chunks from /widget/chunks/',
    responses: { 200: { description: 'JavaScript module', content: javascript }, 304: { description: 'Not modified' }, ...errors('NOT_FOUND') },
  });
  app.handle(['GET'], '/avatar-editor.js', null, async (c) => {
    const found = await load('avatar-editor.js');
    if (!found) throw new ApiError('NOT_FOUND', 'The widget is not built; run `npm run build`');
    // The entry keeps its URL across releases, so browsers check it again after a while.
    return serve(found, c, 'public, max-age=300');
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/chunks/{name}',
    tags: ['Widget'],
    summary: 'A part of the widget loaded only when used, under a content-hashed name',
    request: { params: z.object({ name: z.string().openapi({ example: 'emote-panel-CnaJmI0S.js' }) }) },
    responses: { 200: { description: 'JavaScript module', content: javascript }, 304: { description: 'Not modified' }, ...errors('NOT_FOUND') },
  });
  app.handle(['GET'], '/chunks/:name', null, async (c) => {
    const name = c.req.param('name');
    const found = CHUNK_NAME.test(name) ? await load(`chunks/${name}`) : null;
    if (!found) throw new ApiError('NOT_FOUND', `No widget chunk ${name}`);
    // A chunk's name changes with its content: it can be cached for good.
    return serve(found, c, 'public, max-age=31536000, immutable');
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/assets/{name}',
    tags: ['Widget'],
    summary: 'Data a chunk of the widget loads (the face detector\'s model), under a content-hashed name',
    request: { params: z.object({ name: z.string().openapi({ example: 'face-model-zcd4mtbS.bin' }) }) },
    responses: { 200: { description: 'Binary data', content: binary }, 304: { description: 'Not modified' }, ...errors('NOT_FOUND') },
  });
  app.handle(['GET'], '/assets/:name', null, async (c) => {
    const name = c.req.param('name');
    const found = ASSET_NAME.test(name) ? await load(`assets/${name}`) : null;
    if (!found) throw new ApiError('NOT_FOUND', `No widget asset ${name}`);
    return serve(found, c, 'public, max-age=31536000, immutable', 'application/octet-stream');
  });
  return app;
}
