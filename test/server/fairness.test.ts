// Issue 19 #2–#4: one user (or one webhook endpoint) must not starve the others. Render jobs are claimed round-robin
// between users, webhook deliveries per user and endpoint with a cap per endpoint, an endpoint that keeps failing is
// backed off, and avatar and emote changes are rate-limited like uploads. Orders are read from the server's own log
// lines and the receivers' arrival order, so nothing here is timed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_CONCURRENCY, PER_ENDPOINT } from '../../server/webhooks/dispatcher.ts';
import { BACKOFF_AFTER } from '../../server/webhooks/health.ts';
import { jpeg } from '../fixtures/images.ts';
import { queryDb, queryValue } from '../helpers/database.ts';
import { TEST_DATABASE, api, completeUpload, expectError, sendImage, startServer, uploadImage, userToken, waitForFile, waitUntil, type RunningServer } from '../helpers/server.ts';
import { adminAuth, deliveries } from '../helpers/webhook-admin.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

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
    const photo = await jpeg(1600, 1600);
    const backlog = await Promise.all(Array.from({ length: 6 }, () => sendImage(server, flooder, photo)));
    const single = await sendImage(server, other, await jpeg(400, 400));
    // The backlog is queued at once; the other photo right after, while the first of the backlog renders.
    await Promise.all(backlog.map((fileId) => completeUpload(server, flooder, fileId)));
    await completeUpload(server, other, single);

    await waitForFile(server, other, single);
    for (const fileId of backlog) await waitForFile(server, flooder, fileId);
    const order = startOrder(server);
    assert.deepEqual([...order].sort(), [...backlog, single].sort(), 'each job started once');
    // First in, first out would start it last (7th). Fair claims start it next after the job running when it came
    // (2nd), or the one after if the first of the backlog ended within the moment its complete took (3rd).
    assert.ok(order.indexOf(single) <= 2, `the other user's job started ${order.indexOf(single) + 1}th: ${order.join(' ')}`);
  });
});

/** Adds a webhook endpoint for `url` through the admin API; returns its id. */
async function addEndpoint(server: RunningServer, url: string, events?: string[]): Promise<string> {
  const res = await api(server, 'POST', '/v1/admin/webhooks', { headers: adminAuth(server), json: { url, ...(events ? { events } : {}) } });
  assert.equal(res.status, 201, res.text);
  return res.json.id;
}

const sendTestEvent = async (server: RunningServer, endpointId: string) => {
  const res = await api(server, 'POST', `/v1/admin/webhooks/${endpointId}/test`, { headers: adminAuth(server) });
  assert.equal(res.status, 202, res.text);
  return res.json as { event_id: string; delivery_id: string };
};

/**
 * `count` due deliveries of one user's events to one endpoint, written straight into the outbox as a burst of
 * changes would have (the API now refuses such a burst: see the rate limit below). With `eachUser`, each of
 * `count` users (`userId-1`, `userId-2`, …) has one of them instead.
 */
async function seedBacklog(server: RunningServer, endpointId: string, userId: string, count: number, { eachUser = false } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const numbers = `with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})`;
  const user = eachUser ? `? || '-' || i` : '?';
  await queryDb(server, `${numbers} insert into webhook_events (id, type, user_id, body, created_at)
    select 'msg_flood_' || i, 'avatar.removed', ${user}, '{"type":"avatar.removed","data":{"user_id":"' || ${user} || '"}}', ? from n`, userId, userId, now);
  // Positions after every delivery there is (PostgreSQL: from the sequence the server numbers them with).
  const base = Number(await queryValue(server, 'select coalesce(max(seq), 0) from webhook_deliveries'));
  const seq = TEST_DATABASE === 'postgres' ? "nextval('webhook_deliveries_seq_order')" : `${base} + i`;
  await queryDb(server, `${numbers} insert into webhook_deliveries
    (id, seq, event_id, endpoint_id, user_id, state, attempts, next_attempt_at, attempt_log, created_at, updated_at)
    select 'dlv_flood_' || i, ${seq}, 'msg_flood_' || i, ?, ${user}, 'pending', 0, ?, '[]', ?, ? from n`, endpointId, userId, now, now, now);
}

