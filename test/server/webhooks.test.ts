// Webhooks over HTTP against real server processes: the admin routes and their errors, deliveries verified with
// the official `standardwebhooks` library, retries (500 then 204 with the same webhook-id), the retry schedule
// running out, manual retries, the events filter and per-user order, answers that are redirects, huge or not
// TLS, and the SSRF rules with and without AVATAR_WEBHOOK_ALLOW_PRIVATE.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { api, expectError, startServer, userToken, waitUntil, type ApiResponse, type RunningServer } from '../helpers/server.ts';
import { adminAuth, deliveries, newestSucceeded } from '../helpers/webhook-admin.ts';
import { startReceiver, verified, type Receiver } from '../helpers/webhook-receiver.ts';

const EVENTS = ['avatar.ready', 'avatar.failed', 'avatar.removed', 'emote.ready', 'emote.failed', 'emote.deleted', 'user.deleted'];

async function createWebhook(server: RunningServer, body: unknown) {
  return api(server, 'POST', '/v1/admin/webhooks', { headers: adminAuth(server), json: body });
}

async function created(server: RunningServer, body: unknown): Promise<{ id: string; secret: string; url: string; events: string[] | null }> {
  const res = await createWebhook(server, body);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

/** Waits until the delivery matches `done` (e.g. has a given state) and returns it. */
function waitForDelivery(server: RunningServer, webhookId: string, deliveryId: string, done: (d: any) => boolean, what: string) {
  return waitUntil(async () => (await deliveries(server, webhookId)).find((d) => d.id === deliveryId && done(d)), what);
}

async function sendTest(server: RunningServer, webhookId: string): Promise<{ event_id: string; delivery_id: string }> {
  const res = await api(server, 'POST', `/v1/admin/webhooks/${webhookId}/test`, { headers: adminAuth(server) });
  assert.equal(res.status, 202, res.text);
  return res.json;
}

describe('webhook admin routes', () => {
  let server: RunningServer;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_WEBHOOK_RETRY_SCHEDULE: '1,1' } });
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  test('POST creates an endpoint with a whsec_ secret; GET lists and reads it without the secret; DELETE removes it', async () => {
    const res = await createWebhook(server, { url: `${receiver.url}/hooks`, description: 'our backend' });
    assert.equal(res.status, 201, res.text);
    const hook = res.json;
    assert.deepEqual(Object.keys(hook).sort(), ['created_at', 'description', 'events', 'id', 'secret', 'source', 'url']);
    assert.match(hook.id, /^wh_/);
    assert.equal(hook.url, `${receiver.url}/hooks`);
    assert.equal(hook.events, null, 'no filter: every event');
    assert.equal(hook.source, 'api');
    assert.equal(hook.description, 'our backend');
    assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.doesNotThrow(() => new Webhook(hook.secret), 'the official library takes the secret as it is');

    const list = await api(server, 'GET', '/v1/admin/webhooks', { headers: adminAuth(server) });
    assert.equal(list.status, 200, list.text);
    const listed = list.json.webhooks.find((w: { id: string }) => w.id === hook.id);
    const { secret, ...withoutSecret } = hook;
    assert.deepEqual(listed, withoutSecret);
    assert.ok(!list.text.includes(secret), 'secrets are never listed');
    const one = await api(server, 'GET', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, withoutSecret);

    const other = await created(server, { url: `${receiver.url}/other` });
    assert.notEqual(other.secret, hook.secret, 'each endpoint has its own secret');

    const del = await api(server, 'DELETE', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) });
    assert.equal(del.status, 204, del.text);
    expectError(await api(server, 'GET', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) }), 404, 'WEBHOOK_NOT_FOUND');
    expectError(await api(server, 'DELETE', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) }), 404, 'WEBHOOK_NOT_FOUND');
    const after = await api(server, 'GET', '/v1/admin/webhooks', { headers: adminAuth(server) });
    assert.deepEqual(after.json.webhooks.map((w: { id: string }) => w.id), [other.id]);
  });

  test('events: a subset is kept (deduplicated); unknown names, an empty list and bad bodies are 400 INVALID_REQUEST', async () => {
    const hook = await created(server, { url: receiver.url, events: ['emote.ready', 'avatar.ready', 'emote.ready'] });
    assert.deepEqual(hook.events, ['emote.ready', 'avatar.ready']);
    const all = await created(server, { url: receiver.url, events: EVENTS });
    assert.deepEqual(all.events, EVENTS);
    for (const [body, field] of [
      [{ url: receiver.url, events: ['avatar.ready', 'avatar.exploded'] }, 'events'],
      [{ url: receiver.url, events: ['webhook.test'] }, 'events'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ url: receiver.url, events: 'avatar.ready' }, 'events'],
      [{ events: ['avatar.ready'] }, 'url'],
      [{ url: 42 }, 'url'],
      [{ url: receiver.url, description: 'x'.repeat(501) }, 'description'],
    ] as const) {
      const res = await createWebhook(server, body);
      expectError(res, 400, 'INVALID_REQUEST');
      assert.match(res.json.error.message, new RegExp(field), res.text);
    }
    expectError(await api(server, 'POST', '/v1/admin/webhooks', { headers: { ...adminAuth(server), 'content-type': 'application/json' }, body: '{"url":' }), 400, 'INVALID_REQUEST');
  });

  test('URLs that are not http(s), carry credentials or do not resolve are 400 WEBHOOK_URL_INVALID', async () => {
    for (const url of ['not a url', 'ftp://127.0.0.1/x', 'file:///etc/passwd', 'javascript:alert(1)', `http://user:pass@127.0.0.1:${receiver.port}/`, 'https://no-such-host.invalid/hook', `https://x${'y'.repeat(2100)}.example/`]) {
      const res = await createWebhook(server, { url });
      expectError(res, 400, url.length > 2048 ? 'INVALID_REQUEST' : 'WEBHOOK_URL_INVALID');
    }
  });

  test('link-local (cloud metadata), unspecified, multicast and reserved targets are refused even with AVATAR_WEBHOOK_ALLOW_PRIVATE', async () => {
    for (const url of ['https://169.254.169.254/latest/meta-data', 'http://169.254.169.254/', 'https://[fe80::1]/', 'https://0.0.0.0/', 'https://[::]/', 'https://224.0.0.1/', 'https://255.255.255.255/', 'https://[::ffff:169.254.169.254]/', 'https://[::ffff:a9fe:a9fe]/']) {
      const res = await createWebhook(server, { url });
      expectError(res, 400, 'WEBHOOK_URL_FORBIDDEN');
      assert.match(res.json.error.message, /^url /);
    }
    // With the flag, loopback and private targets (http too) are fine.
    for (const url of [`http://localhost:${receiver.port}/`, 'http://10.1.2.3/', 'https://192.168.1.1/', 'http://[::1]:9/']) {
      assert.equal((await createWebhook(server, { url })).status, 201, url);
    }
  });

  test('every route answers 401 without the admin key and 403 with a user token', async () => {
    const hook = await created(server, { url: receiver.url });
    const { delivery_id } = await sendTest(server, hook.id);
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/admin/webhooks', { url: receiver.url }],
      ['GET', '/v1/admin/webhooks'],
      ['GET', `/v1/admin/webhooks/${hook.id}`],
      ['DELETE', `/v1/admin/webhooks/${hook.id}`],
      ['GET', `/v1/admin/webhooks/${hook.id}/deliveries`],
      ['POST', `/v1/admin/webhooks/${hook.id}/deliveries/${delivery_id}/retry`],
      ['POST', `/v1/admin/webhooks/${hook.id}/test`],
    ];
    const user = userToken(server, 'not-an-admin');
    for (const [method, path, json] of routes) {
      expectError(await api(server, method, path, json === undefined ? {} : { json }), 401, 'UNAUTHENTICATED');
      expectError(await api(server, method, path, { json, headers: { authorization: 'Bearer not-the-admin-key-at-all' } }), 401, 'UNAUTHENTICATED');
      expectError(await api(server, method, path, { json, token: user }), 403, 'FORBIDDEN');
    }
    // None of that changed anything.
    assert.equal((await api(server, 'GET', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) })).status, 200);
  });

  test('unknown endpoints and deliveries are 404; bad limits and cursors are 400', async () => {
    const headers = adminAuth(server);
    for (const [method, path] of [['GET', '/v1/admin/webhooks/wh_nope'], ['DELETE', '/v1/admin/webhooks/wh_nope'], ['GET', '/v1/admin/webhooks/wh_nope/deliveries'], ['POST', '/v1/admin/webhooks/wh_nope/test'], ['POST', '/v1/admin/webhooks/wh_nope/deliveries/dlv_x/retry']] as const) {
      expectError(await api(server, method, path, { headers }), 404, 'WEBHOOK_NOT_FOUND');
    }
    const hook = await created(server, { url: receiver.url });
    const other = await created(server, { url: receiver.url });
    const { delivery_id } = await sendTest(server, other.id);
    expectError(await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/dlv_nope/retry`, { headers }), 404, 'DELIVERY_NOT_FOUND');
    // Another endpoint's delivery is not this endpoint's.
    expectError(await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/${delivery_id}/retry`, { headers }), 404, 'DELIVERY_NOT_FOUND');
    for (const limit of ['0', '201', 'x', '-1', '1.5']) {
      expectError(await api(server, 'GET', `/v1/admin/webhooks/${hook.id}/deliveries?limit=${limit}`, { headers }), 400, 'INVALID_LIMIT');
    }
    for (const cursor of ['garbage', Buffer.from('e1:5').toString('base64url')]) {
      expectError(await api(server, 'GET', `/v1/admin/webhooks/${hook.id}/deliveries?cursor=${cursor}`, { headers }), 400, 'INVALID_CURSOR');
    }
  });

  test('/openapi.json describes every webhook route', async () => {
    const doc = (await api(server, 'GET', '/openapi.json')).json;
    const expected: Record<string, string[]> = {
      '/v1/admin/webhooks': ['get', 'post'],
      '/v1/admin/webhooks/{id}': ['get', 'delete'],
      '/v1/admin/webhooks/{id}/deliveries': ['get'],
      '/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry': ['post'],
      '/v1/admin/webhooks/{id}/test': ['post'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const method of methods) assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is described`);
    }
    const body = doc.components.schemas.CreateWebhook;
    assert.deepEqual(body.required, ['url']);
    assert.deepEqual(body.properties.events.items.enum, EVENTS);
  });
});

describe('webhook delivery', () => {
  let server: RunningServer;
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_WEBHOOK_RETRY_SCHEDULE: '1,1' } });
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  test('a test event is signed per Standard Webhooks and verifies with the standardwebhooks library', async () => {
    const hook = await created(server, { url: `${receiver.url}/signed?x=1` });
    const sent = await sendTest(server, hook.id);
    assert.match(sent.event_id, /^msg_/);
    const request = await receiver.waitFor((r) => r.headers['webhook-id'] === sent.event_id, 'the test event');
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/signed?x=1');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.match(request.headers['webhook-timestamp']!, /^\d{10}$/);
    assert.ok(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
    assert.match(request.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    const payload = verified(hook.secret, request);
    assert.deepEqual(Object.keys(payload).sort(), ['data', 'timestamp', 'type']);
    assert.equal(payload.type, 'webhook.test');
    assert.equal(new Date(payload.timestamp).toISOString(), payload.timestamp, 'timestamp is ISO 8601');
    assert.equal(payload.data.endpoint_id, hook.id);
    assert.equal(payload.data.user_id, null);
    // Another endpoint's secret, a changed body or an old signature do not verify.
    const other = await created(server, { url: receiver.url });
    assert.throws(() => verified(other.secret, request));
    assert.throws(() => verified(hook.secret, { ...request, body: request.body.replace('webhook.test', 'webhook.tEst') }));
    assert.throws(() => verified(hook.secret, { ...request, headers: { ...request.headers, 'webhook-id': 'msg_other' } }));

    const [delivery] = await newestSucceeded(server, hook.id, 'the delivery to be recorded');
    assert.equal(delivery.id, sent.delivery_id);
    assert.equal(delivery.event_id, sent.event_id);
    assert.equal(delivery.event_type, 'webhook.test');
    assert.equal(delivery.attempt_count, 1);
    assert.equal(delivery.response_code, 204);
    assert.equal(delivery.error, null);
    assert.equal(delivery.next_attempt_at, null);
    assert.equal(typeof delivery.duration_ms, 'number');
    assert.equal(delivery.attempts.length, 1);
    assert.deepEqual(Object.keys(delivery.attempts[0]).sort(), ['at', 'attempt', 'duration_ms', 'error', 'response_code', 'response_excerpt']);
  });

  test('a receiver answering 500 then 204 gets the same webhook-id twice, and the retry waits for the schedule', async () => {
    const hook = await created(server, { url: `${receiver.url}/flaky` });
    let calls = 0;
    receiver.answer = (r) => (r.path === '/flaky' && calls++ === 0 ? { status: 500, body: 'database is down\n\u0007' } : { status: 204 });
    const sent = await sendTest(server, hook.id);
    const requests = await waitUntil(async () => {
      const matching = receiver.received.filter((r) => r.path === '/flaky');
      return matching.length >= 2 ? matching : undefined;
    }, 'two attempts');
    assert.deepEqual(requests.map((r) => r.headers['webhook-id']), [sent.event_id, sent.event_id]);
    for (const request of requests) assert.equal(verified(hook.secret, request).type, 'webhook.test');
    assert.equal(requests[0]!.body, requests[1]!.body, 'the same body every time');
    assert.ok(requests[1]!.at - requests[0]!.at >= 700, `retried after ${Math.round(requests[1]!.at - requests[0]!.at)} ms (schedule: 1 s ± 20%)`);
    const delivery = await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.state === 'succeeded', 'success');
    assert.equal(delivery.attempt_count, 2);
    assert.deepEqual(delivery.attempts.map((a: any) => a.response_code), [500, 204]);
    assert.match(delivery.attempts[0].error, /^HTTP_500/);
    assert.equal(delivery.attempts[0].response_excerpt, 'database is down', 'the excerpt is printable');
    receiver.answer = () => ({ status: 204 });
  });

  test('after the last retry the delivery is failed; a manual retry sends it once more with the same webhook-id', async () => {
    const hook = await created(server, { url: `${receiver.url}/down` });
    receiver.answer = (r) => (r.path === '/down' ? { status: 503 } : { status: 204 });
    const sent = await sendTest(server, hook.id);
    const failed = await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.state === 'failed', 'the delivery to fail');
    assert.equal(failed.attempt_count, 3, 'one attempt and two retries ("1,1")');
    assert.equal(failed.response_code, 503);
    assert.equal(failed.next_attempt_at, null);
    assert.equal(receiver.received.filter((r) => r.path === '/down').length, 3);

    receiver.answer = () => ({ status: 200, body: 'ok' });
    const retried = await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/${sent.delivery_id}/retry`, { headers: adminAuth(server) });
    assert.equal(retried.status, 202, retried.text);
    assert.equal(retried.json.id, sent.delivery_id);
    assert.ok(['pending', 'sending', 'succeeded'].includes(retried.json.state), retried.json.state);
    const done = await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.state === 'succeeded', 'the manual retry');
    assert.equal(done.attempt_count, 4);
    assert.equal(done.attempts.at(-1).response_excerpt, 'ok');
    const all = receiver.received.filter((r) => r.path === '/down');
    assert.equal(all.length, 4);
    assert.ok(all.every((r) => r.headers['webhook-id'] === sent.event_id));
    // A succeeded delivery can be sent again too (receivers deduplicate on webhook-id).
    assert.equal((await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/${sent.delivery_id}/retry`, { headers: adminAuth(server) })).status, 202);
    await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.attempt_count === 5 && d.state === 'succeeded', 'the second manual retry');
  });

  test('a delivery being sent cannot be retried (409 DELIVERY_IN_FLIGHT)', async () => {
    const hook = await created(server, { url: `${receiver.url}/slow` });
    receiver.answer = (r) => (r.path === '/slow' ? 'hang' : { status: 204 });
    const sent = await sendTest(server, hook.id);
    await receiver.waitFor((r) => r.path === '/slow', 'the held request');
    const res = await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/${sent.delivery_id}/retry`, { headers: adminAuth(server) });
    expectError(res, 409, 'DELIVERY_IN_FLIGHT');
    const [listed] = await deliveries(server, hook.id);
    assert.equal(listed.state, 'sending');
    receiver.answer = () => ({ status: 204 });
    receiver.release();
    await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.state === 'succeeded', 'the held delivery');
  });

  test('a redirect is a failed attempt and is not followed; a huge answer is cut short', async () => {
    const elsewhere = await startReceiver();
    try {
      const hook = await created(server, { url: `${receiver.url}/moved` });
      receiver.answer = (r) => (r.path === '/moved' ? { status: 302, headers: { location: `${elsewhere.url}/internal` } } : { status: 204 });
      const sent = await sendTest(server, hook.id);
      const delivery = await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.attempt_count >= 1, 'the first attempt');
      assert.equal(delivery.attempts[0].response_code, 302);
      assert.match(delivery.attempts[0].error, /^REDIRECT_NOT_FOLLOWED: 302 to http:\/\/127\.0\.0\.1/);
      assert.equal(delivery.state, 'pending', 'retried on the schedule like any failure');

      const big = await created(server, { url: `${receiver.url}/chatty` });
      receiver.answer = (r) => (r.path === '/chatty' ? { status: 500, body: 'x'.repeat(5_000_000) } : { status: 204 });
      const chatty = await sendTest(server, big.id);
      const cut = await waitForDelivery(server, big.id, chatty.delivery_id, (d) => d.attempt_count >= 1, 'the chatty attempt');
      assert.equal(cut.response_code, 500);
      assert.ok(cut.attempts[0].response_excerpt.length <= 256, `excerpt of ${cut.attempts[0].response_excerpt.length} characters`);
      assert.equal(elsewhere.received.length, 0, 'the redirect target was never called');
    } finally {
      receiver.answer = () => ({ status: 204 });
      await elsewhere.close();
    }
  });

  test('an https endpoint talking to a plain-http port fails the TLS handshake (https is really used)', async () => {
    const hook = await created(server, { url: `https://127.0.0.1:${receiver.port}/tls` });
    const sent = await sendTest(server, hook.id);
    const delivery = await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.attempt_count >= 1, 'the TLS attempt');
    assert.equal(delivery.response_code, null);
    assert.match(delivery.error, /SSL|TLS|EPROTO|ECONNRESET|wrong version/i);
  });

  test('the events filter picks what an endpoint gets; a user\'s events arrive in order', async () => {
    const filtered = await startReceiver();
    const everything = await startReceiver();
    try {
      const onlyRemovals = await created(server, { url: filtered.url, events: ['avatar.removed'] });
      const all = await created(server, { url: everything.url });
      const token = userToken(server, 'orderly');
      for (let i = 0; i < 3; i++) {
        const saved = await api(server, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } });
        assert.equal(saved.status, 200, saved.text);
        assert.equal((await api(server, 'DELETE', '/v1/users/me/avatar', { token })).status, 204);
      }
      const got = (await everything.waitForCount(6)).map((r) => verified(all.secret, r));
      assert.deepEqual(got.map((p) => p.type), ['avatar.ready', 'avatar.removed', 'avatar.ready', 'avatar.removed', 'avatar.ready', 'avatar.removed']);
      const versions = got.map((p) => p.data.version);
      assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `versions in order: ${versions}`);
      const removals = (await filtered.waitForCount(3)).map((r) => verified(onlyRemovals.secret, r));
      assert.deepEqual(removals.map((p) => p.type), ['avatar.removed', 'avatar.removed', 'avatar.removed']);
      // Nothing else is on its way to the filtered endpoint.
      const listed = await deliveries(server, onlyRemovals.id);
      assert.equal(listed.length, 3);
      assert.ok(listed.every((d) => d.event_type === 'avatar.removed'));
    } finally {
      await filtered.close();
      await everything.close();
    }
  });

  test('the deliveries listing pages newest first with a cursor', async () => {
    const hook = await created(server, { url: receiver.url });
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await sendTest(server, hook.id));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api(server, 'GET', `/v1/admin/webhooks/${hook.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: adminAuth(server) });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.deliveries.length <= 2);
      seen.push(...res.json.deliveries.map((d: { id: string }) => d.id));
      cursor = res.json.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, sent.map((s) => s.delivery_id).reverse());
  });

  test('deleting an endpoint drops its deliveries, pending retries included', async () => {
    const hook = await created(server, { url: `${receiver.url}/gone` });
    receiver.answer = (r) => (r.path === '/gone' ? { status: 500 } : { status: 204 });
    const sent = await sendTest(server, hook.id);
    await waitForDelivery(server, hook.id, sent.delivery_id, (d) => d.state === 'pending' && d.attempt_count === 1, 'a retry to be scheduled');
    assert.equal((await api(server, 'DELETE', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(server) })).status, 204);
    expectError(await api(server, 'GET', `/v1/admin/webhooks/${hook.id}/deliveries`, { headers: adminAuth(server) }), 404, 'WEBHOOK_NOT_FOUND');
    expectError(await api(server, 'POST', `/v1/admin/webhooks/${hook.id}/deliveries/${sent.delivery_id}/retry`, { headers: adminAuth(server) }), 404, 'WEBHOOK_NOT_FOUND');
    receiver.answer = () => ({ status: 204 });
  });
});

describe('webhook SSRF rules without AVATAR_WEBHOOK_ALLOW_PRIVATE', () => {
  let server: RunningServer;
  let receiver: Receiver;
  let dataDir: string;
  /** An endpoint whose host is a name that resolves to loopback, made while that was allowed. */
  let madeWhenAllowed: string;
  before(async () => {
    receiver = await startReceiver();
    dataDir = await mkdtemp(join(tmpdir(), 'avatar-ssrf-'));
    // Made in dev mode (private targets allowed), then the server runs without the flag: the endpoint's host is
    // found out only at delivery. (AVATAR_WEBHOOK_URL=https://localhost… is refused at start-up: webhooks-restart.test.ts.)
    const allowing = await startServer({ dataDir });
    const created = await createWebhook(allowing, { url: `https://localhost:${receiver.port}/made-when-allowed` });
    assert.equal(created.status, 201, created.text);
    madeWhenAllowed = created.json.id;
    await allowing.stop({ keepData: true });
    server = await startServer({ dataDir, dev: false, jwtSecret: allowing.jwtSecret, adminKey: allowing.adminKey, env: { AVATAR_WEBHOOK_RETRY_SCHEDULE: '60' } });
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('http, loopback, private and names resolving to loopback are refused at creation (400 WEBHOOK_URL_FORBIDDEN)', async () => {
    const port = receiver.port;
    for (const url of [
      `http://127.0.0.1:${port}/`, `https://127.0.0.1:${port}/`, `https://localhost:${port}/`, 'https://[::1]/', 'https://10.0.0.1/', 'https://172.16.5.4/',
      'https://192.168.0.10/', 'https://100.64.1.1/', 'https://[fd00::1]/', 'https://[::ffff:127.0.0.1]/', 'https://2130706433/', 'https://0x7f.0.0.1/',
      'http://example.com/', 'https://169.254.169.254/',
    ]) {
      const res = await createWebhook(server, { url });
      expectError(res, 400, 'WEBHOOK_URL_FORBIDDEN');
    }
    const res = await createWebhook(server, { url: `https://localhost:${port}/` });
    assert.match(res.json.error.message, /localhost resolves to (127\.0\.0\.1|::1)/);
    assert.equal(receiver.received.length, 0);
  });

  test('a name that resolves to loopback is refused again at delivery, after the DNS lookup', async () => {
    const sent = await sendTest(server, madeWhenAllowed);
    const delivery = await waitForDelivery(server, madeWhenAllowed, sent.delivery_id, (d) => d.attempt_count >= 1, 'the refused attempt');
    assert.match(delivery.error, /^ADDRESS_FORBIDDEN: localhost resolves to/);
    assert.equal(delivery.response_code, null);
    assert.equal(receiver.received.length, 0, 'nothing was sent');
  });
});
