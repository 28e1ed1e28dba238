// Compressed answers: which encoding a request takes, and JSON answers large enough to be worth compressing.
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { matchesEtag } from './etag.ts';
import { headerWeights } from './header-weights.ts';

export type Encoding = 'br' | 'gzip' | 'identity';

/** Compressions we send, best first (browsers send br over HTTPS only). */
const PREFERRED: ReadonlyArray<Exclude<Encoding, 'identity'>> = ['br', 'gzip'];

/**
 * The best encoding an Accept-Encoding header takes (RFC 9110 §12.5.3): the highest weight, br on a tie; `q=0`
 * refuses a coding, `*` stands for those not named. Nothing acceptable, or no header: as it is.
 */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  const weights = headerWeights(acceptEncoding);
  let best: Encoding = 'identity';
  let bestWeight = 0;
  for (const coding of PREFERRED) {
    const weight = weights.get(coding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [coding, weight];
  }
  return best;
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
