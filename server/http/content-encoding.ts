// Compressed answers: which encoding a request takes, and JSON answers large enough to be worth compressing.
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { matchesEtag } from './etag.ts';

export type Encoding = 'br' | 'gzip' | 'identity';

/** The best encoding an Accept-Encoding header takes (browsers send br over HTTPS only). */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return 'identity';
}

/** Smaller bodies are sent as they are: compressing them saves less than its headers cost. */
const MIN_COMPRESSED_BYTES = 1024;
/**
 * Brotli quality 5 and gzip level 6: for answers made per request, a few milliseconds at most for 100 kB (quality 11
 * would take ~30× longer for ~10% fewer bytes).
 */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

function encode(body: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'br') return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  if (encoding === 'gzip') return gzipSync(body, { level: GZIP_LEVEL });
  return body;
}

/**
 * A 200 JSON answer, compressed as the request accepts, with an ETag of its content (so a cache revalidating it gets a
 * 304 while nothing changed) and the Cache-Control given.
 */
export function cacheableJson(c: Context, value: unknown, cacheControl: string): Response {
  const body = Buffer.from(JSON.stringify(value));
  const encoding = body.length < MIN_COMPRESSED_BYTES ? 'identity' : pickEncoding(c.req.header('accept-encoding'));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}${encoding === 'identity' ? '' : `-${encoding}`}"`;
  c.header('Cache-Control', cacheControl);
  c.header('ETag', etag);
  c.header('Vary', 'Accept-Encoding', { append: true });
  if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304);
  c.header('Content-Type', 'application/json');
  if (encoding !== 'identity') c.header('Content-Encoding', encoding);
  return c.body(new Uint8Array(encode(body, encoding)), 200);
}
