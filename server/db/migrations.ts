// Schema migrations, run at start-up. Written with Kysely's schema builder so they also run on PostgreSQL:
// `integer` there is bigint and autoIncrement() an identity (db/dialect.ts); booleans are 0/1 integers.
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { isPostgres, sequenceName, type SequencedTable } from './dialect.ts';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('files')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('upload_type', 'text', (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('crop_x', 'integer')
      .addColumn('crop_y', 'integer')
      .addColumn('crop_w', 'integer')
      .addColumn('crop_h', 'integer')
      .addColumn('set_as_avatar', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('width', 'integer')
      .addColumn('height', 'integer')
      .addColumn('rendition_id', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('files_owner').on('files').columns(['owner_id', 'created_at']).execute();

    await db.schema
      .createTable('renditions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('file_id', 'text', (c) => c.notNull().references('files.id'))
      .addColumn('seq', 'integer', (c) => c.notNull().unique())
      .addColumn('crop_x', 'integer')
      .addColumn('crop_y', 'integer')
      .addColumn('crop_w', 'integer')
      .addColumn('crop_h', 'integer')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('renditions_file').on('renditions').column('file_id').execute();

    await db.schema
      .createTable('variants')
      .addColumn('rendition_id', 'text', (c) => c.notNull().references('renditions.id'))
      .addColumn('size', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull().unique())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('variants_pk', ['rendition_id', 'size'])
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('avatar_rendition_id', 'text')
      .addColumn('avatar_version', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('avatar_updated_at', 'integer')
      .addColumn('requested_rendition_id', 'text')
      .execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('rendition_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jobs_state').on('jobs').columns(['state', 'id']).execute();

    await db.schema
      .createTable('garbage')
      .addColumn('prefix', 'text', (c) => c.primaryKey())
      .addColumn('delete_after', 'integer', (c) => c.notNull())
      .execute();
  },
};

const emotes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('emotes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('file_id', 'text', (c) => c.notNull().unique().references('files.id'))
      .addColumn('seq', 'integer', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('shortcode', 'text', (c) => c.notNull())
      .addColumn('shortcode_key', 'text', (c) => c.notNull())
      .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('animated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('mime_type', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'integer')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    // The database, not a check before insert, keeps shortcodes unique: two racing uploads cannot both win.
    await db.schema.createIndex('emotes_owner_shortcode').on('emotes').columns(['owner_id', 'shortcode_key']).unique().where(sql.ref('deleted_at'), 'is', null).execute();
    await db.schema.createIndex('emotes_owner_seq').on('emotes').columns(['owner_id', 'seq']).execute();
    await db.schema.createIndex('emotes_deleted').on('emotes').column('deleted_at').execute();
  },
};

/**
 * A rendition's source is an uploaded file or a cartoon config (JSON of its options), never both.
 * Neither engine can drop NOT NULL from file_id in the same portable way, so renditions (and variants,
 * which reference them) are rebuilt: copied aside, dropped, created anew and refilled, in one transaction.
 */
const renditionSources: Migration = {
  async up(db: Kysely<unknown>) {
    const rebuild = async (trx: Kysely<unknown>) => {
      await sql`create table renditions_copy as select * from renditions`.execute(trx);
      await sql`create table variants_copy as select * from variants`.execute(trx);
      await trx.schema.dropTable('variants').execute();
      await trx.schema.dropTable('renditions').execute();
      await trx.schema
        .createTable('renditions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('file_id', 'text', (c) => c.references('files.id'))
        .addColumn('config', 'text')
        .addColumn('seq', 'integer', (c) => c.notNull().unique())
        .addColumn('crop_x', 'integer')
        .addColumn('crop_y', 'integer')
        .addColumn('crop_w', 'integer')
        .addColumn('crop_h', 'integer')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addCheckConstraint('renditions_one_source', sql`(file_id is null) <> (config is null)`)
        .execute();
      await trx.schema.createIndex('renditions_file').on('renditions').column('file_id').execute();
      await trx.schema
        .createTable('variants')
        .addColumn('rendition_id', 'text', (c) => c.notNull().references('renditions.id'))
        .addColumn('size', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('variants_pk', ['rendition_id', 'size'])
        .execute();
      await sql`insert into renditions (id, file_id, config, seq, crop_x, crop_y, crop_w, crop_h, state, created_at)
        select id, file_id, null, seq, crop_x, crop_y, crop_w, crop_h, state, created_at from renditions_copy`.execute(trx);
      await sql`insert into variants (rendition_id, size, key, width, height, bytes, content_type)
        select rendition_id, size, key, width, height, bytes, content_type from variants_copy`.execute(trx);
      await trx.schema.dropTable('variants_copy').execute();
      await trx.schema.dropTable('renditions_copy').execute();
    };
    // Kysely runs PostgreSQL migrations in a transaction already; SQLite ones it does not.
    if (db.isTransaction) await rebuild(db);
    else await db.transaction().execute(rebuild);
  },
};

/**
 * Webhooks: endpoints, the outbox of events, and one delivery per (event, endpoint). An event and its
 * deliveries are written in the transaction of the change they report. `seq` orders deliveries by creation.
 */
const webhooks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text')
      .addColumn('description', 'text')
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'integer', (c) => c.notNull().unique())
      .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id'))
      .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id'))
      .addColumn('user_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'integer')
      .addColumn('lease_until', 'integer')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('last_duration_ms', 'integer')
      .addColumn('attempt_log', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .execute();
    // Due deliveries are claimed in creation order (state, seq); the next wake-up is the earliest retry (state, next_attempt_at).
    await db.schema.createIndex('webhook_deliveries_queue').on('webhook_deliveries').columns(['state', 'seq']).execute();
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
    await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'seq']).execute();
    await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
  },
};

/** Hosted editor sessions (POST /v1/admin/sessions): stored by the SHA-256 of their id, never the id itself. */
const editorSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('editor_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('return_url', 'text')
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('editor_sessions_expires').on('editor_sessions').column('expires_at').execute();
  },
};

/**
 * What N server processes on one PostgreSQL database share (issue 12):
 * - jobs.lease_until: a running job is its claimer's until then; the claimer renews it while the job runs, and
 *   a job whose lease ran out (its process died) is claimed by another.
 * - rate_limit_windows: the per-user upload limit's current window (SQLite keeps it in memory).
 * - upload_reservations: originals being written by a PUT, so a second PUT on any process is refused.
 * - PostgreSQL: a sequence per `seq` column, starting after the rows already there.
 */
const scaleOut: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('jobs').addColumn('lease_until', 'integer').execute();

    await db.schema
      .createTable('rate_limit_windows')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'integer', (c) => c.notNull())
      .addColumn('hits', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rate_limit_windows_start').on('rate_limit_windows').column('window_start').execute();

    await db.schema
      .createTable('upload_reservations')
      .addColumn('file_id', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .execute();

    if (isPostgres(db)) {
      const tables: SequencedTable[] = ['renditions', 'emotes', 'webhook_deliveries'];
      for (const table of tables) {
        const name = sequenceName(table);
        await sql`create sequence ${sql.id(name)} as bigint`.execute(db);
        await sql`select setval(${sql.lit(name)}, coalesce(max(seq), 0) + 1, false) from ${sql.table(table)}`.execute(db);
      }
    }
  },
};

/**
 * Abandoned and failed uploads (issue 13):
 * - files_awaiting_upload: the periodic sweep of uploads never sent finds them without reading every file.
 * - A failed emote no longer holds its shortcode (emotes/service.ts releaseFailedShortcode): emotes that
 *   failed before this release theirs now.
 */
const abandonedUploads: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('files_awaiting_upload').on('files').column('created_at').where(sql.ref('state'), '=', 'awaiting_upload').execute();
    await sql`update emotes set shortcode_key = '!failed:' || id where file_id in (select id from files where state = 'failed')`.execute(db);
  },
};

