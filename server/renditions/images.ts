// What answers, events and webhooks say about a rendition's images: its placeholder, and for each size the URL of
// the default format (`urls`, WebP) and of AVIF (`avif_urls`). AVIF is made on request (media/variants.ts): until it
// exists its URL is the address on this server that makes it (on-request.ts); once it does, the object's own.
import type { Kysely } from 'kysely';
import { contentTypeOf, DEFAULT_FORMAT, onRequestFormats, type MediaKind, type VariantFormat } from '../../media/variants.ts';
import type { Deps } from '../deps.ts';
import type { Database, VariantRow } from '../db/schema.ts';
import { headerWeights } from '../http/header-weights.ts';
import { onRequestUrl, privateVariantUrl, variantUrl } from '../http/urls.ts';
import type { AvatarVariant } from '../images/pipeline.ts';
import { placeholderOfImage } from '../images/placeholder.ts';
import { onRequestKey, visibilityOfKey } from '../storage/index.ts';

/** The sizes' URLs per format that answers carry next to each other. */
export interface RenditionImages {
  placeholder: string | null;
  /** Size → URL of the default format (WebP). */
  urls: Record<string, string>;
  /** Size → AVIF URL, for the sizes made in AVIF (still images of at least 100×100 px). */
  avif_urls: Record<string, string>;
}

/** Only the formats answers name besides the default. */
const EXTRA_FORMATS = { avif: 'avif_urls' } as const satisfies Partial<Record<VariantFormat, keyof RenditionImages>>;

export interface ImageContext {
  kind: MediaKind;
  animated: boolean;
  /** For a private emote: signed URLs valid until then (Unix seconds). Null: public URLs. */
  expiresAt: number | null;
}

type Reader = Kysely<Database>;

/** The placeholder of freshly encoded variants, from the smallest of the default format (a few thousand pixels to decode). */
export async function placeholderOfVariants(variants: ReadonlyArray<Pick<AvatarVariant, 'width' | 'height' | 'data' | 'contentType'>>): Promise<string | null> {
  const smallest = variants.filter((v) => v.contentType === 'image/webp').sort((a, b) => a.width * a.height - b.width * b.height)[0];
  return smallest ? placeholderOfImage(smallest.data) : null;
}

/** The URL of a stored variant: public, or signed until `expiresAt`. */
async function urlOf(deps: Deps, key: string, expiresAt: number | null): Promise<string> {
  // By where the object is, not only the flag: while a change of visibility moves it, a signed URL reads it.
  if (expiresAt === null && visibilityOfKey(key) === 'public') return variantUrl(deps, key);
  return privateVariantUrl(deps, key, expiresAt ?? deps.clock() + deps.config.emoteUrlTtlSeconds);
}

/** The URL of `format` at the size of `base` (a default-format row): the made variant's, else the address that makes it. */
async function extraUrl(deps: Deps, base: VariantRow, made: VariantRow | undefined, format: VariantFormat, expiresAt: number | null): Promise<string> {
  if (made) return urlOf(deps, made.key, expiresAt);
  const visibility = expiresAt === null ? visibilityOfKey(base.key) : 'private';
  return onRequestUrl(deps, onRequestKey(base.rendition_id, base.size, format, visibility), visibility === 'private' ? expiresAt ?? deps.clock() + deps.config.emoteUrlTtlSeconds : null);
}

/** Every size's URLs in every format answers name, from a rendition's variant rows. */
export async function imagesOfRows(deps: Deps, rows: readonly VariantRow[], placeholder: string | null, context: ImageContext): Promise<RenditionImages> {
  const images: RenditionImages = { placeholder, urls: {}, avif_urls: {} };
  const made = new Map(rows.map((row) => [`${row.size}/${row.format}`, row]));
  for (const base of rows.filter((row) => row.format === DEFAULT_FORMAT)) {
    images.urls[base.size] = await urlOf(deps, base.key, context.expiresAt);
    for (const format of onRequestFormats(context.kind, base.width, base.height, context.animated)) {
      const field = EXTRA_FORMATS[format as keyof typeof EXTRA_FORMATS];
      if (field) images[field][base.size] = await extraUrl(deps, base, made.get(`${base.size}/${format}`), format, context.expiresAt);
    }
  }
  return images;
}

