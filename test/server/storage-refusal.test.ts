// Issue 19 #1: a bucket whose policy (or the server's IAM role) refuses bucket-level calls — ListObjectsV2 and
// DeleteObjects on the bucket path, as without s3:ListBucket — against the real S3-protocol test server behind a
// proxy that refuses them. Clearing a rendition's objects then fails; the outcome of every job is recorded
// anyway (the clean-up is left to the sweep), no file stays `processing` longer than its attempts × deadline, and
// the log names the refused call and the permission it needs.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_ATTEMPTS } from '../../server/work/job-queue.ts';
import { jpeg, twelveMegapixelJpeg } from '../fixtures/images.ts';
import { jpegStartWithEoi } from '../fixtures/hostile.ts';
import { queryValue } from '../helpers/database.ts';
import { bucketLevel, serverStorageEnv, startFaultProxy, startS3Server, type FaultProxy, type RunningS3 } from '../helpers/s3-server.ts';
import { startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

/** Short processing deadlines, so that "attempts × deadline" is a bound a test can wait for. */
const PROCESSING_TIMEOUT_SECONDS = 5;
/** An attempt may take twice the processing timeout (server.ts), and a job has MAX_ATTEMPTS of them. */
const LONGEST_PROCESSING_MS = MAX_ATTEMPTS * 2 * PROCESSING_TIMEOUT_SECONDS * 1000;
/** The log line that tells an operator what to grant. */
const NAMES_CALL_AND_PERMISSION = /ListObjectsV2 .*AccessDenied.*s3:ListBucket/;

describe('a bucket that refuses bucket-level calls (no s3:ListBucket)', () => {
  let s3: RunningS3;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  const servers: RunningServer[] = [];
  const dirs: string[] = [];

  before(async () => {
    s3 = await startS3Server();
    proxy = await startFaultProxy(s3.endpoint);
    proxy.refuse(bucketLevel);
    env = {
      ...serverStorageEnv({ ...s3, endpoint: proxy.url }, s3.bucket),
      AVATAR_PROCESSING_TIMEOUT_SECONDS: String(PROCESSING_TIMEOUT_SECONDS),
      AVATAR_CLEANUP_GRACE_SECONDS: '0',
      AVATAR_JOB_LEASE_SECONDS: '2',
      AVATAR_JOB_CONCURRENCY: '1',
    };
  });
  after(async () => {
    for (const server of servers) await server.kill();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    await proxy?.close();
    await s3?.stop();
  });

  test('an image that fails is recorded failed at once; the sweep that cannot clear its objects names the call and the permission', async () => {
    const server = await startServer({ env });
    servers.push(server);
    const token = userToken(server, 'refused-clean-up');
    const fileId = await uploadImage(server, token, jpegStartWithEoi(await jpeg(640, 480)));
    const file = await waitForFile(server, token, fileId, LONGEST_PROCESSING_MS);
    assert.equal(file.processing_state, 'failed', JSON.stringify(file));
    assert.equal(file.error.code, 'IMAGE_INVALID');
    // The failed rendition's objects are the sweep's (grace 0: every second); the bucket refuses to list them.
    const line = await server.waitForLine(NAMES_CALL_AND_PERMISSION);
    assert.match(line, /^cleanup: /);
    assert.ok(proxy.requests.some((request) => request === `GET /${s3.bucket}/`), 'the listing really was asked for and refused');
  });

  test('a job killed mid-render runs again and becomes ready, though clearing the cut-off attempt is refused', async () => {
    // The kill must land while the render runs (not after its commit): a try where it did not is made again.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'avatar-refusal-'));
      dirs.push(dataDir);
      const first = await startServer({ dataDir, env });
      servers.push(first);
      const token = userToken(first, `killed-${attempt}`);
      const fileId = await uploadImage(first, token, await twelveMegapixelJpeg());
      await first.waitForLine(new RegExp(`^job started \\S+ ${fileId}$`));
      await first.kill();
      const state = await queryValue<string>(first, 'select state from renditions where file_id = ?', fileId);
      if (state !== 'processing') continue;

      const second = await startServer({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env });
      servers.push(second);
      const file = await waitForFile(second, token, fileId, LONGEST_PROCESSING_MS);
      assert.equal(file.processing_state, 'ready', JSON.stringify(file));
      const line = await second.waitForLine(/clearing rendition \S+ before its re-run failed/);
      assert.match(line, NAMES_CALL_AND_PERMISSION);
      return;
    }
    assert.fail('in 3 tries the render always finished before the kill');
  });
});
