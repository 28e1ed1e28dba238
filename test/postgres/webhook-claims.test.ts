// Two avatar-server processes claiming webhook deliveries from one PostgreSQL database at the same time, with a
// backlog of hundreds: no delivery is sent twice, and a user's deliveries to an endpoint never overlap, whichever
// process sends them (claims take turns under an advisory lock; claim.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/index.ts';
import { recordEvent } from '../../server/webhooks/outbox.ts';
import { queryDb } from '../helpers/database.ts';
import { testPostgres } from '../helpers/postgres.ts';
import { api, startServer, waitUntil, type RunningServer } from '../helpers/server.ts';

/** Fewer (endpoint, user) keys than either process has slots: each could take every key's next delivery at once. */
const USERS = 5;
const EVENTS_PER_USER = 40;
/** How long the receiver takes to answer: long enough for a second request of the same key to show up meanwhile. */
const ANSWER_MS = 4;

interface Arrival {
  path: string;
  id: string;
  user: string;
  version: number;
}

/**
 * A receiver that answers each request after ANSWER_MS and notes every request that arrives while another of the
 * same (endpoint path, user) or the same delivery is still unanswered.
 */
async function startOverlapReceiver() {
  const arrivals: Arrival[] = [];
  const overlaps: string[] = [];
  const open = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { user_id: string | null; version?: number } };
      const arrival = { path: req.url ?? '', id: String(req.headers['webhook-id']), user: data.user_id ?? '', version: data.version ?? 0 };
      arrivals.push(arrival);
      const keys = [`delivery ${arrival.path} ${arrival.id}`, ...(data.user_id === null ? [] : [`user ${arrival.path} ${arrival.user}`])];
      for (const key of keys) {
        if (open.has(key)) overlaps.push(key);
        open.add(key);
      }
      setTimeout(() => {
        for (const key of keys) open.delete(key);
        res.writeHead(204).end();
      }, ANSWER_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    overlaps,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('two processes sending a backlog at once never send a delivery twice, nor two of one user to one endpoint at a time', async () => {
  const receiver = await startOverlapReceiver();
  cleanup.push(receiver.close);
  const databaseUrl = await (await testPostgres()).createDatabase('avatar_claims');
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-claims-'));
  cleanup.push(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await (await testPostgres()).dropDatabase(databaseUrl);
  });
  const jwtSecret = randomBytes(32).toString('hex');
  const adminKey = randomBytes(24).toString('hex');
  const env = { DATABASE_URL: databaseUrl, AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' };
  const servers: RunningServer[] = await Promise.all([0, 1].map(() => startServer({ dataDir, jwtSecret, adminKey, env })));
  cleanup.push(async () => void (await Promise.all(servers.map((s) => s.stop({ keepData: true })))));
  const [a, b] = servers as [RunningServer, RunningServer];
  const auth = { authorization: `Bearer ${adminKey}` };
  const hooks: string[] = [];
  for (const path of ['/one', '/two']) {
    const hook = await api(a, 'POST', '/v1/admin/webhooks', { headers: auth, json: { url: `${receiver.url}${path}` } });
    assert.equal(hook.status, 201, hook.text);
    hooks.push(hook.json.id);
  }

  // The backlog, written behind the servers' backs (they look every 10 s), then a test event on each wakes both at once.
  const db = await openDatabase({ dataDir, databaseUrl });
  try {
    const now = Math.floor(Date.now() / 1000);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < USERS * EVENTS_PER_USER; i++) {
        await recordEvent(trx, now, 'avatar.ready', { user_id: `u${i % USERS}`, file_id: `f_${i}`, version: Math.floor(i / USERS) + 1 });
      }
    });
  } finally {
    await db.destroy();
  }
  const expected = USERS * EVENTS_PER_USER * hooks.length + 2;
  const kicked = await Promise.all([api(a, 'POST', `/v1/admin/webhooks/${hooks[0]}/test`, { headers: auth }), api(b, 'POST', `/v1/admin/webhooks/${hooks[1]}/test`, { headers: auth })]);
  for (const res of kicked) assert.equal(res.status, 202, res.text);

  await waitUntil(async () => receiver.arrivals.length >= expected || undefined, `${expected} deliveries to arrive`, 60_000);
  await waitUntil(
    async () => (await queryDb<{ n: number }>({ dataDir, databaseUrl }, "select count(*) as n from webhook_deliveries where state <> 'succeeded'"))[0]!.n === 0 || undefined,
    'every delivery to be recorded',
  );

  assert.deepEqual(receiver.overlaps, [], 'no delivery, and no two of one user to one endpoint, in flight at once');
  assert.equal(receiver.arrivals.length, expected, 'each delivery sent once');
  assert.equal(new Set(receiver.arrivals.map((r) => `${r.path} ${r.id}`)).size, expected);
  assert.deepEqual(await queryDb({ dataDir, databaseUrl }, 'select distinct attempts from webhook_deliveries'), [{ attempts: 1 }]);
  const lastVersion = new Map<string, number>();
  for (const arrival of receiver.arrivals.filter((r) => r.user !== '')) {
    const key = `${arrival.path} ${arrival.user}`;
    assert.ok((lastVersion.get(key) ?? 0) < arrival.version, `${key}: version ${arrival.version} after ${lastVersion.get(key)}`);
    lastVersion.set(key, arrival.version);
  }
  const sentBy = servers.map((s) => s.lines.filter((line) => line.startsWith('webhook succeeded ')).length);
  assert.equal(sentBy[0]! + sentBy[1]!, expected);
  assert.ok(sentBy.every((n) => n > 0), `both processes sent deliveries (${sentBy.join(' + ')})`);
});
