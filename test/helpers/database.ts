// Reading (and seeding) a test server's database directly, whichever engine it runs on: the SQLite file in its
// data dir, or its PostgreSQL database. Statements are written once with `?` placeholders.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';

export interface DatabaseOf {
  dataDir: string;
  /** null: SQLite (avatar.db in dataDir). */
  databaseUrl: string | null;
}

/** `?` → `$1`, `$2`, … (none of our statements has a `?` inside a string literal). */
const numbered = (statement: string) => {
  let n = 0;
  return statement.replace(/\?/g, () => `$${++n}`);
};

/** pg reads bigint (every integer column there) and counts as strings; the server reads them as numbers, and so do we. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Runs one statement on the server's database and returns its rows ([] for a statement that returns none).
 * Safe while the server runs (SQLite: WAL, with a busy timeout) and after it was stopped or killed.
 */
export async function queryDb<T = Record<string, unknown>>(server: DatabaseOf, statement: string, ...params: unknown[]): Promise<T[]> {
  if (server.databaseUrl) {
    const client = new pg.Client({ connectionString: server.databaseUrl, types });
    await client.connect();
    try {
      return (await client.query(numbered(statement), params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(server.dataDir, 'avatar.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const prepared = db.prepare(statement);
    if (!prepared.reader) {
      prepared.run(...params);
      return [];
    }
    return prepared.all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The single value of a one-row, one-column query (a count, say). */
export async function queryValue<T = number>(server: DatabaseOf, statement: string, ...params: unknown[]): Promise<T> {
  const [row] = await queryDb(server, statement, ...params);
  if (!row) throw new Error(`no row from: ${statement}`);
  return Object.values(row)[0] as T;
}
