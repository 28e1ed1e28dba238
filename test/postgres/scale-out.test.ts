// Several avatar-server processes on one PostgreSQL database and one folder or bucket (issue 12): migrations run once when
// they start together; each job runs on one process, and a job whose process is killed is finished by another
// once its lease runs out; the upload rate limit, the one-writer-per-upload guard and shortcode uniqueness hold
// across processes; each webhook event is delivered by one process; sweepers run one at a time.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAlone } from '../../server/db/dialect.ts';
import { openDatabase } from '../../server/db/index.ts';
import { migrations } from '../../server/db/migrations.ts';
import { jpeg, twelveMegapixelJpeg } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import { testPostgres } from '../helpers/postgres.ts';
import { api, expectError, runCli, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

/** Processes sharing one database and one data dir (and so one bucket with S3), as behind a load balancer. */
interface Cluster {
  databaseUrl: string;
  dataDir: string;
  servers: RunningServer[];
  /** Starts one more process of the cluster. */
  add(env?: Record<string, string>): Promise<RunningServer>;
}

const clusters: Cluster[] = [];

/**
 * Twenty more large sizes to encode (2048, 2028, … 1668): a 12 MP upload then takes seconds to render, longer than a
 * short lease. (Nine were enough while every size was resized from the largest; made from the next larger one, each
 * costs little more than its encode.)
 */
const SLOW_RENDER = { AVATAR_AVATAR_SIZES: Array.from({ length: 20 }, (_, i) => 2048 - 20 * i).join(',') };

async function cluster(env: Record<string, string> = {}): Promise<Cluster> {
  const databaseUrl = await (await testPostgres()).createDatabase('avatar_scale');
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-scale-'));
  const jwtSecret = randomBytes(32).toString('hex');
  const adminKey = randomBytes(24).toString('hex');
  const servers: RunningServer[] = [];
  const c: Cluster = {
    databaseUrl,
    dataDir,
    servers,
    async add(extra = {}) {
      const server = await startServer({ dataDir, jwtSecret, adminKey, env: { ...env, ...extra, DATABASE_URL: databaseUrl } });
      servers.push(server);
      return server;
    },
  };
  clusters.push(c);
  return c;
}

after(async () => {
  for (const c of clusters) {
    await Promise.all(c.servers.map((s) => s.stop()));
    await rm(c.dataDir, { recursive: true, force: true });
    await (await testPostgres()).dropDatabase(c.databaseUrl);
  }
});

/** `job started <job id> <file id>` lines of a process, as [job id, file id]. */
const jobsStarted = (server: RunningServer) =>
  server.lines.filter((line) => line.startsWith('job started ')).map((line) => line.split(' ').slice(2) as [string, string]);

describe('start-up', () => {
  test('processes starting together on a fresh database migrate it once, and all start', async () => {
    const c = await cluster();
    await Promise.all([c.add(), c.add(), c.add()]);
    const applied = await queryDb<{ name: string }>(c, 'select name from kysely_migration order by name');
    assert.deepEqual(applied.map((m) => m.name), Object.keys(await migrations.getMigrations()).sort(), 'each migration once');
    for (const server of c.servers) assert.equal((await api(server, 'GET', '/readyz')).status, 200);
  });

  test('a DATABASE_URL that cannot be reached stops start-up with one line naming it (and no password)', async () => {
    const env = { AVATAR_JWT_SECRET: 'x'.repeat(32), AVATAR_ADMIN_KEY: 'y'.repeat(16), DATABASE_URL: 'postgres://app:s3cret@127.0.0.1:1/avatars' };
    const { code, output } = await runCli(['--port', '0'], env);
    assert.equal(code, 1);
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 1, output);
    assert.match(lines[0]!, /^avatar-server: DATABASE_URL: cannot connect to postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/avatars: /);
    assert.doesNotMatch(output, /s3cret/);
  });
});

