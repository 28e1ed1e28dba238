// Where SQLite and PostgreSQL differ, behind small helpers, so services and migrations are written once.
//
// SQLite (one process owns the file, and Kysely runs one statement at a time on its one connection) gives
// for free what PostgreSQL needs asked for: a transaction's read-then-write cannot interleave with another's,
// `max + 1` is a unique next number, and nothing is shared with another process. On PostgreSQL, N processes
// and a pool of connections work at once, so these helpers use sequences and advisory locks there.
import {
  DataTypeNode, OperationNodeTransformer, PostgresAdapter, sql,
  type ColumnDefinitionNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs,
  type QueryExecutorProvider, type QueryResult, type RootOperationNode, type UnknownRow,
} from 'kysely';
import type { Db } from './index.ts';

/** True for a PostgreSQL database (or a transaction on one): several processes may share it. */
export const isPostgres = (db: QueryExecutorProvider) => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * Migrations say `integer` and `autoIncrement()` the SQLite way. SQLite's integers are 64-bit, PostgreSQL's
 * `integer` is not (Unix seconds overflow it in 2038), so on PostgreSQL every integer column is created as
 * `bigint` and an auto-increment key as `bigserial`. The pool reads bigint back as a number (db/index.ts).
 */
class PostgresIntegers extends OperationNodeTransformer {
  protected override transformColumnDefinition(node: ColumnDefinitionNode): ColumnDefinitionNode {
    const column = super.transformColumnDefinition(node);
    if (!DataTypeNode.is(column.dataType) || column.dataType.dataType !== 'integer') return column;
    return { ...column, dataType: DataTypeNode.create(column.autoIncrement ? 'bigserial' : 'bigint'), autoIncrement: false };
  }
}

/** The plugin the migrations run with on PostgreSQL (see PostgresIntegers). */
export const postgresSchemaPlugin: KyselyPlugin = {
  transformQuery: ({ node }: PluginTransformQueryArgs): RootOperationNode => new PostgresIntegers().transformNode(node),
  transformResult: async ({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => result,
};

/** Tables whose `seq` column numbers rows in creation order. */
export type SequencedTable = 'renditions' | 'emotes' | 'webhook_deliveries' | 'files';

/** The sequence behind a table's `seq` on PostgreSQL (created by migration 0006; files' by 0013). */
export const sequenceName = (table: SequencedTable) => `${table}_seq_order`;

/**
 * The next `seq` of a table, as an expression for an insert. SQLite: max + 1 (unique, with one writer).
 * PostgreSQL: a sequence, since max + 1 read by two transactions at once is the same number.
 */
export function nextSeq(db: QueryExecutorProvider, table: SequencedTable) {
  if (isPostgres(db)) return sql<number>`nextval(${sql.lit(sequenceName(table))})`;
  return sql<number>`(select coalesce(max(seq), 0) + 1 from ${sql.table(table)})`;
}

/** A unique index as both engines name it in their errors: PostgreSQL by its name, SQLite by its columns. */
export interface UniqueIndex {
  name: string;
  table: string;
  columns: readonly string[];
}

/** True when `err` is a violation of this unique index (SQLITE_CONSTRAINT_UNIQUE, or PostgreSQL's 23505). */
export function violatesUnique(err: unknown, index: UniqueIndex): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, constraint, message } = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (code === '23505') return constraint === index.name;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string') {
    return message.endsWith(`: ${index.columns.map((c) => `${index.table}.${c}`).join(', ')}`);
  }
  return false;
}

const lockKey = (name: string) => sql`hashtextextended(${name}, 0)`;

/**
 * Makes transactions that call this with the same `name` run one after the other from here until they end,
 * for a read-then-write (a quota check, then an insert) that must not interleave with another's. SQLite's
 * transactions never interleave, so there it does nothing.
 */
export async function serializeOn(trx: QueryExecutorProvider, name: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${lockKey(name)})`.execute(trx);
}

/**
 * Runs `work` unless another process is running the work of this `name` (then returns false at once): for
 * sweepers that one process at a time is enough for. PostgreSQL: a session advisory lock, held on a connection
 * of its own while `work` uses others (hence a pool of at least 2), released even if the process dies.
 */
export async function runAlone(db: Db, name: string, work: () => Promise<void>): Promise<boolean> {
  if (!isPostgres(db)) {
    await work();
    return true;
  }
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${lockKey(name)}) as locked`.execute(connection);
    if (!rows[0]?.locked) return false;
    try {
      await work();
    } finally {
      await sql`select pg_advisory_unlock(${lockKey(name)})`.execute(connection);
    }
    return true;
  });
}