/**
 * A rendition's images as answers give them. A rendition made before placeholders existed gets its placeholder here,
 * once, from its smallest variant (`db` must then be deps.db: it is stored outside any transaction).
 */
export async function renditionImages(deps: Deps, db: Reader, renditionId: string, context: ImageContext): Promise<RenditionImages> {
  const rows = await db.selectFrom('variants').selectAll().where('rendition_id', '=', renditionId).execute();
  const rendition = await db.selectFrom('renditions').select('placeholder').where('id', '=', renditionId).executeTakeFirst();
  let placeholder = rendition?.placeholder ?? null;
  if (placeholder === null && rendition && db === deps.db) placeholder = await backfillPlaceholder(deps, renditionId, rows);
  return imagesOfRows(deps, rows, placeholder, context);
}

/**
 * renditionImages for many renditions at once (two queries, however many): rendition id → its images. Ids that are
 * not renditions are left out.
 */
export async function manyRenditionImages(deps: Deps, renditionIds: readonly string[], context: ImageContext): Promise<Map<string, RenditionImages>> {
  const images = new Map<string, RenditionImages>();
  if (renditionIds.length === 0) return images;
  const renditions = await deps.db.selectFrom('renditions').select(['id', 'placeholder']).where('id', 'in', renditionIds).execute();
  const rows = await deps.db.selectFrom('variants').selectAll().where('rendition_id', 'in', renditionIds).execute();
  const rowsOf = new Map<string, VariantRow[]>();
  for (const row of rows) rowsOf.set(row.rendition_id, [...(rowsOf.get(row.rendition_id) ?? []), row]);
  for (const { id, placeholder } of renditions) {
    const own = rowsOf.get(id) ?? [];
    images.set(id, await imagesOfRows(deps, own, placeholder ?? (await backfillPlaceholder(deps, id, own)), context));
  }
  return images;
}

/** Makes and stores the placeholder of a rendition made before them; null when its variants cannot be read. */
async function backfillPlaceholder(deps: Deps, renditionId: string, rows: readonly VariantRow[]): Promise<string | null> {
  const smallest = rows.filter((row) => row.format === DEFAULT_FORMAT).sort((a, b) => a.width * a.height - b.width * b.height)[0];
  const bytes = smallest ? await deps.storage.getBytes(smallest.key) : null;
  if (!bytes) return null;
  const placeholder = await placeholderOfImage(bytes).catch(() => null);
  if (placeholder) await deps.db.updateTable('renditions').set({ placeholder }).where('id', '=', renditionId).where('placeholder', 'is', null).execute();
  return placeholder;
}

/** Whether an Accept header names `contentType` (and does not refuse it with q=0); wildcards do not count. */
const accepts = (accept: string | undefined, contentType: string) => (headerWeights(accept).get(contentType) ?? 0) > 0;

/**
 * The URL of a public variant (a default-format row) in the best format the request's Accept header takes: AVIF
 * where it is made or can be, else the variant's own. The answer varies by Accept.
 */
export async function negotiatedUrl(deps: Deps, base: VariantRow, kind: MediaKind, accept: string | undefined): Promise<string> {
  for (const format of onRequestFormats(kind, base.width, base.height)) {
    if (!(format in EXTRA_FORMATS) || !accepts(accept, contentTypeOf(format))) continue;
    const made = await deps.db.selectFrom('variants').selectAll().where('rendition_id', '=', base.rendition_id).where('size', '=', base.size).where('format', '=', format).executeTakeFirst();
    return extraUrl(deps, base, made, format, null);
  }
  return variantUrl(deps, base.key);
}