describe('jobs', () => {
  test('20 uploads completed on two processes: every job runs exactly once, to ready', async () => {
    const c = await cluster({ AVATAR_JOB_CONCURRENCY: '2' });
    const [a, b] = await Promise.all([c.add(), c.add()]);
    const token = userToken(a!, 'crowd');
    const bytes = await Promise.all(Array.from({ length: 20 }, (_, i) => jpeg(64 + i, 48 + i)));
    const fileIds = await Promise.all(bytes.map((image, i) => uploadImage(i % 2 ? b! : a!, token, image, { setAsAvatar: false })));
    for (const id of fileIds) assert.equal((await waitForFile(a!, token, id)).processing_state, 'ready');

    const started = [...jobsStarted(a!), ...jobsStarted(b!)];
    assert.deepEqual(started.map(([, file]) => file).sort(), [...fileIds].sort(), 'each file rendered once, by one process');
    assert.ok(jobsStarted(a!).length > 0 && jobsStarted(b!).length > 0, 'both processes took jobs');
    // A file is ready when its render commits; its job row is settled just after, once the attempt has returned.
    await waitUntil(async () => (await queryValue(c, "select count(*) from jobs where state in ('queued', 'running')")) === 0, 'every job settled');
    const jobs = await queryDb<{ state: string; attempts: number; lease_until: number | null }>(c, 'select state, attempts, lease_until from jobs');
    assert.equal(jobs.length, 20);
    for (const job of jobs) assert.deepEqual(job, { state: 'done', attempts: 1, lease_until: null });
  });

  test('a job that runs longer than its lease stays with its process (the lease is renewed)', async () => {
    const c = await cluster({ ...SLOW_RENDER, AVATAR_JOB_LEASE_SECONDS: '1', AVATAR_JOB_CONCURRENCY: '1' });
    const [a, b] = await Promise.all([c.add(), c.add()]);
    const token = userToken(a!, 'patient');
    const fileId = await uploadImage(a!, token, await twelveMegapixelJpeg(), { setAsAvatar: false });
    await a!.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
    const startedAt = performance.now();
    await a!.waitForLine(new RegExp(`^job finished \\S+ ${fileId} ready$`), 60_000);
    const took = performance.now() - startedAt;
    assert.ok(took > 1500, `the render took ${Math.round(took)} ms, too short to outlive a 1 s lease: the test proves nothing`);
    assert.deepEqual(jobsStarted(b!), [], 'the other process never took it over');
    // The "job finished" line comes as the attempt returns; its job row is settled just after.
    await waitUntil(async () => (await queryValue(c, "select count(*) from jobs where state in ('queued', 'running')")) === 0, 'the job settled');
    assert.deepEqual(await queryDb(c, 'select state, attempts from jobs'), [{ state: 'done', attempts: 1 }]);
  });

  test('kill -9 of the process running a job: another finishes it once the lease runs out', async () => {
    const c = await cluster({ ...SLOW_RENDER, AVATAR_JOB_LEASE_SECONDS: '2', AVATAR_JOB_CONCURRENCY: '1' });
    const pair = await Promise.all([c.add(), c.add()]);
    const token = userToken(pair[0]!, 'phoenix');
    const fileId = await uploadImage(pair[0]!, token, await twelveMegapixelJpeg());
    // Whichever process took the job is killed; the other must finish it.
    const started = new RegExp(`^job started \\S+ ${fileId}$`);
    const a = await Promise.race(pair.map((server) => server.waitForLine(started).then(() => server)));
    const b = pair.find((server) => server !== a)!;
    await a.kill();
    const [atKill] = await queryDb<{ state: string }>(c, 'select state from renditions where file_id = ?', fileId);
    assert.equal(atKill?.state, 'processing', 'the kill landed mid-render');

    const file = await waitForFile(b, token, fileId, 60_000);
    assert.equal(file.processing_state, 'ready', JSON.stringify(file));
    assert.equal((await api(b, 'GET', '/v1/users/me', { token })).json.avatar.file_id, fileId);
    assert.deepEqual(jobsStarted(b).map(([, id]) => id), [fileId], 'the other process ran it');
    await waitUntil(async () => (await queryValue(c, "select count(*) from jobs where state in ('queued', 'running')")) === 0, 'the job settled');
    assert.deepEqual(await queryDb(c, 'select state, attempts from jobs'), [{ state: 'done', attempts: 2 }]);
  });
});

