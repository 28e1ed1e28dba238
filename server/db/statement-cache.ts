// better-sqlite3 compiles a statement's SQL on every prepare(), and Kysely prepares each query it runs; the server
// runs the same few statements again and again (a webhook delivery was seven of them when this was written), so compiling them was a
// sixth of the database's time. This keeps the most recently used prepared statements by their SQL text. Reusing
// one is safe: Kysely runs one statement at a time on the connection, each to its end (all()/run()), and SQLite
// prepares it again by itself if the schema changed under it. Streaming (iterate()) is not used by the server.
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase } from 'kysely';

/** Enough for every fixed statement; lists of varying length (`in (?, ?, …)`) come and go. */
const STATEMENTS_KEPT = 500;

export function withStatementCache(sqlite: SqliteDatabase.Database, kept = STATEMENTS_KEPT): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // to the newest end
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= kept) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
