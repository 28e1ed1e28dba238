// Files that never change while the process runs (the widget's build, the API docs' assets): hashed and compressed
// once, then answered in the encoding the client accepts, with an ETag for conditional GETs.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context } from 'hono';
import { pickEncoding, type Encoding } from './content-encoding.ts';
import { matchesEtag } from './etag.ts';

export interface StaticFile {
  /** sha256 of the bytes, hex, 32 digits. */
  hash: string;
  bodies: Record<Encoding, Buffer>;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Hashes and compresses `body` in libuv's thread pool, so a large file does not stall the requests meanwhile. */
export async function prepareStaticFile(body: Buffer, brotliQuality = constants.BROTLI_MAX_QUALITY): Promise<StaticFile> {
  const [br, gzipped] = await Promise.all([
    brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    gzipAsync(body, { level: 9 }),
  ]);
  return { hash: hashOf(body), bodies: { br, gzip: gzipped, identity: body } };
}

/** The 32-hex-digit sha256 of `body` (what a StaticFile's ETag and a hashed name are made of). */
export const hashOf = (body: Buffer | string) => createHash('sha256').update(body).digest('hex').slice(0, 32);

/** Answers with `file` (or 304 to a matching If-None-Match). */
export function sendStaticFile(c: Context, file: StaticFile, cacheControl: string, contentType: string): Response {
  const encoding = pickEncoding(c.req.header('accept-encoding'));
  const etag = `"${file.hash}-${encoding}"`;
  c.header('Cache-Control', cacheControl);
  c.header('ETag', etag);
  c.header('Vary', 'Accept-Encoding');
  c.header('X-Content-Type-Options', 'nosniff');
  if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
  c.header('Content-Type', contentType);
  if (encoding !== 'identity') c.header('Content-Encoding', encoding);
  return c.body(new Uint8Array(file.bodies[encoding]), 200);
}
