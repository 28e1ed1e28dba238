// Finished render jobs (done or failed) are purged by the sweeper once FINISHED_JOB_RETENTION_SECONDS have passed
// since they finished; newer ones stay. Age is made by moving a job's updated_at back in its database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FINISHED_JOB_RETENTION_SECONDS } from '../../server/work/job-queue.ts';
import { jpeg } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import { startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';

describe('finished jobs are purged after their retention', () => {
  let server: RunningServer;
  before(async () => {
    // A 1 s grace period: the sweeper runs every second.
    server = await startServer({ env: { AVATAR_CLEANUP_GRACE_SECONDS: '1', AVATAR_UPLOAD_RATE_LIMIT: '1000' } });
  });
  after(async () => {
    await server?.stop();
  });

  const jobOf = async (fileId: string) =>
    (await queryDb<{ id: number; state: string }>(server, 'select j.id, j.state from jobs j join renditions r on r.id = j.rendition_id where r.file_id = ?', fileId))[0];

  test('done and failed jobs older than the retention go; newer ones and the files stay', async () => {
    const token = userToken(server, 'retained');
    const files: string[] = [];
    for (const side of [60, 70, 80]) {
      const fileId = await uploadImage(server, token, await jpeg(side, side));
      assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
      files.push(fileId);
    }
    // A job is settled just after its file is ready: wait until all three are.
    const jobs = await waitUntil(async () => {
      const found = await Promise.all(files.map(jobOf));
      return found.every((job) => job?.state === 'done') ? found.map((job) => job!.id) : undefined;
    }, 'the three jobs to be done');
    const [oldDone, oldFailed, recent] = jobs as [number, number, number];
    await queryDb(server, "update jobs set state = 'failed' where id = ?", oldFailed);
    // Just past the retention, and just within it.
    await queryDb(server, 'update jobs set updated_at = updated_at - ? where id in (?, ?)', FINISHED_JOB_RETENTION_SECONDS + 60, oldDone, oldFailed);
    await queryDb(server, 'update jobs set updated_at = updated_at - ? where id = ?', FINISHED_JOB_RETENTION_SECONDS - 3600, recent);

    await waitUntil(async () => Number(await queryValue(server, 'select count(*) from jobs where id in (?, ?)', oldDone, oldFailed)) === 0 || undefined, 'the sweeper to purge the old jobs');
    assert.deepEqual(await queryDb(server, 'select id, state from jobs where id = ?', recent), [{ id: recent, state: 'done' }]);
    for (const fileId of files) assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
  });
});