/** Hosted editor sessions in the language the host asked for (issue 18); null: the browser's languages. */
const editorSessionLocale: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('editor_sessions').addColumn('locale', 'text').execute();
  },
};

/** Why a rendition's crop is what it is (issue 21): user, or the default crop's face, saliency or center. */
const cropSource: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('renditions').addColumn('crop_source', 'text').execute();
  },
};

/**
 * Fair job claims (issue 19): each job names the user it works for, and when it was last claimed (ms), so a claim
 * can serve users round-robin instead of one user's backlog first. Existing jobs take their file's owner.
 */
const jobOwners: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('jobs').addColumn('owner_id', 'text').execute();
    await db.schema.alterTable('jobs').addColumn('claimed_at_ms', 'integer').execute();
    await sql`update jobs set owner_id = (select files.owner_id from renditions join files on files.id = renditions.file_id where renditions.id = jobs.rendition_id)`.execute(db);
    await db.schema.createIndex('jobs_owner_state').on('jobs').columns(['owner_id', 'state']).execute();
    await db.schema.createIndex('jobs_owner_claimed').on('jobs').columns(['owner_id', 'claimed_at_ms']).execute();
  },
};

/**
 * Webhook endpoints that keep failing are backed off (issue 19): how many attempts to each have failed in a row,
 * and until when none of its deliveries is sent.
 */
const webhookEndpointHealth: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('webhook_endpoints').addColumn('failure_streak', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('webhook_endpoints').addColumn('backoff_until', 'integer').execute();
  },
};

/**
 * A variant is a size in a format (issue 20): the catalogue (media/variants.ts) may make one size in several formats,
 * so the variants table is keyed by (rendition_id, size, format). Every existing variant is WebP. Neither engine can
 * change a primary key in the same portable way, so the table is rebuilt (as in 0003) in one transaction.
 */
