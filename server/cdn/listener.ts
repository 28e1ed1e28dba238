// /cdn/: variant bytes for local storage. A plain node:http listener in front of Hono's answers GET, HEAD and
// OPTIONS itself: the objects are immutable (content-addressed keys), so there is nothing for the middleware chain
// to do, and its cost per request was most of the cost of serving a small emote. Every header set is built once
// per object; small objects live in memory with theirs. Other methods fall through to Hono (404 NOT_FOUND).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { z } from '@hono/zod-openapi';
import { ERRORS, statusOf, type ApiErrorCode } from '../../media/errors.ts';
import { IMAGE_FORMATS } from '../../media/formats.ts';
import { contentTypeOf, ON_REQUEST_FORMATS, VARIANT_FORMATS } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import { errorBody } from '../http/errors.ts';
import { matchesEtag } from '../http/etag.ts';
import type { App } from '../http/routes.ts';
import { errors } from '../http/schemas.ts';
import { defaultVariantKey, madeOrStarted } from '../renditions/on-request.ts';
import { formatOfKey, ON_REQUEST_KEY, VARIANT_KEY } from '../storage/index.ts';
import { recordListenerRoute } from '../telemetry/request-log.ts';
import { requestFields, scopeOfRequest } from '../telemetry/request-scope.ts';
import type { VariantAccess } from './access.ts';
import { createTtlCache } from './ttl-cache.ts';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