describe('webhook deliveries are claimed fairly', () => {
  let server: RunningServer;
  let receiver: Receiver;
  let hanging: Receiver;
  before(async () => {
    receiver = await startReceiver();
    hanging = await startReceiver();
    hanging.answer = () => 'hang';
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' } });
  });
  after(async () => {
    hanging?.release();
    await server?.stop();
    await receiver?.close();
    await hanging?.close();
  });

  test("one user's backlog of thousands of events does not hide another user's event", async () => {
    const endpoint = await addEndpoint(server, `${receiver.url}/flood`, ['avatar.ready', 'avatar.removed']);
    // More than the old claim ever read ahead (2,592 due deliveries), all of one user, all due now.
    await seedBacklog(server, endpoint, 'flooder', 3000);
    const cartoon = await api(server, 'POST', '/v1/users/me/avatar/config', { token: userToken(server, 'bystander'), json: { data: {} } });
    assert.equal(cartoon.status, 200, cartoon.text);
    const theirs = await receiver.waitFor((r) => r.body.includes('"user_id":"bystander"'), "the other user's avatar.ready");
    const floodBefore = receiver.received.slice(0, receiver.received.indexOf(theirs)).length;
    // The backlog goes one at a time (one user's events are in order): a handful at most went first.
    assert.ok(floodBefore < 20, `${floodBefore} of the backlog's deliveries went before the other user's event`);
  });

  test('an endpoint that never answers holds its share of the delivery slots, not all of them', async () => {
    const dead = await addEndpoint(server, `${hanging.url}/dead`);
    const healthy = await addEndpoint(server, `${receiver.url}/healthy`);
    for (let i = 0; i < 64; i++) await sendTestEvent(server, dead);
    await hanging.waitForCount(1);
    const { event_id } = await sendTestEvent(server, healthy);
    await receiver.waitFor((r) => r.headers['webhook-id'] === event_id, "the healthy endpoint's test event");
    // It went while the dead endpoint's requests were all still hanging (their 10 s timeouts had not come)…
    const attempted = (await deliveries(server, dead, '?limit=200')).filter((d) => d.attempt_count > 0);
    assert.deepEqual(attempted, [], 'no attempt to the dead endpoint has ended yet');
    // …and the dead one held no more than its share.
    assert.ok(hanging.received.length <= PER_ENDPOINT, `${hanging.received.length} requests to the dead endpoint at once`);
    hanging.answer = () => ({ status: 204 }); // back to life, so the rest goes quickly
    hanging.release({ status: 204 });
  });
});

describe("the per-endpoint cap gives an endpoint that answers the slots the others leave idle", () => {
  let server: RunningServer;
  let busy: Receiver;
  let other: Receiver;
  before(async () => {
    busy = await startReceiver();
    other = await startReceiver();
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' } });
  });
  after(async () => {
    busy?.release();
    await server?.stop();
    await busy?.close();
    await other?.close();
  });

  test('past its share once it has answered, up to all the slots but one share, which another endpoint then uses', async () => {
    const answered = 20;
    const most = DEFAULT_CONCURRENCY - PER_ENDPOINT;
    // It answers at once, then stops answering: what it holds at once is then in plain sight.
    busy.answer = (_request, n) => (n < answered ? { status: 204 } : 'hang');
    const endpoint = await addEndpoint(server, `${busy.url}/busy`, ['avatar.removed']);
    await seedBacklog(server, endpoint, 'earner', 60, { eachUser: true });
    const idle = await addEndpoint(server, `${other.url}/other`);
    await sendTestEvent(server, idle); // wakes the dispatcher; the other endpoint's first event goes at once
    await other.waitForCount(1);
    await busy.waitForCount(answered + most);
    // The slots it may not take are the other endpoint's: its next event goes while the busy one's requests hang.
    const { event_id } = await sendTestEvent(server, idle);
    await other.waitFor((r) => r.headers['webhook-id'] === event_id, "the other endpoint's second test event");
    assert.equal(busy.received.length, answered + most, `${busy.received.length - answered} requests held at once`);
  });
});

