// Crash safety: SIGKILL the server while it renders a 12 MP avatar, start it again on the same data dir,
// and check that the job is finished, the avatar appears, and the database and the objects agree; and
// SIGKILL during a PUT: the next start removes the half-written temp file (SQLite), the URL can be used again.
// On PostgreSQL the restarted process takes the job over once the killed one's lease runs out (2 s here).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { twelveMegapixelJpeg } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import { api, fetchBytes, listFiles, startServer, TEST_DATABASE, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

const running: RunningServer[] = [];
const dataDirs: string[] = [];

after(async () => {
  for (const server of running) await server.kill();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

/** Short leases, so that on PostgreSQL a killed process's claims are taken over within seconds. */
const LEASE = { AVATAR_JOB_LEASE_SECONDS: '2' };
/** Kills that land after the render has finished are retried on a fresh server, this many times in all. */
const KILL_ATTEMPTS = 5;

/**
 * Uploads `bytes` to a fresh server and SIGKILLs it as soon as the job has started. A render that finished
 * before the kill leaves nothing to resume, so that server is dropped and the next attempt starts afresh,
 * until the kill has interrupted the render.
 */
async function killMidRender(bytes: Buffer) {
  const outcomes: string[] = [];
  for (let attempt = 1; attempt <= KILL_ATTEMPTS; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-restart-'));
    dataDirs.push(dataDir);
    const first = await startServer({ dataDir, env: { AVATAR_JOB_CONCURRENCY: '1', ...LEASE } });
    running.push(first);
    const token = userToken(first, 'phoenix');
    const fileId = await uploadImage(first, token, bytes);
    await first.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
    await first.kill();
    // The render commits its rows and marks the rendition ready in one transaction; the job row is marked
    // done just after, so the rendition tells whether the kill landed mid-render.
    const [atKill] = await queryDb<{ job: string; rendition: string }>(
      first,
      'select jobs.state as job, renditions.state as rendition from jobs join renditions on renditions.id = jobs.rendition_id where renditions.file_id = ?',
      fileId,
    );
    assert.ok(atKill, 'the job row survived the kill');
    outcomes.push(`${atKill.job}/${atKill.rendition}`);
    if (atKill.rendition === 'processing') {
      assert.equal(atKill.job, 'running', 'an interrupted render leaves its job claimed');
      return { first, dataDir, token, fileId };
    }
    assert.equal(atKill.rendition, 'ready', `rendition state after the kill: ${atKill.rendition}`);
  }
  assert.fail(`the render finished before the kill in all ${KILL_ATTEMPTS} attempts (job/rendition: ${outcomes.join(', ')})`);
}

test('a job killed mid-render is finished after a restart, with database and objects consistent', async () => {
  const bytes = await twelveMegapixelJpeg();
  const { first, dataDir, token, fileId } = await killMidRender(bytes);

  const second = await startServer({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env: { AVATAR_JOB_CONCURRENCY: '1', ...LEASE } });
  running.push(second);
  const file = await waitForFile(second, token, fileId, 60_000);
  assert.equal(file.processing_state, 'ready', JSON.stringify(file));
  assert.equal(file.width, 4000);
  assert.equal(file.height, 3000);

  // The interrupted job ran again (and only the restart could have finished it).
  await second.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
  await second.waitForLine(new RegExp(`^job finished \\S+ ${fileId} ready$`));

  const avatar = await api(second, 'GET', '/v1/users/phoenix/avatar?size=cropped');
  assert.equal(avatar.status, 200, avatar.text);
  assert.equal(avatar.json.width, 2048);
  const image = await fetchBytes(avatar.json.url);
  assert.equal(image.status, 200);
  const meta = await sharp(image.bytes).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 2048, 2048]);
  const mine = await api(second, 'GET', '/v1/users/me', { token });
  assert.equal(mine.json.avatar.file_id, fileId);
  assert.equal(mine.json.avatar_processing, false);
  for (const url of Object.values(mine.json.avatar.urls as Record<string, string>)) assert.equal((await fetchBytes(url)).status, 200, url);

  await second.stop({ keepData: true });

  // Consistency: every variant row has its object, and every object is a known original or a variant row's.
  const variants = await queryDb<{ rendition_id: string; size: string; key: string }>(second, 'select rendition_id, size, key from variants');
  const fileIds = (await queryDb<{ id: string }>(second, 'select id from files')).map((row) => row.id);
  const jobs = (await queryDb<{ state: string }>(second, 'select state from jobs')).map((row) => row.state);
  assert.deepEqual(jobs, ['done'], 'no job is left queued or running');
  for (const { key } of variants) assert.ok(await second.objects.exists(key), `object for variant row ${key}`);
  const renditions = new Set(variants.map((v) => v.rendition_id));
  assert.equal(renditions.size, 1, 'one rendition for one upload');
  assert.deepEqual(variants.map((v) => v.size).sort(), ['cropped', '1600', '512', '256', '128', '64'].sort());

  const variantKeys = new Set(variants.map((v) => v.key));
  const objects = await second.objects.keys();
  for (const path of objects) {
    if (path.startsWith('variants/')) assert.ok(variantKeys.has(path), `${path} belongs to a variant row`);
    else assert.ok(path.startsWith('originals/') && fileIds.includes(path.slice('originals/'.length)), `${path} is a known original`);
  }
  assert.equal(objects.filter((path) => path.startsWith('variants/')).length, variantKeys.size);
  // Nothing lost: the original is byte-for-byte what was uploaded.
  assert.ok((await second.objects.read(`originals/${fileId}`))?.equals(bytes), 'the original is intact');
});

