// Group commit (server/db/group-commit.ts), in-process on the run's real database (SQLite, or PostgreSQL in the
// scale-out run): writes asked for together share one transaction, a lone write goes alone, each caller learns of
// its own write once it is committed, and a write that fails fails alone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createGroupCommit } from '../../server/db/group-commit.ts';
import { openDatabase, type Db } from '../../server/db/index.ts';
import { backendEnvFor } from '../helpers/server.ts';

describe('group commit', () => {
  let dir: string;
  let db: Db;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'avatar-group-commit-'));
    db = await openDatabase({ dataDir: dir, databaseUrl: (await backendEnvFor(dir)).DATABASE_URL ?? null });
  });
  after(async () => {
    await db?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoint = (id: string) => ({ id, url: 'https://example.com/', events: null, description: null, secret: 'whsec_x', source: 'api' as const, created_at: 1 });
  const stored = async (ids: string[]) => (await db.selectFrom('webhook_endpoints').select('id').where('id', 'in', ids).orderBy('id').execute()).map((e) => e.id);

  test('writes asked for together share one transaction, and each is committed when its promise resolves', async () => {
    const commit = createGroupCommit(db);
    const ids = ['wh_g1', 'wh_g2', 'wh_g3', 'wh_g4'];
    const usedBy = new Map<string, Db>();
    await Promise.all(
      ids.map((id) =>
        commit(async (trx) => {
          usedBy.set(id, trx);
          await trx.insertInto('webhook_endpoints').values(endpoint(id)).execute();
        }).then(async () => assert.deepEqual(await stored([id]), [id], `${id} is visible once its promise resolves`)),
      ),
    );
    const used = new Set(usedBy.values());
    assert.equal(used.size, 1, 'one transaction for the four');
    assert.ok([...used][0]!.isTransaction);
  });

  test('a write asked for alone runs alone, outside any transaction of the others', async () => {
    const commit = createGroupCommit(db);
    let used: Db | undefined;
    await commit(async (trx) => {
      used = trx;
      await trx.insertInto('webhook_endpoints').values(endpoint('wh_alone')).execute();
    });
    assert.equal(used, db);
    assert.deepEqual(await stored(['wh_alone']), ['wh_alone']);
  });

  test('a write asked for while a batch is being written goes in the next one, after the first is committed', async () => {
    const commit = createGroupCommit(db);
    let firstCommitted = false;
    let secondSawFirstCommitted: boolean | undefined;
    let second: Promise<void> | undefined;
    const first = commit(async (trx) => {
      await trx.insertInto('webhook_endpoints').values(endpoint('wh_first')).execute();
      second = commit(async (next) => {
        secondSawFirstCommitted = firstCommitted;
        await next.insertInto('webhook_endpoints').values(endpoint('wh_second')).execute();
      });
    }).then(() => {
      firstCommitted = true;
    });
    await first;
    await second;
    assert.equal(secondSawFirstCommitted, true);
    assert.deepEqual(await stored(['wh_first', 'wh_second']), ['wh_first', 'wh_second']);
  });

  test('a write that fails fails alone: the others asked for with it are still written', async () => {
    const commit = createGroupCommit(db);
    await db.insertInto('webhook_endpoints').values(endpoint('wh_taken')).execute();
    const outcomes = await Promise.allSettled(
      ['wh_ok1', 'wh_taken', 'wh_ok2'].map((id) => commit((trx) => trx.insertInto('webhook_endpoints').values(endpoint(id)).execute())),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(await stored(['wh_ok1', 'wh_ok2']), ['wh_ok1', 'wh_ok2']);
  });
});
