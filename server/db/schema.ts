// Table types for Kysely. Times are Unix seconds; booleans are 0/1 so SQLite and PostgreSQL agree.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

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
  error_code: string | null;
  error_message: string | null;
  /** Source dimensions after EXIF orientation, known once probed. */
  width: number | null;
  height: number | null;
  /** The file's current ready rendition (a crop of it with its variants). */
  rendition_id: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * One picture made from a source, and its variants: a crop of an uploaded file (a recrop adds a new
 * rendition), or a cartoon drawn from a config. Exactly one of file_id and config is set.
 */
export interface RenditionsTable {
  id: string;
  file_id: string | null;
  /** The cartoon's options as JSON (a config avatar). */
  config: string | null;
  /** Creation order across all renditions. */
  seq: number;
  crop_x: number | null;
  crop_y: number | null;
  crop_w: number | null;
  crop_h: number | null;
  state: RenditionState;
  created_at: number;
}

export interface VariantsTable {
  rendition_id: string;
  size: string;
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
  state: JobState;
  attempts: number;
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
}

export interface Database {
  files: FilesTable;
  renditions: RenditionsTable;
  variants: VariantsTable;
  users: UsersTable;
  jobs: JobsTable;
  garbage: GarbageTable;
  emotes: EmotesTable;
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