const variantFormats: Migration = {
  async up(db: Kysely<unknown>) {
    const rebuild = async (trx: Kysely<unknown>) => {
      await sql`create table variants_copy as select * from variants`.execute(trx);
      await trx.schema.dropTable('variants').execute();
      await trx.schema
        .createTable('variants')
        .addColumn('rendition_id', 'text', (c) => c.notNull().references('renditions.id'))
        .addColumn('size', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('variants_pk', ['rendition_id', 'size', 'format'])
        .execute();
      await sql`insert into variants (rendition_id, size, format, key, width, height, bytes, content_type)
        select rendition_id, size, 'webp', key, width, height, bytes, content_type from variants_copy`.execute(trx);
      await trx.schema.dropTable('variants_copy').execute();
    };
    if (db.isTransaction) await rebuild(db);
    else await db.transaction().execute(rebuild);
  },
};

/**
 * Each rendition's placeholder (issue 20 §3): a ThumbHash as base64, made with its variants. Renditions made before
 * get theirs the first time an answer needs it (server/renditions/images.ts).
 */
const renditionPlaceholders: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('renditions').addColumn('placeholder', 'text').execute();
  },
};

/**
 * A person's uploads and data (issue 23):
 * - files.seq: creation order, for the list of a person's files (newest first) and its cursors.
 * - files.deleted_at: DELETE /v1/files/{id} hides a file at once; its rows go with its objects after the grace period.
 * - files.retention_from / original_deleted_at: AVATAR_ORIGINALS_RETENTION_DAYS counts from when a file was made or
 *   last stopped being the avatar (null while it is the avatar), and records when its original was deleted.
 * - renditions.owner_id: whose picture it is, so a cartoon (which has no file) can be listed among recent avatars
 *   and found by an erasure. Existing renditions take their file's owner, or the user whose avatar they are.
 * - garbage.erasure: the deletions an erasure of a user scheduled, so repeating it (after a crash) finds them again.
 * - erasures: users being erased, by a hash of their id, so writes that started before the erasure cannot recreate
 *   their rows; kept only while such writes may still arrive.
 */
const people: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('files').addColumn('deleted_at', 'integer').execute();
    await db.schema.alterTable('files').addColumn('retention_from', 'integer').execute();
    await db.schema.alterTable('files').addColumn('original_deleted_at', 'integer').execute();
    await sql`update files set retention_from = created_at
      where id not in (select renditions.file_id from users join renditions on renditions.id = users.avatar_rendition_id where renditions.file_id is not null)`.execute(db);
    await db.schema.createIndex('files_retention').on('files').column('retention_from').where(sql.ref('retention_from'), 'is not', null).execute();
    // Creation order, as for emotes: existing files numbered by (created_at, id), new ones by nextSeq.
    await db.schema.alterTable('files').addColumn('seq', 'integer').execute();
    await sql`update files set seq = numbered.n from (select id, row_number() over (order by created_at, id) as n from files) as numbered where numbered.id = files.id`.execute(db);
    if (isPostgres(db)) {
      const name = sequenceName('files');
      await sql`create sequence ${sql.id(name)} as bigint`.execute(db);
      await sql`select setval(${sql.lit(name)}, coalesce(max(seq), 0) + 1, false) from files`.execute(db);
    }
    await db.schema.createIndex('files_owner_seq').on('files').columns(['owner_id', 'seq']).execute();

    await db.schema.alterTable('renditions').addColumn('owner_id', 'text').execute();
    await sql`update renditions set owner_id = (select files.owner_id from files where files.id = renditions.file_id) where file_id is not null`.execute(db);
    await sql`update renditions set owner_id = (select min(users.id) from users where users.avatar_rendition_id = renditions.id or users.requested_rendition_id = renditions.id) where file_id is null`.execute(db);
    await db.schema.createIndex('renditions_owner').on('renditions').columns(['owner_id', 'seq']).execute();

    await db.schema.alterTable('garbage').addColumn('erasure', 'text').execute();
    await db.schema.createIndex('garbage_erasure').on('garbage').column('erasure').execute();

    await db.schema
      .createTable('erasures')
      .addColumn('user_key', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'integer', (c) => c.notNull())
      .addColumn('refuse_until', 'integer', (c) => c.notNull())
      .execute();
  },
};

export const migrations: MigrationProvider = {
  async getMigrations() {
    return {
      '0001_initial': initial,
      '0002_emotes': emotes,
      '0003_rendition_sources': renditionSources,
      '0004_webhooks': webhooks,
      '0005_editor_sessions': editorSessions,
      '0006_scale_out': scaleOut,
      '0007_abandoned_uploads': abandonedUploads,
      '0008_editor_session_locale': editorSessionLocale,
      '0009_crop_source': cropSource,
      '0010_job_owners': jobOwners,
      '0011_webhook_endpoint_health': webhookEndpointHealth,
      '0012_variant_formats': variantFormats,
      '0013_rendition_placeholders': renditionPlaceholders,
      '0014_people': people,
    };
  },
};
