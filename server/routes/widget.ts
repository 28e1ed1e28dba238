// GET /widget/avatar-editor.js: the whole widget as one ES module (built by `npm run build` into dist/widget).
import { z } from '@hono/zod-openapi';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { matchesEtag } from '../etag.ts';
import { ApiError } from '../errors.ts';
import type { App } from './env.ts';

// From server/routes (run from source) or dist/server/routes (built), the bundle is in dist/widget.
const CANDIDATES = ['../../dist/widget/avatar-editor.js', '../../widget/avatar-editor.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

type Encoding = 'br' | 'gzip' | 'identity';

interface Bundle {
  hash: string;
  bodies: Record<Encoding, Buffer>;
}

/** Reads the bundle and compresses it once: it is served often and never changes while the process runs. */
async function loadBundle(): Promise<Bundle | null> {
  for (const path of CANDIDATES) {
    const body = await readFile(path).catch(() => null);
    if (!body) continue;
    return {
      hash: createHash('sha256').update(body).digest('hex').slice(0, 32),
      bodies: {
        br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        gzip: gzipSync(body, { level: 9 }),
        identity: body,
      },
    };
  }
  return null;
}

function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return 'identity';
}

export function widgetRoutes(app: App) {
  // Read once: the file only changes with a new build, which means a new process.
  let bundle: Promise<Bundle | null> | null = null;

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/widget/avatar-editor.js',
    tags: ['Widget'],
    summary: 'The <avatar-editor> widget as one ES module (worker and styles inlined)',
    responses: { 200: { description: 'JavaScript module', content: { 'text/javascript': { schema: z.string() } } }, 304: { description: 'Not modified' } },
  });
  app.get('/widget/avatar-editor.js', async (c) => {
    const found = await (bundle ??= loadBundle());
    if (!found) {
      bundle = null; // maybe built later
      throw new ApiError(404, 'NOT_FOUND', 'The widget is not built; run `npm run build`');
    }
    const encoding = pickEncoding(c.req.header('accept-encoding'));
    const etag = `"${found.hash}-${encoding}"`;
    c.header('Cache-Control', 'public, max-age=300');
    c.header('ETag', etag);
    c.header('Vary', 'Accept-Encoding');
    c.header('X-Content-Type-Options', 'nosniff');
    if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    if (encoding !== 'identity') c.header('Content-Encoding', encoding);
    return c.body(new Uint8Array(found.bodies[encoding]), 200);
  });
}