const PREFIX = '/cdn/';
/** The route of every /cdn/ request in logs and metrics (never the key: it names a user's rendition). */
const CDN_ROUTE = '/cdn/{key}';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Objects up to this size are kept in memory (avatars' small sizes, emotes), up to the total below. */
const SMALL_OBJECT_BYTES = 64 * 1024;
const SMALL_OBJECTS_TOTAL_BYTES = 32 * 1024 * 1024;
/**
 * Keys are content-addressed, so a cached object never goes stale; whether it may still be served is the access
 * check's decision on every request. The TTL only bounds how long the bytes of a deleted object stay in memory.
 */
const SMALL_OBJECT_TTL_MS = 60_000;
/** What an entry costs beyond its bytes (key, header arrays). */
const ENTRY_OVERHEAD_BYTES = 512;
/** A verified (key, expires, signature) stays verified: the HMAC is deterministic. The memo saves it per request. */
const VERIFIED_URLS = 10_000;
const VERIFIED_URL_TTL_MS = 10 * 60_000;

/** Flat [name, value, name, value, …], as res.writeHead takes it without building a header object. */
type HeaderList = string[];

/** Where the Cache-Control value sits in every list below, so a private answer swaps in its own. */
const CACHE_CONTROL_AT = 5;

/** The headers of 200 and 304 answers alike (Hono's order: lower case, sorted); 304s carry no content type. */
function commonHeaders(etag: string, contentType: string | null): HeaderList {
  return [
    'access-control-allow-origin', '*',
    'access-control-expose-headers', 'ETag',
    'cache-control', IMMUTABLE,
    'content-security-policy', "default-src 'none'; sandbox",
    ...(contentType ? ['content-type', contentType] : []),
    'etag', etag,
    'x-content-type-options', 'nosniff',
  ];
}

const okHeaders = (variant: Variant, size: number): HeaderList => [...commonHeaders(variant.etag, variant.contentType), 'content-length', String(size)];

/** The same headers with a private emote's Cache-Control (its signed URL's remaining lifetime). */
function withCacheControl(headers: HeaderList, cacheControl: string | null): HeaderList {
  if (cacheControl === null) return headers;
  const copy = headers.slice();
  copy[CACHE_CONTROL_AT] = cacheControl;
  return copy;
}

/** Browsers preflight a conditional GET (If-None-Match). */
const PREFLIGHT: HeaderList = [
  'access-control-allow-headers', 'If-None-Match',
  'access-control-allow-methods', 'GET, HEAD',
  'access-control-allow-origin', '*',
  'access-control-max-age', '600',
];

/** An error answer in the one error shape, built once ({"error":{"code","message"}}, as app.onError renders it). */
function errorAnswer(code: ApiErrorCode, message: string = ERRORS[code].message) {
  const body = Buffer.from(JSON.stringify(errorBody(code, message)));
  return { status: statusOf(code), body, headers: ['Content-Type', 'application/json', 'Content-Length', String(body.byteLength)] };
}
type ErrorAnswer = ReturnType<typeof errorAnswer>;

const NOT_FOUND = errorAnswer('NOT_FOUND', 'Object not found');
/** A stand-in served while the asked-for format is being made: asked for again next time, by browsers and CDNs alike. */
const NOT_MADE_YET = 'no-store';
const URL_INVALID = errorAnswer('URL_INVALID');
const URL_EXPIRED = errorAnswer('URL_EXPIRED');
const INTERNAL = errorAnswer('INTERNAL');

function decodeQueryPart(raw: string): string {
  if (!/[%+]/.test(raw)) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The first value of `name` in a query string ('' when it has no '='), decoded as URLSearchParams would. */
function queryParam(query: string, name: string): string | undefined {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (decodeQueryPart(eq === -1 ? part : part.slice(0, eq)) === name) return eq === -1 ? '' : decodeQueryPart(part.slice(eq + 1));
  }
  return undefined;
}

/** An object we have seen and may serve: its ETag, its 304 headers and, when small, its bytes with their headers. */
interface Variant {
  etag: string;
  /** Its format's, from the catalogue (media/variants.ts), by the key's extension. */
  contentType: string;
  notModified: HeaderList;
  small: { bytes: Buffer; ok: HeaderList } | null;
}

/** A key that passed VARIANT_KEY: its ETag is the content hash in it, its content type its extension's. */
function newVariant(key: string): Variant {
  const etag = `"${VARIANT_KEY.exec(key)?.[2] ?? ''}"`;
  return { etag, contentType: contentTypeOf(formatOfKey(key)!), notModified: commonHeaders(etag, null), small: null };
}

type Access = VariantAccess;

/**
 * The request listener for the whole server: /cdn/ GET, HEAD and OPTIONS are answered here, everything else goes
 * to `next` (Hono's listener). The caches live in this closure, so two servers in one process share nothing.
 */
export function createCdnListener(deps: Deps, next: RequestListener): RequestListener {
  const variants = createTtlCache<Variant>(SMALL_OBJECT_TTL_MS, SMALL_OBJECTS_TOTAL_BYTES);
  const verifiedUrls = createTtlCache<number>(VERIFIED_URL_TTL_MS, VERIFIED_URLS);

  function send(res: ServerResponse, status: number, headers: HeaderList, body?: Buffer) {
    res.writeHead(status, headers);
    res.end(body);
  }

  const sendError = (req: IncomingMessage, res: ServerResponse, answer: ErrorAnswer) =>
    send(res, answer.status, answer.headers, req.method === 'HEAD' ? undefined : answer.body);

  /** As app.onError does for an unknown error: logged with its stack, answered as 500 INTERNAL. */
  function fail(req: IncomingMessage, res: ServerResponse, err: unknown) {
    const path = (req.url ?? '').split('?')[0];
    deps.log.error({ err, ...requestFields(scopeOfRequest(req)) }, `error: ${req.method} ${path}`);
    if (res.headersSent) res.destroy();
    else sendError(req, res, INTERNAL);
  }

  /** The expiry of a correctly signed URL for `key`, or null. */
  function signedExpiry(key: string, query: string): number | null {
    const memo = `${key}?${query}`;
    const known = verifiedUrls.get(memo);
    if (known !== undefined) return known;
    const expiresAt = Number(queryParam(query, 'expires') ?? NaN);
    if (!deps.readSigner.verify(key, expiresAt, queryParam(query, 'signature') ?? '')) return null;
    verifiedUrls.set(memo, expiresAt);
    return expiresAt;
  }

  function remember(key: string, variant: Variant) {
    variants.set(key, variant, ENTRY_OVERHEAD_BYTES + (variant.small?.bytes.byteLength ?? 0));
    return variant;
  }

  /** Not in memory: from storage; small objects stay in memory with their headers. */
  async function serveFromStorage(req: IncomingMessage, res: ServerResponse, key: string, variant: Variant, cacheControl: string | null) {
    const object = await deps.storage.get(key);
    if (!object) return sendError(req, res, NOT_FOUND);
    if (object.size <= SMALL_OBJECT_BYTES) {
      const bytes = await buffer(object.body);
      const small = { bytes, ok: okHeaders(variant, bytes.byteLength) };
      remember(key, { ...variant, small });
      return send(res, 200, withCacheControl(small.ok, cacheControl), req.method === 'HEAD' ? undefined : bytes);
    }
    res.writeHead(200, withCacheControl(okHeaders(variant, object.size), cacheControl));
    if (req.method === 'HEAD') {
      object.body.destroy();
      res.end();
      return;
    }
    pipeline(object.body, res, (err) => {
      // A client that goes away mid-body is not an error of ours; a storage read failing is.
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') deps.log.error({ err }, `error: GET ${PREFIX}${key}`);
    });
  }

  /** answer(), a throw becoming the 500 answer. */
  function answerOrFail(req: IncomingMessage, res: ServerResponse, key: string, query: string, access: Access, seen: Variant | undefined) {
    try {
      answer(req, res, key, query, access, seen);
    } catch (err) {
      fail(req, res, err);
    }
  }

  /**
   * Whether the object may be read with this URL: avatar variants are public; an emote's only while it is, else with
   * a URL signed for `signedKey` (the key, or the on-request address it was handed out as). Returns the answer's
   * Cache-Control (null: the immutable, public one) or the error to send.
   */
  function authorize(signedKey: string, query: string, access: Access): { cacheControl: string | null } | ErrorAnswer {
    const emote = access?.emote;
    if (!access || (emote && emote.deleted_at !== null)) return NOT_FOUND;
    if (!emote || emote.public) return { cacheControl: null };
    const expiresAt = signedExpiry(signedKey, query);
    if (expiresAt === null) return URL_INVALID;
    const remaining = expiresAt - deps.clock();
    if (remaining <= 0) return URL_EXPIRED;
    return { cacheControl: `private, max-age=${remaining}` };
  }

  function answer(req: IncomingMessage, res: ServerResponse, key: string, query: string, access: Access, seen: Variant | undefined) {
    const allowed = authorize(key, query, access);
    if ('status' in allowed) return sendError(req, res, allowed);
    serve(req, res, key, seen, allowed.cacheControl);
  }

  function serve(req: IncomingMessage, res: ServerResponse, key: string, seen: Variant | undefined, cacheControl: string | null) {
    const variant = seen ?? remember(key, newVariant(key));
    if (matchesEtag(req.headers['if-none-match'], variant.etag)) return send(res, 304, withCacheControl(variant.notModified, cacheControl));
    if (variant.small) return send(res, 200, withCacheControl(variant.small.ok, cacheControl), req.method === 'HEAD' ? undefined : variant.small.bytes);
    serveFromStorage(req, res, key, variant, cacheControl).catch((err: unknown) => fail(req, res, err));
  }

  /**
   * The address of a variant made on request (storage/index.ts ON_REQUEST_KEY): the variant once made; until then
   * the same size in the default format, not to be cached (the next request gets the made one), while it is made.
   * Access is checked before anything is made.
   */
  async function answerOnRequest(req: IncomingMessage, res: ServerResponse, address: string, query: string, match: RegExpExecArray) {
    const [, , renditionId, size, extension] = match as unknown as [string, string, string, string, string];
    const format = ON_REQUEST_FORMATS.find((candidate) => IMAGE_FORMATS[candidate].extension === extension);
    const fallback = format && (await defaultVariantKey(deps, renditionId, size));
    if (!format || !fallback) return sendError(req, res, NOT_FOUND);
    const allowed = authorize(address, query, deps.variantAccess.cached(fallback)?.access ?? (await deps.variantAccess.lookup(fallback)));
    if ('status' in allowed) return sendError(req, res, allowed);
    const made = await madeOrStarted(deps, renditionId, size, format);
    if (made) return serve(req, res, made.key, variants.get(made.key), allowed.cacheControl);
    serve(req, res, fallback, variants.get(fallback), NOT_MADE_YET);
  }

  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return next(req, res);
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return next(req, res);
    recordListenerRoute(req, CDN_ROUTE);
    if (method === 'OPTIONS') return send(res, 204, PREFLIGHT);
    const queryAt = url.indexOf('?');
    const key = queryAt === -1 ? url.slice(PREFIX.length) : url.slice(PREFIX.length, queryAt);
    const query = queryAt === -1 ? '' : url.slice(queryAt + 1);
    // Only variant keys are served (private ones with a signature). The pattern admits no '%', '.' outside the
    // extension or '/' beyond its own, so encoded or dotted paths never reach storage; a key seen before was checked then.
    const seen = variants.get(key);
    if (!seen && !VARIANT_KEY.test(key)) {
      const onRequest = ON_REQUEST_KEY.exec(key);
      if (!onRequest) return sendError(req, res, NOT_FOUND);
      answerOnRequest(req, res, key, query, onRequest).catch((err: unknown) => fail(req, res, err));
      return;
    }
    // The access check (whose answers are cached and forgotten whenever an emote's visibility changes or the
    // garbage sweep deletes objects) decides on every request, so bytes in memory never outlive their right to be served.
    // A cached answer is used at once: no promise to wait for on the hot path.
    const cached = deps.variantAccess.cached(key);
    if (cached) return answerOrFail(req, res, key, query, cached.access, seen);
    deps.variantAccess.lookup(key).then(
      (access) => answerOrFail(req, res, key, query, access, seen),
      (err: unknown) => fail(req, res, err),
    );
  };
}

/** /cdn/ is not a Hono route (see createCdnListener), but /openapi.json documents it like one. */
export function documentCdnRoute(app: App) {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/cdn/{key}',
    tags: ['Operations'],
    summary: 'Variant bytes (content-addressed keys, immutable)',
    request: { params: z.object({ key: z.string().openapi({ param: { name: 'key', in: 'path' }, example: 'variants/r_xCeJh4E2-0qVDxzx/256-66236ec8cf564fc09dc108029c1a9f25.webp' }) }) },
    responses: {
      200: { description: 'The image', content: Object.fromEntries(VARIANT_FORMATS.map((format) => [contentTypeOf(format), { schema: z.string().openapi({ format: 'binary' }) }])) },
      304: { description: 'Not modified' },
      ...errors('NOT_FOUND', 'URL_INVALID', 'URL_EXPIRED'),
    },
  });
}
