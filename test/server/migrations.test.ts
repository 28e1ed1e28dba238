// Schema migrations over data written by an older version: each keeps what was there. Runs on the test run's engine
// (SQLite, or PostgreSQL under npm run test:server:scale-out).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { postgresSchemaPlugin } from '../../server/db/dialect.ts';
import { migrations } from '../../server/db/migrations.ts';
import { testPostgres } from '../helpers/postgres.ts';
import { TEST_DATABASE } from '../helpers/server.ts';

/** A database of the test run's engine with no table yet (SQLite in a folder of its own), and its migrator. */
async function emptyDatabase() {
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-migrations-'));
  const db =
    TEST_DATABASE === 'postgres'
      ? new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await (await testPostgres()).createDatabase(), max: 2 }) }) }).withPlugin(postgresSchemaPlugin)
      : new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dataDir, 'avatar.db')) }) });
  return { db, dataDir, migrator: new Migrator({ db, provider: migrations }) };
}

describe('migration 0012: a variant is a size in a format', () => {
  let db: Kysely<unknown>;
  let dataDir: string;
  let migrator: Migrator;

  before(async () => {
    ({ db, dataDir, migrator } = await emptyDatabase());
    const before12 = await migrator.migrateTo('0011_webhook_endpoint_health');
    assert.equal(before12.error, undefined);
    await sql`insert into files (id, owner_id, upload_type, filename, content_type, size_bytes, set_as_avatar, state, received, created_at, updated_at)
      values ('f_1', 'alice', 'profile_pic', 'a.jpg', 'image/jpeg', 10, 1, 'ready', 1, 1, 1)`.execute(db);
    await sql`insert into renditions (id, file_id, config, seq, state, created_at) values ('r_1', 'f_1', null, 1, 'ready', 1)`.execute(db);
    for (const size of ['cropped', '256', '64']) {
      await sql`insert into variants (rendition_id, size, key, width, height, bytes, content_type)
        values ('r_1', ${size}, ${`variants/r_1/${size}-00112233445566778899aabbccddeeff.webp`}, 40, 40, 100, 'image/webp')`.execute(db);
    }
    const latest = await migrator.migrateToLatest();
    assert.equal(latest.error, undefined);
  });

  after(async () => {
    await db?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('every variant is kept, as WebP', async () => {
    const { rows } = await sql<{ size: string; format: string; key: string; content_type: string }>`
      select size, format, key, content_type from variants order by size`.execute(db);
    assert.deepEqual(rows, [
      { size: '256', format: 'webp', key: 'variants/r_1/256-00112233445566778899aabbccddeeff.webp', content_type: 'image/webp' },
      { size: '64', format: 'webp', key: 'variants/r_1/64-00112233445566778899aabbccddeeff.webp', content_type: 'image/webp' },
      { size: 'cropped', format: 'webp', key: 'variants/r_1/cropped-00112233445566778899aabbccddeeff.webp', content_type: 'image/webp' },
    ]);
  });

  test('a size may have one variant per format, and no second of the same format', async () => {
    await sql`insert into variants (rendition_id, size, format, key, width, height, bytes, content_type)
      values ('r_1', '256', 'avif', 'variants/r_1/256-ffeeddccbbaa99887766554433221100.avif', 40, 40, 80, 'image/avif')`.execute(db);
    await assert.rejects(
      sql`insert into variants (rendition_id, size, format, key, width, height, bytes, content_type)
        values ('r_1', '256', 'webp', 'variants/r_1/256-0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f.webp', 40, 40, 80, 'image/webp')`.execute(db),
      /unique|duplicate/i,
    );
  });
});

describe("migration 0013: a person's uploads and data", () => {
  let db: Kysely<unknown>;
  let dataDir: string;
  let migrator: Migrator;

  before(async () => {
    ({ db, dataDir, migrator } = await emptyDatabase());
    assert.equal((await migrator.migrateTo('0012_variant_formats')).error, undefined);
    // alice: an old photo, her avatar photo (made in the same second), and a replaced cartoon; bob: a cartoon avatar.
    for (const [id, owner, created] of [['f_old', 'alice', 100], ['f_b', 'alice', 200], ['f_a', 'alice', 200]] as const) {
      await sql`insert into files (id, owner_id, upload_type, filename, content_type, size_bytes, set_as_avatar, state, received, created_at, updated_at)
        values (${id}, ${owner}, 'profile_pic', 'a.jpg', 'image/jpeg', 10, 1, 'ready', 1, ${created}, ${created})`.execute(db);
    }
    await sql`insert into renditions (id, file_id, config, seq, state, created_at) values
      ('r_old', 'f_old', null, 1, 'ready', 100), ('r_avatar', 'f_a', null, 2, 'ready', 200), ('r_b', 'f_b', null, 3, 'ready', 200),
      ('r_bob', null, '{}', 4, 'ready', 300)`.execute(db);
    await sql`insert into users (id, avatar_rendition_id, avatar_version, avatar_updated_at, requested_rendition_id) values
      ('alice', 'r_avatar', 3, 200, null), ('bob', 'r_bob', 1, 300, null)`.execute(db);
    assert.equal((await migrator.migrateToLatest()).error, undefined);
  });

  after(async () => {
    await db?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('files are numbered in the order they were made; the avatar is not counted for retention, the others from their upload', async () => {
    const { rows } = await sql<{ id: string; seq: number; retention_from: number | null; deleted_at: number | null }>`
      select id, seq, retention_from, deleted_at from files order by seq`.execute(db);
    assert.deepEqual(rows.map((r) => ({ ...r, seq: Number(r.seq), retention_from: r.retention_from === null ? null : Number(r.retention_from) })), [
      { id: 'f_old', seq: 1, retention_from: 100, deleted_at: null },
      { id: 'f_a', seq: 2, retention_from: null, deleted_at: null },
      { id: 'f_b', seq: 3, retention_from: 200, deleted_at: null },
    ]);
  });

  test('renditions name their owner: a photo\'s its file\'s, a cartoon the user whose avatar it is', async () => {
    const { rows } = await sql<{ id: string; owner_id: string }>`select id, owner_id from renditions order by id`.execute(db);
    assert.deepEqual(rows, [
      { id: 'r_avatar', owner_id: 'alice' },
      { id: 'r_b', owner_id: 'alice' },
      { id: 'r_bob', owner_id: 'bob' },
      { id: 'r_old', owner_id: 'alice' },
    ]);
  });
});
