// The render job: original → probe → variants → stored objects → one transaction that makes them visible.
import type { ProcessingErrorCode } from '../../media/errors.ts';
import { promoteIfRequested, scheduleGarbage, scheduleObjectDeletion } from '../avatars/avatar-state.ts';
import type { FileRow, JobRow, RenditionRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { visibilityOfFile, placeEmoteVariants } from '../emotes/objects.ts';
import { releaseFailedShortcode } from '../emotes/service.ts';
import { defaultCropOf } from '../images/default-crop.ts';
import { renderEmoteVariants } from '../images/emote-pipeline.ts';
import { ImageError, probeImage, renderAvatarVariants, type PipelineLimits } from '../images/pipeline.ts';
import { objectKeys, StorageError } from '../storage/index.ts';
import { cropColumns, storedCrop } from '../uploads/files.ts';
import { avatarFailed, avatarReady, emoteFailed, emoteReady } from '../webhooks/events.ts';
import { keptOriginal } from '../images/originals.ts';
import { sniffImageFormat } from '../images/sniff.ts';
import { lockUser } from '../people/user-lock.ts';
import { AttemptTimedOut, type JobHandler } from '../work/job-queue.ts';
import { placeholderOfVariants } from './images.ts';
import { deleteRenditionObjects, variantWriter } from './service.ts';

export function pipelineLimits(deps: Deps): PipelineLimits {
  const { maxPixels, maxFrames, processingTimeoutSeconds } = deps.config;
  return { maxPixels, maxFrames, timeoutSeconds: processingTimeoutSeconds };
}

async function load(deps: Deps, renditionId: string): Promise<{ rendition: RenditionRow; file: FileRow } | null> {
  const rendition = await deps.db.selectFrom('renditions').selectAll().where('id', '=', renditionId).executeTakeFirst();
  if (!rendition || rendition.state !== 'processing') return null;
  if (rendition.file_id === null) return null; // cartoons are drawn in their request, never by a job
  const file = await deps.db.selectFrom('files').selectAll().where('id', '=', rendition.file_id).executeTakeFirstOrThrow();
  return { rendition, file };
}

/**
 * Marks a rendition failed; the file fails with it only if this was its first rendition (not a recrop).
 * Either way the owner's backend hears of it (avatar.failed / emote.failed). Only the database is touched: the
 * outcome is recorded whatever the storage does, and what the attempts wrote is left to the sweep.
 */
async function fail(deps: Deps, rendition: RenditionRow, code: ProcessingErrorCode, message: string) {
  const now = deps.clock();
  const failedFile = await deps.db.transaction().execute(async (trx) => {
    if (rendition.owner_id !== null) await lockUser(trx, rendition.owner_id);
    const marked = await trx.updateTable('renditions').set({ state: 'failed' }).where('id', '=', rendition.id).where('state', '=', 'processing').executeTakeFirst();
    if (marked.numUpdatedRows > 0n) await scheduleGarbage(trx, deps, rendition.id, now);
    const file = rendition.file_id === null ? undefined : await trx.selectFrom('files').select(['owner_id', 'upload_type']).where('id', '=', rendition.file_id).executeTakeFirst();
    if (marked.numUpdatedRows > 0n && file && rendition.file_id !== null) {
      if (file.upload_type === 'emote') await emoteFailed(trx, deps, rendition.file_id, { code, message });
      else await avatarFailed(trx, deps, file.owner_id, rendition.file_id, { code, message });
    }
    const fileFailed = await trx
      .updateTable('files')
      .set({ state: 'failed', error_code: code, error_message: message, updated_at: now })
      .where('id', '=', rendition.file_id)
      .where('state', '=', 'processing')
      .executeTakeFirst();
    // A file that never became an image keeps its error for GET /v1/files, but not its bytes; its emote keeps its
    // error too, but no longer its shortcode (and no longer counts against the quota: emotes.ts usage()).
    if (fileFailed.numUpdatedRows > 0n && rendition.file_id !== null) {
      await scheduleObjectDeletion(trx, deps, objectKeys.original(rendition.file_id), now);
      if (file?.upload_type === 'emote') await releaseFailedShortcode(trx, rendition.file_id);
    }
    await trx.updateTable('users').set({ requested_rendition_id: null }).where('requested_rendition_id', '=', rendition.id).execute();
    return fileFailed.numUpdatedRows > 0n;
  });
  if (rendition.file_id !== null && failedFile) await deps.fileSettled.announce(rendition.file_id);
  deps.webhooks.kick();
}

/** Renders and settles the rendition; false when its rows were deleted meanwhile (what it wrote is deleted too). */
async function render(deps: Deps, rendition: RenditionRow, file: FileRow, signal: AbortSignal): Promise<boolean> {
  const limits = pipelineLimits(deps);
  const uploaded = await deps.storage.getBytes(objectKeys.original(file.id));
  signal.throwIfAborted();
  if (!uploaded) {
    if (file.original_deleted_at !== null) throw new ImageError('IMAGE_INVALID', 'The original of this photo was deleted (AVATAR_ORIGINALS_RETENTION_DAYS)');
    throw new ImageError('IMAGE_INVALID', 'The uploaded bytes are missing');
  }
  // What is kept is only what recrop needs (originals.ts), written before anything else, so neither a polyglot
  // (issue 13) nor personal metadata stays at rest whatever the probe decides: the image without anything appended
  // after its end and without its metadata. The probe still sees everything that was uploaded.
  const sniffed = sniffImageFormat(uploaded);
  const original = sniffed ? keptOriginal(uploaded, sniffed) : uploaded;
  if (original !== uploaded) await deps.storage.put(objectKeys.original(file.id), original);
  const probe = await probeImage(uploaded, file.content_type, limits);
  if (file.width === null) {
    await deps.db.updateTable('files').set({ width: probe.width, height: probe.height, updated_at: deps.clock() }).where('id', '=', file.id).execute();
  }
  // Objects first, rows after: a crash in between leaves objects under this rendition's prefixes only, which the
  // re-run clears or writes over. Each is stored as soon as it is encoded, while smaller sizes still are.
  const writer = variantWriter(deps, rendition.id, await visibilityOfFile(deps, file));
  // An avatar uploaded without a crop gets the default one (issue 21); the rendition records it and why.
  const requested = storedCrop(rendition);
  const chosen = file.upload_type === 'emote' || requested ? null : await defaultCropOf(original, probe, deps.config.defaultCrop, limits, deps.faceDetection);
  // Avatars are square crops; emotes keep their aspect ratio and their animation.
  let animated = false;
  let placeholder: string | null;
  try {
    if (file.upload_type === 'emote') {
      const emote = await renderEmoteVariants(original, probe, storedCrop(rendition), limits);
      animated = emote.animated;
      emote.variants.forEach(writer.store);
      placeholder = await placeholderOfVariants(emote.variants);
    } else {
      placeholder = await placeholderOfVariants(await renderAvatarVariants(original, probe, chosen?.crop ?? requested, deps.config.avatarSizes, limits, writer.store));
    }
  } catch (error) {
    await writer.close().catch(() => {}); // nothing is still being written when the failure path clears the prefixes
    throw error;
  }
  const rows = await writer.close();
  // Past its deadline the attempt has failed (and may be running again, or given up): it makes nothing visible.
  signal.throwIfAborted();

  const now = deps.clock();
  const settledHere = await deps.db.transaction().execute(async (trx) => {
    await lockUser(trx, file.owner_id);
    const applied = chosen ? { ...cropColumns(chosen.crop), crop_source: chosen.source } : {};
    const settled = await trx.updateTable('renditions').set({ state: 'ready', placeholder, ...applied }).where('id', '=', rendition.id).where('state', '=', 'processing').executeTakeFirst();
    if (settled.numUpdatedRows === 0n) {
      // Deleted while it was rendered (its user was erased): what this attempt wrote must not stay.
      if (!(await trx.selectFrom('renditions').select('id').where('id', '=', rendition.id).executeTakeFirst())) return false;
      throw new Error(`rendition ${rendition.id} was settled by another attempt meanwhile`);
    }
    await trx.insertInto('variants').values(rows).execute();
    // The newest rendition of a file is its current one; the other goes after the grace period.
    // Re-read inside the transaction: another recrop of this file may have finished while this one ran.
    const current = await trx
      .selectFrom('files')
      .leftJoin('renditions', 'renditions.id', 'files.rendition_id')
      .select(['files.rendition_id', 'files.deleted_at', 'renditions.seq'])
      .where('files.id', '=', file.id)
      .executeTakeFirstOrThrow();
    const isNewest = current.rendition_id === null || (current.seq ?? 0) < rendition.seq;
    if (current.rendition_id && current.rendition_id !== rendition.id) {
      await scheduleGarbage(trx, deps, isNewest ? current.rendition_id : rendition.id, now);
    }
    // Deleted by its owner while it was rendered: the file's renditions are garbage already; this one joins them.
    if (current.deleted_at !== null) {
      await scheduleGarbage(trx, deps, rendition.id, now);
      return true;
    }
    await trx
      .updateTable('files')
      .set({ state: 'ready', ...(isNewest ? { rendition_id: rendition.id } : {}), width: probe.width, height: probe.height, error_code: null, error_message: null, updated_at: now })
      .where('id', '=', file.id)
      .execute();
    if (file.upload_type === 'emote') {
      await trx.updateTable('emotes').set({ animated: animated ? 1 : 0, updated_at: now }).where('file_id', '=', file.id).execute();
      await emoteReady(trx, deps, file.id, rendition.id);
    } else {
      await promoteIfRequested(trx, deps, file.owner_id, rendition.id, now);
      // An older recrop finishing after a newer one is garbage already: nobody needs to hear of it.
      if (isNewest || (await trx.selectFrom('users').select('id').where('avatar_rendition_id', '=', rendition.id).executeTakeFirst())) {
        await avatarReady(trx, deps, file.owner_id, rendition.id, file.id);
      }
    }
    return true;
  });
  if (!settledHere) {
    await deleteRenditionObjects(deps, rendition.id);
    return false;
  }
  await deps.fileSettled.announce(file.id);
  // The emote's visibility may have changed while it was rendered: its objects follow.
  if (file.upload_type === 'emote' && (await placeEmoteVariants(deps, file.id))) deps.variantAccess.forget();
  deps.webhooks.kick();
  return true;
}

/** What the file says when every attempt failed for a reason other than the image (which fails it at once). */
function givenUpWith(error: unknown): { code: ProcessingErrorCode; message: string } {
  if (error instanceof StorageError) return { code: 'STORAGE_UNAVAILABLE', message: 'The image storage could not be used; upload the image again later' };
  if (error instanceof AttemptTimedOut) return { code: 'IMAGE_INVALID', message: 'Processing timed out' };
  return { code: 'IMAGE_INVALID', message: 'The image could not be processed' };
}

/** The job's outcome line (and metrics sample): `started` is null when it was given up without a run to time. */
function finished(deps: Deps, job: JobRow, fileId: string, started: number | null, outcome: 'ready' | 'failed', code?: string) {
  const seconds = started === null ? null : (performance.now() - started) / 1000;
  deps.metrics.jobFinished(outcome, seconds);
  const fields = { job_id: job.id, file_id: fileId, attempt: job.attempts, outcome, ...(code ? { error_code: code } : {}), ...(seconds === null ? {} : { duration_ms: Math.round(seconds * 1000) }) };
  deps.log.info(fields, `job finished ${job.id} ${fileId} ${outcome}${code ? ` ${code}` : ''}`);
}

export function createRenderJobHandler(deps: Deps): JobHandler {
  return {
    async run(job: JobRow, signal: AbortSignal) {
      const loaded = await load(deps, job.rendition_id);
      if (!loaded) return;
      const { rendition, file } = loaded;
      const started = performance.now();
      deps.log.debug(`job started ${job.id} ${file.id}`);
      // A run cut off before (a crash, a lost lease) may have left objects under this rendition's prefixes. Clearing
      // them is tidiness, not a condition: a storage that refuses it (no s3:ListBucket) must not stop the re-run.
      // Variant keys are content-addressed, so the re-run writes over what it writes again; anything else goes with
      // the rendition's prefix when it is replaced or fails.
      if (job.attempts > 1) {
        await deleteRenditionObjects(deps, rendition.id).catch((error: unknown) =>
          deps.log.error({ err: error, job_id: job.id }, `job ${job.id}: clearing rendition ${rendition.id} before its re-run failed, going on`),
        );
      }
      try {
        if (await render(deps, rendition, file, signal)) finished(deps, job, file.id, started, 'ready');
        else deps.log.debug(`job dropped ${job.id} ${file.id}: its rows were deleted while it ran`);
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        await fail(deps, rendition, error.code, error.message);
        finished(deps, job, file.id, started, 'failed', error.code);
      }
    },
    async giveUp(job: JobRow, error: unknown) {
      const loaded = await load(deps, job.rendition_id);
      if (!loaded) return;
      const { code, message } = givenUpWith(error);
      await fail(deps, loaded.rendition, code, message);
      finished(deps, job, loaded.file.id, null, 'failed', code);
    },
  };
}
