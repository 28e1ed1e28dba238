// Opens the metadata database and brings its schema up to date: a SQLite file in the data dir, or PostgreSQL
// when DATABASE_URL is set (several server processes may share it; see db/dialect.ts for what differs).
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type KyselyConfig } from 'kysely';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { ConfigError } from '../config.ts';
import { isPostgres, postgresSchemaPlugin } from './dialect.ts';
import { migrations } from './migrations.ts';
import { withStatementCache } from './statement-cache.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseSettings {
  dataDir: string;
  /** postgres://… (null or absent: SQLite in dataDir). */
  databaseUrl?: string | null;
  /** Connections in the PostgreSQL pool. */
  databasePoolSize?: number;
  log?: { error(line: string): void };
  /** Told of every query: its kind (select, insert, update, delete, raw, other), seconds, and whether it failed. */
  onQuery?: QueryObserver;
}

export type QueryObserver = (operation: string, seconds: number, failed: boolean) => void;

const QUERY_KINDS: Record<string, string> = { SelectQueryNode: 'select', InsertQueryNode: 'insert', UpdateQueryNode: 'update', DeleteQueryNode: 'delete', RawNode: 'raw' };

/** Kysely's query log as metrics: every query of either dialect passes through it. */
function queryLog(observe: QueryObserver | undefined): KyselyConfig['log'] {
  if (!observe) return undefined;
  return (event) => observe(QUERY_KINDS[event.query.query.kind] ?? 'other', event.queryDurationMillis / 1000, event.level === 'error');
}

/** `target`: the settings, or just a data dir (SQLite). */
export async function openDatabase(target: DatabaseSettings | string): Promise<Db> {
  const settings = typeof target === 'string' ? { dataDir: target } : target;
  const db = settings.databaseUrl ? await openPostgres(settings.databaseUrl, settings) : openSqlite(settings.dataDir, settings.onQuery);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

function openSqlite(dataDir: string, onQuery?: QueryObserver): Db {
  let sqlite: SqliteDatabase.Database;
  try {
    mkdirSync(dataDir, { recursive: true });
    sqlite = new SqliteDatabase(join(dataDir, 'avatar.db'));
  } catch (err) {
    throw new ConfigError('--data-dir/AVATAR_DATA_DIR', `${dataDir} cannot be used: ${(err as Error).message}`);
  }
  // WAL lets readers proceed while a job writes; NORMAL sync is durable across process crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), log: queryLog(onQuery) });
}

/**
 * Every integer column is bigint on PostgreSQL (db/dialect.ts), and pg reads bigint (and the numeric of a
 * sum) as a string by default; ours are ids, counts, bytes and Unix seconds, all far below 2^53.
 */
function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`database value ${value} is not a whole number this server can hold`);
  return n;
}

function typeParsers(pgTypes: typeof pg.types): pg.CustomTypesConfig {
  const { INT8, NUMERIC } = pgTypes.builtins;
  const getTypeParser = (oid: number, format?: 'text' | 'binary') =>
    (oid === INT8 || oid === NUMERIC) && format !== 'binary' ? wholeNumber : pgTypes.getTypeParser(oid, format);
  return { getTypeParser: getTypeParser as typeof pgTypes.getTypeParser };
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'postgres://…';
  }
}

async function openPostgres(url: string, settings: DatabaseSettings): Promise<Db> {
  // Loaded only here: a SQLite site never needs the driver.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: settings.databasePoolSize ?? 10, types: typeParsers(pg.types), connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks (the server restarted) is dropped by the pool; without a listener it would
  // be an uncaught 'error' event and end the process.
  pool.on('error', (err) => (settings.log ?? console).error(`database: idle connection lost: ${err.message}`));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    const reason = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
    throw new ConfigError('DATABASE_URL', `cannot connect to ${redacted(url)}: ${reason}`);
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queryLog(settings.onQuery) });
}

/**
 * Applies pending migrations. Kysely's Migrator holds a lock while it runs (on PostgreSQL an advisory lock, and
 * all pending migrations in one transaction), so N processes starting together migrate once and then all start.
 */
async function migrate(db: Db) {
  const target = isPostgres(db) ? db.withPlugin(postgresSchemaPlugin) : db;
  const { error, results } = await new Migrator({ db: target, provider: migrations }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Cheap round trip for /readyz. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** A PostgreSQL connection of its own, outside the pool: for LISTEN, which holds its connection for good. */
export async function openListenConnection(url: string): Promise<pg.Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  return client;
}
