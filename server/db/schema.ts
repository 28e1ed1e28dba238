// Table types for Kysely. Times are Unix seconds; booleans are 0/1 so SQLite and PostgreSQL agree.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CropSource } from '../../media/crop.ts';
import type { ProcessingErrorCode } from '../../media/errors.ts';
import type { VariantFormat } from '../../media/variants.ts';

export type { CropSource };

export type ProcessingState = 'awaiting_upload' | 'processing' | 'ready' | 'failed';
export type RenditionState = 'processing' | 'ready' | 'failed';
export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface FilesTable {
  id: string;
  owner_id: string;
  upload_type: 'profile_pic' | 'emote';
  filename: string;
  content_type: string;
  size_bytes: number;
  /** The crop asked for at upload time (null: centred largest square). */
  crop_x: number | null;
  crop_y: number | null;
  crop_w: number | null;
  crop_h: number | null;
  set_as_avatar: number;
  state: ProcessingState;
  /** 1 once the original's bytes are stored. */
  received: number;
  /** Why processing failed (media/errors.ts). */
  error_code: ProcessingErrorCode | null;
  error_message: string | null;
  /** Source dimensions after EXIF orientation, known once probed. */
  width: number | null;
  height: number | null;
  /** The file's current ready rendition (a crop of it with its variants). */
  rendition_id: string | null;
  created_at: number;
  updated_at: number;
  /** Creation order: the user's list of files is newest first, and its cursors are positions in it. */
  seq: number;
  /** Set by DELETE /v1/files/{id}: the file is gone for its owner; its rows go with its objects (the garbage sweep). */
  deleted_at: number | null;
  /**
   * When AVATAR_ORIGINALS_RETENTION_DAYS starts counting for its original: when it was made, or last stopped being
   * the avatar; null while it is the avatar, and once the original is gone.
   */
  retention_from: number | null;
  /** When the original was deleted for good (retention); the file's variants stay, but it can no longer be recropped. */
  original_deleted_at: number | null;
}

/**
 * One picture made from a source, and its variants: a crop of an uploaded file (a recrop adds a new
 * rendition), or a cartoon drawn from a config. Exactly one of file_id and config is set.
 */
export interface RenditionsTable {
  id: string;
  file_id: string | null;
  /** The user whose picture it is (null only for cartoons replaced before migration 0013). */
  owner_id: string | null;
  /** The cartoon's options as JSON (a config avatar). */
  config: string | null;
  /** Creation order across all renditions. */
  seq: number;
  crop_x: number | null;
  crop_y: number | null;
  crop_w: number | null;
  crop_h: number | null;
  /** Why the crop is what it is, once rendered: the client's ('user'), or the default crop's (issue 21). */
  crop_source: CropSource | null;
  state: RenditionState;
  created_at: number;
  /** A ThumbHash of the picture as base64 (media/placeholder.ts); null until made (renditions older than it). */
  placeholder: string | null;
}

/** One image of a rendition (media/variants.ts): a size in a format, keyed by (rendition_id, size, format). */
export interface VariantsTable {
  rendition_id: string;
  size: string;
  format: VariantFormat;
  key: string;
  width: number;
  height: number;
  bytes: number;
  content_type: string;
}

export interface UsersTable {
  id: string;
  /** The rendition currently served as the avatar. */
  avatar_rendition_id: string | null;
  avatar_version: number;
  avatar_updated_at: number | null;
  /** The newest avatar request; a rendition is promoted only if it is still the newest request. */
  requested_rendition_id: string | null;
}

