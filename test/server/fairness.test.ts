// Issue 19 #2–#4: one user (or one webhook endpoint) must not starve the others. Render jobs are claimed round-robin
// between users; the order is read from the server's own "job started" lines, so nothing here is timed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jpeg } from '../fixtures/images.ts';
import { api, startServer, uploadImage, userToken, waitForFile, type RunningServer } from '../helpers/server.ts';

/** Uploads and PUTs a photo without completing it: the complete is what queues its job. */
async function uploaded(server: RunningServer, token: string, bytes: Uint8Array): Promise<string> {
  const created = await api(server, 'POST', '/v1/uploads', { token, json: { upload_type: 'profile_pic', filename: 'p.jpg', content_type: 'image/jpeg', size_bytes: bytes.byteLength } });
  assert.equal(created.status, 201, created.text);
  const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
  assert.ok(put.ok, await put.text());
  return created.json.file_id;
}

const complete = async (server: RunningServer, token: string, fileId: string) =>
  assert.equal((await api(server, 'POST', `/v1/uploads/${fileId}/complete`, { token })).status, 202);

/** File ids in the order their jobs started, from the server's log. */
const startOrder = (server: RunningServer) => server.lines.flatMap((line) => /^job started \S+ (\S+)$/.exec(line)?.[1] ?? []);

describe('render jobs are shared out between users', () => {
  let server: RunningServer;
  before(async () => {
    // One job at a time: the hardest case, where the flooding user has nothing running at each claim.
    server = await startServer({ env: { AVATAR_JOB_CONCURRENCY: '1', AVATAR_UPLOAD_RATE_LIMIT: '1000' } });
  });
  after(async () => {
    await server?.stop();
  });

  test("another user's photo is processed next, not after one user's backlog", async () => {
    const flooder = userToken(server, 'flooder');
    const other = userToken(server, 'other');
    const photo = await jpeg(2400, 2400);
    const backlog = await Promise.all(Array.from({ length: 5 }, () => uploaded(server, flooder, photo)));
    const single = await uploaded(server, other, await jpeg(400, 400));
    for (const fileId of backlog) await complete(server, flooder, fileId);
    await complete(server, other, single);
    // Jobs of the backlog that had started by now could not have waited for the other user's.
    const startedBefore = new Set(startOrder(server));
    assert.ok(startedBefore.size < backlog.length, 'some of the backlog is still queued when the other photo arrives');

    await waitForFile(server, other, single);
    for (const fileId of backlog) await waitForFile(server, flooder, fileId);
    const order = startOrder(server);
    const queuedBacklog = backlog.filter((id) => !startedBefore.has(id));
    for (const fileId of queuedBacklog) {
      assert.ok(order.indexOf(single) < order.indexOf(fileId), `the other user's job started before ${fileId} of the backlog: ${order.join(' ')}`);
    }
  });
});