describe('GET /v1/files/{id}?wait=N across processes', () => {
  test('a wait on one process is answered when another process finishes the file (LISTEN/NOTIFY)', async () => {
    const c = await cluster({ ...SLOW_RENDER, AVATAR_JOB_CONCURRENCY: '1' });
    // Both processes are up before the upload (starting one takes as long as a render on a loaded machine): whichever
    // takes the job renders it, and the other can only learn of the outcome from it.
    const pair = await Promise.all([c.add(), c.add()]);
    const token = userToken(pair[0]!, 'waits-elsewhere');
    const renderedElsewhere = async () => {
      const fileId = await uploadImage(pair[0]!, token, await twelveMegapixelJpeg(), { setAsAvatar: false });
      const started = new RegExp(`^job started \\S+ ${fileId}$`);
      const renderer = await Promise.race(pair.map((server) => server.waitForLine(started).then(() => server)));
      return { fileId, waiter: pair.find((server) => server !== renderer)! };
    };

    const { fileId, waiter } = await renderedElsewhere();
    assert.equal((await api(waiter, 'GET', `/v1/files/${fileId}`, { token })).json.processing_state, 'processing', 'still rendering: the test would prove nothing');
    // Without a notification from the other process, the wait would answer "processing" after the full 30 s.
    const waited = await api(waiter, 'GET', `/v1/files/${fileId}?wait=30`, { token });
    assert.equal(waited.json.processing_state, 'ready');
    assert.ok(!jobsStarted(waiter).some(([, id]) => id === fileId), 'the waiting process never rendered it');

    // The listening connections are cut (a database restart, a proxy's idle timeout): each process listens again.
    // This cluster's database only: other test files' servers listen on the same PostgreSQL server meanwhile.
    const cut = await queryDb<{ ok: boolean }>(
      c,
      "select pg_terminate_backend(pid) as ok from pg_stat_activity where query = 'LISTEN avatar_file_settled' and datname = current_database()",
    );
    assert.equal(cut.length, 2, 'one listening connection per process');
    await Promise.all(pair.map((server) => server.waitForLine(/^file wait listener: .*reconnecting$/)));
    const next = await renderedElsewhere();
    assert.equal((await api(next.waiter, 'GET', `/v1/files/${next.fileId}?wait=30`, { token })).json.processing_state, 'ready');
  });
});