export interface JobsTable {
  id: Generated<number>;
  kind: 'render';
  rendition_id: string;
  /** The user the job works for: claims serve users in turn (null only for jobs of older versions). */
  owner_id: string | null;
  /** When it was last claimed (ms since the epoch): the owner whose last claim is oldest is served next. */
  claimed_at_ms: number | null;
  state: JobState;
  /** Claims so far: a claim is (id, attempts), so a claimer whose lease was taken over changes nothing. */
  attempts: number;
  /** While running: until when the job is its claimer's (renewed as it runs); then any process may claim it. */
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

/** A custom emote: a file of upload_type 'emote' plus its shortcode and visibility. */
export interface EmotesTable {
  id: string;
  owner_id: string;
  file_id: string;
  /** Creation order: list cursors are positions in it, so they stay valid under inserts and deletes. */
  seq: number;
  name: string;
  shortcode: string;
  /** Lower-cased shortcode: unique per owner among emotes not in the trash (a partial unique index). */
  shortcode_key: string;
  public: number;
  animated: number;
  size_bytes: number;
  mime_type: string;
  /** Set while the emote is in the trash. */
  deleted_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Object-key prefixes to delete once their grace period is over. */
export interface GarbageTable {
  prefix: string;
  delete_after: number;
  /** The erasure (its user_key) that scheduled it, so a repeated erasure finds its deletions again; null otherwise. */
  erasure: string | null;
}

/**
 * A user whose data is being (or was just) erased, named by a hash of their id: until refuse_until, writes for that
 * user are refused, so a request that started before the erasure cannot recreate their rows after it.
 */
export interface ErasuresTable {
  user_key: string;
  started_at: number;
  refuse_until: number;
}

/** Where a webhook endpoint comes from: the admin API, or AVATAR_WEBHOOK_URL (synchronised at start). */
export type WebhookEndpointSource = 'api' | 'config';
export type WebhookDeliveryState = 'pending' | 'sending' | 'succeeded' | 'failed';

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** JSON array of event types, or null for every event (types added later included). */
  events: string | null;
  description: string | null;
  /** whsec_<base64>: the key deliveries are signed with. */
  secret: string;
  source: WebhookEndpointSource;
  created_at: number;
  /** Attempts to it that failed in a row (0 after a success). */
  failure_streak: Generated<number>;
  /** While set and in the future, none of its deliveries is sent (it kept failing). */
  backoff_until: number | null;
}

/** One event, as sent: `id` is the webhook-id header, `body` the exact JSON that is signed. */
export interface WebhookEventsTable {
  id: string;
  type: string;
  user_id: string | null;
  body: string;
  created_at: number;
}

/** One event to one endpoint, and how sending it went. */
export interface WebhookDeliveriesTable {
  id: string;
  /** Creation order: deliveries of one (endpoint, user) go out in it; list cursors are positions in it. */
  seq: number;
  event_id: string;
  endpoint_id: string;
  /** The event's user, copied here so per-user ordering needs no join. */
  user_id: string | null;
  state: WebhookDeliveryState;
  /** Attempts finished (an attempt cut off by a crash is not counted, and is made again). */
  attempts: number;
  /** When a pending delivery is due. */
  next_attempt_at: number | null;
  /** While sending: when another claimer may take it over (its sender presumed dead). */
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  /** JSON array of the most recent attempts, oldest first. */
  attempt_log: string;
  created_at: number;
  updated_at: number;
}

/** A hosted editor page for one user (POST /v1/admin/sessions). */
export interface EditorSessionsTable {
  /** SHA-256 (base64url) of the session id: the id is a bearer credential, so it is not kept. */
  id_hash: string;
  user_id: string;
  type: 'edit-existing' | 'create';
  /** Where the page goes after a save (an allowed origin), or null. */
  return_url: string | null;
  /** The page's language as the host asked for it (e.g. de-AT), or null: the browser's languages. */
  locale: string | null;
  created_at: number;
  expires_at: number;
}

/** The current fixed window of a per-key rate limit, shared by every process (PostgreSQL). */
export interface RateLimitWindowsTable {
  key: string;
  window_start: number;
  hits: number;
}

/** An original being written by a PUT: at most one writer per file across processes (PostgreSQL). */
export interface UploadReservationsTable {
  file_id: string;
  /** Random per reservation: only its holder renews or releases it. */
  holder: string;
  /** Renewed while the bytes arrive; past it, a writer that died no longer blocks the upload URL. */
  expires_at: number;
}

export interface Database {
  files: FilesTable;
  renditions: RenditionsTable;
  variants: VariantsTable;
  users: UsersTable;
  jobs: JobsTable;
  garbage: GarbageTable;
  emotes: EmotesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  editor_sessions: EditorSessionsTable;
  rate_limit_windows: RateLimitWindowsTable;
  upload_reservations: UploadReservationsTable;
  erasures: ErasuresTable;
}

export type FileRow = Selectable<FilesTable>;
export type NewFile = Insertable<FilesTable>;
export type FileUpdate = Updateable<FilesTable>;
export type RenditionRow = Selectable<RenditionsTable>;
export type VariantRow = Selectable<VariantsTable>;
export type NewVariant = Insertable<VariantsTable>;
export type UserRow = Selectable<UsersTable>;
export type JobRow = Selectable<JobsTable>;
export type EmoteRow = Selectable<EmotesTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type EditorSessionRow = Selectable<EditorSessionsTable>;
