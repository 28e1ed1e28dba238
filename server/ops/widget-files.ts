// GET /widget/avatar-editor.js: the widget's entry module, GET /widget/chunks/{name}.js: the parts it loads only
// when used (emote mode, …), and GET /widget/assets/{name}.bin: the data those load (the face model). Built by
// `npm run build` into dist/widget.
import { z } from '@hono/zod-openapi';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { createRoutes, PUBLIC } from '../http/routes.ts';
import { errors } from '../http/schemas.ts';
import { prepareStaticFile, sendStaticFile, type StaticFile } from '../http/static-files.ts';

// From server/routes (run from source) or dist/server/routes (built), the build is in dist/widget.
const BUILD_DIRS = ['../../dist/widget/', '../../widget/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
/** What the bundler names a chunk: chunkFileNames in vite.config.ts, `[name]-[hash].js`. */
const CHUNK_NAME = /^[A-Za-z0-9_-]{1,100}\.js$/;
/** What it names the binary data it emits: assetFileNames in vite.config.ts, `[name]-[hash].bin` (nothing else there is served). */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.bin$/;

/** Reads a built file and compresses it once: it never changes while the process runs. */
async function loadFile(name: string): Promise<StaticFile | null> {
  let body: Buffer | null = null;
  for (const dir of BUILD_DIRS) if ((body = await readFile(dir + name).catch(() => null))) break;
  return body && prepareStaticFile(body);
}

const JAVASCRIPT = 'text/javascript; charset=utf-8';
const javascript = { 'text/javascript': { schema: z.string() } };
const binary = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };

/** Mounted at /widget: loaded by any page that embeds the widget. */
export function widgetRoutes(deps: Deps) {
  const app = createRoutes(deps, PUBLIC);
  // Each file is read once: the build only changes with a new build, which means a new process. A file not built
  // yet is looked for again next time.
  const files = new Map<string, Promise<StaticFile | null>>();
  const load = async (name: string) => {
    let file = files.get(name);
    if (!file) files.set(name, (file = loadFile(name)));
    const found = await file;
    if (!found) files.delete(name);
    return found;
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
    return sendStaticFile(c, found, 'public, max-age=300', JAVASCRIPT);
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
    return sendStaticFile(c, found, 'public, max-age=31536000, immutable', JAVASCRIPT);
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
    return sendStaticFile(c, found, 'public, max-age=31536000, immutable', 'application/octet-stream');
  });
  return app;
}