describe('shared limits and guards', () => {
  let a: RunningServer;
  let b: RunningServer;
  before(async () => {
    const c = await cluster({ AVATAR_UPLOAD_RATE_LIMIT: '3' });
    [a, b] = (await Promise.all([c.add(), c.add()])) as [RunningServer, RunningServer];
  });

  const createUpload = (server: RunningServer, user: string, json: Record<string, unknown> = {}) =>
    api(server, 'POST', '/v1/uploads', {
      token: userToken(server, user),
      json: { upload_type: 'profile_pic', filename: 'a.jpg', content_type: 'image/jpeg', size_bytes: 1000, ...json },
    });

  test('the upload rate limit counts a user\'s uploads on every process together', async () => {
    assert.equal((await createUpload(a, 'eager')).status, 201);
    assert.equal((await createUpload(b, 'eager')).status, 201);
    assert.equal((await createUpload(a, 'eager')).status, 201);
    const refused = await createUpload(b, 'eager');
    expectError(refused, 429, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    expectError(await createUpload(a, 'eager'), 429, 'RATE_LIMITED');
    assert.equal((await createUpload(b, 'someone-else')).status, 201, 'other users are not limited');
  });

  test('the same shortcode created on two processes at once: one 201, the others 409 SHORTCODE_TAKEN', async () => {
    for (let round = 0; round < 5; round++) {
      const attempts = [a, b, a].map((server, i) => createUpload(server, `racer${round}`, { upload_type: 'emote', content_type: 'image/png', shortcode: i % 2 ? `Dup${round}` : `dup${round}` }));
      const results = await Promise.all(attempts);
      assert.equal(results.filter((r) => r.status === 201).length, 1, results.map((r) => `${r.status} ${r.text}`).join(' | '));
      for (const lost of results.filter((r) => r.status !== 201)) expectError(lost, 409, 'SHORTCODE_TAKEN');
    }
  });

  test('while one process receives an upload\'s bytes, a PUT of the same URL to another is 409; afterwards it may be sent', async () => {
    // The processes receive upload PUTs themselves with local storage (shared here as one folder); with S3 the
    // bucket does, and this guard is the bucket's.
    const local = await cluster({ AVATAR_STORAGE: 'local' });
    const [a, b] = (await Promise.all([local.add(), local.add()])) as [RunningServer, RunningServer];
    const bytes = await jpeg(400, 300);
    const created = await createUpload(a, 'twice', { size_bytes: bytes.byteLength });
    assert.equal(created.status, 201, created.text);
    // Half the body to A over a raw socket, then stall: A is mid-write and holds the upload.
    const url = new URL(created.json.upload_url);
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: image/jpeg\r\nContent-Length: ${bytes.byteLength}\r\n\r\n`);
    socket.write(bytes.subarray(0, bytes.byteLength >> 1));
    await waitUntil(async () => (await queryValue(a, 'select count(*) as n from upload_reservations')) > 0 || undefined, 'A to reserve the upload');

    const onB = created.json.upload_url.replace(a.url, b.url);
    const put = (target: string) => fetch(target, { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: new Uint8Array(bytes) });
    const second = await put(onB);
    assert.equal(second.status, 409);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'UPLOAD_ALREADY_RECEIVED');

    socket.destroy(); // the first PUT dies: A stores nothing and lets go of the upload
    await waitUntil(async () => (await queryValue(a, 'select count(*) as n from upload_reservations')) === 0 || undefined, 'A to release the upload');
    assert.equal((await put(onB)).status, 204);
    assert.equal((await put(created.json.upload_url)).status, 409, 'and it is single-use everywhere');
  });
});

test('webhook events made on two processes are each delivered once, by one process', async () => {
  const receiver = await startReceiver();
  try {
    const c = await cluster({ AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' });
    const [a, b] = await Promise.all([c.add(), c.add()]);
    const hook = await api(a!, 'POST', '/v1/admin/webhooks', { headers: { authorization: `Bearer ${a!.adminKey}` }, json: { url: receiver.url, events: ['avatar.ready'] } });
    assert.equal(hook.status, 201, hook.text);
    const users = Array.from({ length: 12 }, (_, i) => `hooked${i}`);
    const images = await Promise.all(users.map((_, i) => jpeg(40 + i, 40 + i)));
    const fileIds = await Promise.all(users.map((user, i) => uploadImage(i % 2 ? b! : a!, userToken(a!, user), images[i]!)));
    await receiver.waitForCount(fileIds.length, 60_000);
    await waitUntil(
      async () => (await queryValue(c, "select count(*) as n from webhook_deliveries where state <> 'succeeded'")) === 0 || undefined,
      'every delivery to be recorded',
    );
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, fileIds.length, 'one request per event');
    assert.equal(new Set(ids).size, fileIds.length, 'no event delivered twice');
    assert.deepEqual(await queryDb(c, 'select distinct attempts from webhook_deliveries'), [{ attempts: 1 }]);
  } finally {
    await receiver.close();
  }
});

test('sweepers: while one process holds the sweep, another skips it', async () => {
  const databaseUrl = await (await testPostgres()).createDatabase('avatar_sweep');
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-sweep-'));
  const [first, second] = await Promise.all([openDatabase({ dataDir, databaseUrl }), openDatabase({ dataDir, databaseUrl })]);
  try {
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held = runAlone(first, 'test:sweep', async () => {
      entered();
      await holding;
    });
    await inside;
    let ran = false;
    assert.equal(await runAlone(second, 'test:sweep', async () => void (ran = true)), false);
    assert.equal(ran, false);
    release();
    assert.equal(await held, true);
    assert.equal(await runAlone(second, 'test:sweep', async () => void (ran = true)), true, 'free again once the first is done');
    assert.equal(ran, true);
  } finally {
    await first.destroy();
    await second.destroy();
    await rm(dataDir, { recursive: true, force: true });
    await (await testPostgres()).dropDatabase(databaseUrl);
  }
});