test('a PUT killed half-way leaves a temp file that the next start removes; the upload can then be sent again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-restart-temp-'));
  try {
    // Temp files are the local folder's (an S3 upload is never an object until it is whole: storage.test.ts).
    const env = { ...LEASE, AVATAR_STORAGE: 'local' };
    const first = await startServer({ dataDir: dir, env });
    running.push(first);
    const token = userToken(first, 'halfway');
    const bytes = await twelveMegapixelJpeg();
    const created = await api(first, 'POST', '/v1/uploads', {
      token,
      json: { upload_type: 'profile_pic', filename: 'big.jpg', content_type: 'image/jpeg', size_bytes: bytes.byteLength },
    });
    assert.equal(created.status, 201, created.text);
    // Send half the body over a raw socket and stall, so the server is mid-write when it dies.
    const url = new URL(created.json.upload_url);
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {}); // the server's death resets it
    socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: image/jpeg\r\nContent-Length: ${bytes.byteLength}\r\n\r\n`);
    socket.write(bytes.subarray(0, bytes.byteLength >> 1));
    const tempDir = join(dir, 'tmp');
    await waitUntil(async () => (await listFiles(tempDir)).some((f) => f.endsWith('.part')) || undefined, 'the half-written temp file');
    await first.kill();
    socket.destroy();
    assert.equal((await listFiles(tempDir)).filter((f) => f.endsWith('.part')).length, 1, 'the kill left the temp file behind');

    const [killedTemp] = await listFiles(tempDir);

    const second = await startServer({ dataDir: dir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env });
    running.push(second);
    if (TEST_DATABASE === 'sqlite') {
      await waitUntil(async () => !(await listFiles(tempDir)).some((f) => f.endsWith('.part')) || undefined, 'the stale temp file to be removed');
    } else {
      // Processes sharing PostgreSQL may share the folder, so a start cannot tell a dead writer's temp file from a
      // live one's: it is removed once untouched for STALE_TEMP_MS (server/renditions/cleanup.ts). The killed PUT's
      // reservation of the upload URL holds until its lease runs out.
      await waitUntil(
        async () => (await queryValue(second, 'select count(*) as n from upload_reservations where expires_at >= ?', Math.floor(Date.now() / 1000))) === 0 || undefined,
        'the killed PUT to lose its reservation',
      );
    }
    const put = await fetch(created.json.upload_url.replace(first.url, second.url), { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: new Uint8Array(bytes) });
    assert.equal(put.status, 204, 'nothing was marked received by the killed PUT');
    const left = TEST_DATABASE === 'sqlite' ? [] : [killedTemp];
    assert.deepEqual(await listFiles(tempDir), left, 'a finished write leaves no temp file');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