describe('an endpoint that keeps failing is backed off', () => {
  let server: RunningServer;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    receiver.answer = () => ({ status: 500 });
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' } });
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  test('its deliveries list says until when; a manual retry tries it at once, and a success ends the pause', async () => {
    const endpoint = await addEndpoint(server, `${receiver.url}/failing`);
    // Twelve users' own events (a test event would lift the pause: an operator checking the endpoint is tried at
    // once), each user's first, so nothing but the endpoint's cap and pause holds them back.
    for (let i = 0; i < 12; i++) {
      const saved = await api(server, 'POST', '/v1/users/me/avatar/config', { token: userToken(server, `failing-${i}`), json: { data: {} } });
      assert.equal(saved.status, 200, saved.text);
    }
    const list = await waitUntil(async () => {
      const res = await api(server, 'GET', `/v1/admin/webhooks/${endpoint}/deliveries?limit=200`, { headers: adminAuth(server) });
      return res.json.backoff?.state === 'paused' ? res.json : undefined;
    }, 'the endpoint to be backed off');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(list.backoff.consecutive_failures >= BACKOFF_AFTER, JSON.stringify(list.backoff));
    assert.ok(list.backoff.until > now - 1, JSON.stringify(list.backoff));
    const waiting = list.deliveries.filter((d: any) => d.state === 'pending');
    assert.ok(waiting.length > 0, 'deliveries wait for the pause to end');
    for (const d of waiting) assert.ok(d.next_attempt_at >= list.backoff.until, `${d.id} goes at ${d.next_attempt_at}, not before ${list.backoff.until}`);
    // The pause stopped the rest: the attempts that made the streak, and those already in flight when it began.
    const bound = BACKOFF_AFTER + PER_ENDPOINT - 1;
    assert.ok(receiver.received.length <= bound, `${receiver.received.length} attempts, more than ${bound}`);

    receiver.answer = () => ({ status: 204 });
    const retried = await api(server, 'POST', `/v1/admin/webhooks/${endpoint}/deliveries/${waiting[0].id}/retry`, { headers: adminAuth(server) });
    assert.equal(retried.status, 202, retried.text);
    await waitUntil(async () => {
      const res = await api(server, 'GET', `/v1/admin/webhooks/${endpoint}/deliveries?limit=200`, { headers: adminAuth(server) });
      return res.json.backoff === null && res.json.deliveries.some((d: any) => d.id === waiting[0].id && d.state === 'succeeded') ? true : undefined;
    }, 'the retried delivery to succeed and the pause to end');
  });
});

describe('avatar and emote changes are rate-limited per user, like uploads', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ env: { AVATAR_CHANGE_RATE_LIMIT: '3' } });
  });
  after(async () => {
    await server?.stop();
  });

  test('429 RATE_LIMITED with Retry-After past AVATAR_CHANGE_RATE_LIMIT a minute; other users are not affected', async () => {
    const token = userToken(server, 'toggler');
    const fileId = await uploadImage(server, token, await jpeg(64, 64));
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    const set = () => api(server, 'PUT', '/v1/users/me/avatar', { token, json: { file_id: fileId } });
    const remove = () => api(server, 'DELETE', '/v1/users/me/avatar', { token });
    // The upload's own promotion is not a change asked for: three set/remove calls are allowed.
    for (const call of [remove, set, remove]) assert.equal((await call()).status, 204);
    const limited = await set();
    expectError(limited, 429, 'RATE_LIMITED');
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(limited.json.error.message, /changes/);
    const other = userToken(server, 'calm');
    const theirs = await uploadImage(server, other, await jpeg(64, 64));
    await waitForFile(server, other, theirs);
    assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token: other })).status, 204);
  });
});
