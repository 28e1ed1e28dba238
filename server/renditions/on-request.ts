// Variants made the first time someone asks for them, then stored (media/variants.ts `made: 'request'`: AVIF). The
// render job never waits for them, so upload throughput and complete → ready are what they were without AVIF.
//
// Each is made from a stored WebP variant of the same rendition, not from the original (which may be gone by then,
// and costs a full decode): the smallest at least 4× as wide, whose compression artefacts the downscale averages
// away (measured: SSIM within 0.002 of making it from the original's pixels), else the largest. The WebP is
// decoded in full before resizing: sharp would otherwise shrink it while decoding, with libwebp's coarser filter.
import sharp from 'sharp';
import { DEFAULT_FORMAT, encoderSettings, onRequestFormats, contentTypeOf, type MediaKind, type VariantFormat } from '../../media/variants.ts';
import type { VariantRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { placeEmoteVariants } from '../emotes/objects.ts';
import { createLimiter, type Limiter } from '../images/limiter.ts';
import { visibilityOfKey } from '../storage/index.ts';
import { storeVariant } from './service.ts';

/** A source this much wider than the target hides its own compression in the downscale. */
export const SOURCE_FACTOR = 4;

/**
 * Encodes made on request at once per process. One: an AVIF encode already spreads over the cores (libaom's
 * threads), and what uploads need must not wait behind a page full of first views.
 */
const AT_ONCE = 1;

interface Maker {
  limit: Limiter;
  /** rendition/size/format → the make under way (one per process, however many ask). */
  inFlight: Map<string, Promise<VariantRow | null>>;
}

const makers = new WeakMap<Deps, Maker>();

function makerOf(deps: Deps): Maker {
  let maker = makers.get(deps);
  if (!maker) makers.set(deps, (maker = { limit: createLimiter(AT_ONCE), inFlight: new Map() }));
  return maker;
}

/** What the rendition is: an avatar (a photo or a cartoon) or an emote, still or animated. */
async function kindOf(deps: Deps, renditionId: string): Promise<{ kind: MediaKind; animated: boolean; fileId: string | null } | null> {
  const row = await deps.db
    .selectFrom('renditions')
    .leftJoin('files', 'files.id', 'renditions.file_id')
    .leftJoin('emotes', 'emotes.file_id', 'renditions.file_id')
    .select(['renditions.state', 'renditions.file_id', 'files.upload_type', 'emotes.animated'])
    .where('renditions.id', '=', renditionId)
    .executeTakeFirst();
  if (!row || row.state !== 'ready') return null;
  return { kind: row.upload_type === 'emote' ? 'emote' : 'avatar', animated: Boolean(row.animated), fileId: row.file_id };
}

/** The stored WebP to make `target` from (see the top of this file). */
function sourceFor(rows: readonly VariantRow[], target: VariantRow): VariantRow {
  const webp = rows.filter((row) => row.format === DEFAULT_FORMAT).sort((a, b) => a.width - b.width);
  return webp.find((row) => row.width >= SOURCE_FACTOR * target.width && row.height >= SOURCE_FACTOR * target.height) ?? webp.at(-1)!;
}

/** A `kind` image in `format` at width × height, from the encoded `source` (decoded in full first: see the top). */
export async function encodeFrom(source: Buffer, kind: MediaKind, format: VariantFormat, width: number, height: number, timeoutSeconds: number): Promise<Buffer> {
  const timeout = { seconds: timeoutSeconds };
  const { data, info } = await sharp(source, { pages: 1 }).timeout(timeout).raw().toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .timeout(timeout)
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .toFormat(format, encoderSettings(kind, format, width * height))
    .toBuffer();
}

/** Makes and stores one variant; null when the rendition has no such size, is not (or no longer) served, or is not made in `format`. */
async function make(deps: Deps, renditionId: string, size: string, format: VariantFormat): Promise<VariantRow | null> {
  const what = await kindOf(deps, renditionId);
  if (!what) return null;
  const rows = await deps.db.selectFrom('variants').selectAll().where('rendition_id', '=', renditionId).execute();
  const made = rows.find((row) => row.size === size && row.format === format);
  if (made) return made;
  const target = rows.find((row) => row.size === size && row.format === DEFAULT_FORMAT);
  if (!target || !onRequestFormats(what.kind, target.width, target.height, what.animated).includes(format)) return null;
  const source = sourceFor(rows, target);
  const bytes = await deps.storage.getBytes(source.key);
  if (!bytes) return null; // swept meanwhile
  const data = await encodeFrom(bytes, what.kind, format, target.width, target.height, deps.config.processingTimeoutSeconds);
  const row = await storeVariant(deps, renditionId, { size, width: target.width, height: target.height, data, contentType: contentTypeOf(format) }, visibilityOfKey(target.key));
  // Another process may have made it meanwhile, or the rendition gone (its rows with it): then this copy goes.
  const inserted = await deps.db
    .insertInto('variants')
    .values(row)
    .onConflict((oc) => oc.columns(['rendition_id', 'size', 'format']).doNothing())
    .executeTakeFirst()
    .then((result) => (result.numInsertedOrUpdatedRows ?? 0n) > 0n, () => false);
  const stored = await deps.db.selectFrom('variants').selectAll().where('rendition_id', '=', renditionId).where('size', '=', size).where('format', '=', format).executeTakeFirst();
  if (!inserted && stored?.key !== row.key) await deps.storage.delete(row.key);
  // An emote's visibility may have changed while this was made: the new object follows it like the others.
  if (inserted && what.kind === 'emote' && what.fileId && (await placeEmoteVariants(deps, what.fileId))) deps.variantAccess.forget();
  return stored ?? null;
}

/** The key of a rendition's variant at `size` in the default format (what an on-request address stands in with). */
export async function defaultVariantKey(deps: Deps, renditionId: string, size: string): Promise<string | undefined> {
  const row = await deps.db.selectFrom('variants').select('key').where('rendition_id', '=', renditionId).where('size', '=', size).where('format', '=', DEFAULT_FORMAT).executeTakeFirst();
  return row?.key;
}

/**
 * The variant of `renditionId` at `size` in `format` if it is made; otherwise starts making it (once per process,
 * however many ask, one encode at a time) and returns null at once: the asker serves the default format meanwhile.
 */
export async function madeOrStarted(deps: Deps, renditionId: string, size: string, format: VariantFormat): Promise<VariantRow | null> {
  const stored = await deps.db.selectFrom('variants').selectAll().where('rendition_id', '=', renditionId).where('size', '=', size).where('format', '=', format).executeTakeFirst();
  if (stored) return stored;
  void madeOnRequest(deps, renditionId, size, format).catch((error: unknown) =>
    deps.log.error({ err: error, rendition_id: renditionId }, `making ${format} of ${renditionId}/${size} failed`),
  );
  return null;
}

/** Makes the variant (or joins the make under way in this process) and resolves with its row, or null (see make). */
export function madeOnRequest(deps: Deps, renditionId: string, size: string, format: VariantFormat): Promise<VariantRow | null> {
  const maker = makerOf(deps);
  const id = `${renditionId}/${size}/${format}`;
  let pending = maker.inFlight.get(id);
  if (!pending) {
    pending = maker.limit(() => make(deps, renditionId, size, format)).finally(() => maker.inFlight.delete(id));
    maker.inFlight.set(id, pending);
  }
  return pending;
}

/** Resolves once nothing is being made on request in this process (tests and benchmarks wait on it). */
export async function onRequestSettled(deps: Deps): Promise<void> {
  const maker = makers.get(deps);
  while (maker && maker.inFlight.size > 0) await Promise.allSettled([...maker.inFlight.values()]);
}
