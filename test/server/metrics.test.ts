// GET /metrics as Prometheus scrapes it: for the admin key or AVATAR_METRICS_TOKEN only, valid text format (a strict
// parser: helpers/prometheus-text.ts), route templates and never ids in labels, and values that move with the work:
// an upload and its render job, a webhook delivery, storage and database calls, the queues read from the database.
// A real server in this process (helpers/in-process.ts), on SQLite and the folder or PostgreSQL and S3.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jpeg } from '../fixtures/images.ts';
import { startInProcessServer, type InProcessServer } from '../helpers/in-process.ts';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus-text.ts';
import { api, completeUpload, expectError, sendImage, userToken, waitForFile, waitUntil } from '../helpers/server.ts';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let server: InProcessServer;
let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
  server = await startInProcessServer({ AVATAR_METRICS_TOKEN: METRICS_TOKEN });
});
after(async () => {
  await server?.stop();
  await receiver?.close();
});

const admin = () => ({ authorization: `Bearer ${server.adminKey}` });

async function scrape(): Promise<Map<string, Family>> {
  const res = await api(server, 'GET', '/metrics', { headers: admin() });
  assert.equal(res.status, 200, res.text);
  return parsePrometheusText(res.text);
}

describe('who may read /metrics', () => {
  test('the admin key (Bearer or Basic) and AVATAR_METRICS_TOKEN; text format 0.0.4, not cached', async () => {
    for (const authorization of [
      `Bearer ${server.adminKey}`,
      `Basic ${Buffer.from(`prometheus:${server.adminKey}`).toString('base64')}`,
      `Bearer ${METRICS_TOKEN}`,
      `Basic ${Buffer.from(`prometheus:${METRICS_TOKEN}`).toString('base64')}`,
    ]) {
      const res = await api(server, 'GET', '/metrics', { headers: { authorization } });
      assert.equal(res.status, 200, `${authorization.slice(0, 6)}: ${res.text}`);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      parsePrometheusText(res.text);
    }
  });

  test('nobody else: 401 without a key or with a wrong one, 403 for a user token, in the documented error shape', async () => {
    expectError(await api(server, 'GET', '/metrics'), 401, 'UNAUTHENTICATED');
    expectError(await api(server, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } }), 401, 'UNAUTHENTICATED');
    expectError(await api(server, 'GET', '/metrics', { headers: { authorization: `Bearer ${server.adminKey.slice(1)}` } }), 401, 'UNAUTHENTICATED');
    expectError(await api(server, 'GET', '/metrics', { token: userToken(server, 'nosy') }), 403, 'FORBIDDEN');
  });
});

describe('what /metrics shows', () => {
  test('process metrics, and every family of ours declared with its help', async () => {
    const families = await scrape();
    assert.ok(sampleValue(families, 'process_cpu_user_seconds_total') > 0);
    assert.ok(sampleValue(families, 'nodejs_heap_size_used_bytes') > 0);
    for (const name of [
      'avatar_http_requests_total',
      'avatar_http_request_duration_seconds',
      'avatar_render_jobs',
      'avatar_render_job_oldest_queued_age_seconds',
      'avatar_webhook_deliveries_pending',
      'avatar_webhook_oldest_pending_age_seconds',
    ]) {
      assert.ok(families.get(name)?.help, `${name} is declared with a help text`);
    }
  });

  test('requests by route template and status, never the path: a user id in the URL is in no label', async () => {
    const before = await scrape();
    const route = { method: 'GET', route: '/v1/users/{user_id}/avatar' };
    const counted = (families: Map<string, Family>, status: string) => sampleValue(families, 'avatar_http_requests_total', { ...route, status });
    const answers = await Promise.all(['metrics-ann', 'metrics-ben', 'metrics-cy'].map((id) => api(server, 'GET', `/v1/users/${id}/avatar`)));
    const status = String(answers[0]!.status);
    assert.ok(answers.every((a) => String(a.status) === status));
    await api(server, 'GET', '/no/such/page/metrics-dan');
    const after = await scrape();
    assert.equal(counted(after, status) - counted(before, status), 3);
    const histogramCount = (families: Map<string, Family>) => sampleValue(families, 'avatar_http_request_duration_seconds_count', { ...route, status_class: `${status[0]}xx` });
    assert.equal(histogramCount(after) - histogramCount(before), 3);
    assert.ok(sampleValue(after, 'avatar_http_requests_total', { route: 'unmatched', status: '404' }) >= 1);
    const labelValues = [...after.values()].flatMap((family) => family.samples.flatMap((sample) => Object.values(sample.labels)));
    assert.ok(!labelValues.some((value) => value.includes('metrics-')), 'no id from a path in any label');
  });

  test('an upload and its render job: the job counted by outcome and timed, storage and database calls timed', async () => {
    const before = await scrape();
    const token = userToken(server, 'metrics-eve');
    const fileId = await sendImage(server, token, await jpeg(320, 240));
    await completeUpload(server, token, fileId);
    assert.equal((await waitForFile(server, token, fileId)).processing_state, 'ready');
    // The job's row is settled just after the file is ready; its outcome is counted before that.
    const after = await waitUntil(async () => {
      const families = await scrape();
      return sampleValue(families, 'avatar_render_jobs_finished_total', { outcome: 'ready' }) > sampleValue(before, 'avatar_render_jobs_finished_total', { outcome: 'ready' }) ? families : undefined;
    }, 'the job to be counted', 5000);
    const moved = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    assert.equal(moved('avatar_render_jobs_finished_total', { outcome: 'ready' }), 1);
    assert.equal(moved('avatar_render_job_duration_seconds_count', { outcome: 'ready' }), 1);
    assert.ok(moved('avatar_render_job_duration_seconds_sum', { outcome: 'ready' }) > 0);
    const storage = server.deps.config.storage.kind;
    assert.ok(moved('avatar_storage_call_duration_seconds_count', { backend: storage, operation: 'put' }) >= 2, 'the original and the variants stored');
    const reads = ['get', 'getBytes'].map((operation) => moved('avatar_storage_call_duration_seconds_count', { backend: storage, operation }));
    assert.ok(reads[0]! + reads[1]! >= 1, `the original read: ${reads}`);
    const database = server.deps.config.databaseUrl ? 'postgres' : 'sqlite';
    for (const operation of ['select', 'insert', 'update']) assert.ok(moved('avatar_db_query_duration_seconds_count', { backend: database, operation }) >= 1, operation);
    assert.equal(sampleValue(after, 'avatar_storage_call_errors_total', { backend: storage, operation: 'put' }), 0);
  });

  test('the job queue is read from the database: a job another process runs counts as running', async () => {
    const token = userToken(server, 'metrics-fay');
    const fileId = await sendImage(server, token, await jpeg(64, 64));
    await completeUpload(server, token, fileId);
    await waitForFile(server, token, fileId);
    const { db, clock } = server.deps;
    const rendition = await db.selectFrom('renditions').select('id').where('file_id', '=', fileId).executeTakeFirstOrThrow();
    const running = () => scrape().then((families) => sampleValue(families, 'avatar_render_jobs', { state: 'running' }));
    const idle = await waitUntil(async () => ((await running()) === 0 ? true : undefined), 'no job running here');
    assert.ok(idle);
    const now = clock();
    // As another process's claim looks: running, its lease held for an hour.
    const inserted = await db
      .insertInto('jobs')
      .values({ kind: 'render', rendition_id: rendition.id, owner_id: 'metrics-fay', state: 'running', attempts: 1, lease_until: now + 3600, claimed_at_ms: Date.now(), created_at: now - 90, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    try {
      const families = await scrape();
      assert.equal(sampleValue(families, 'avatar_render_jobs', { state: 'running' }), 1);
      assert.equal(sampleValue(families, 'avatar_render_jobs', { state: 'queued' }), 0);
      assert.equal(sampleValue(families, 'avatar_render_job_oldest_queued_age_seconds'), 0);
    } finally {
      await db.deleteFrom('jobs').where('id', '=', inserted.id).execute();
    }
    assert.equal(await running(), 0);
  });

  test('a webhook delivery: pending (with its age) while it is sent, then counted by endpoint and outcome', async () => {
    const created = await api(server, 'POST', '/v1/admin/webhooks', { headers: admin(), json: { url: `${receiver.url}/metrics` } });
    assert.equal(created.status, 201, created.text);
    const endpoint = created.json.id as string;
    const before = await scrape();
    receiver.answer = () => 'hang';
    const sent = await api(server, 'POST', `/v1/admin/webhooks/${endpoint}/test`, { headers: admin() });
    assert.equal(sent.status, 202, sent.text);
    await receiver.waitFor((request) => request.path === '/metrics', 'the delivery to arrive');
    const during = await scrape();
    assert.equal(sampleValue(during, 'avatar_webhook_deliveries_pending', { endpoint }), 1);
    assert.ok(sampleValue(during, 'avatar_webhook_oldest_pending_age_seconds') >= 0);
    receiver.release({ status: 204 });
    const after = await waitUntil(async () => {
      const families = await scrape();
      return sampleValue(families, 'avatar_webhook_delivery_attempts_total', { endpoint, outcome: 'succeeded' }) === 1 ? families : undefined;
    }, 'the delivery to be counted', 5000);
    assert.equal(sampleValue(before, 'avatar_webhook_delivery_attempts_total', { endpoint, outcome: 'succeeded' }), 0);
    assert.equal(sampleValue(after, 'avatar_webhook_deliveries_pending', { endpoint }), 0);
    assert.equal(sampleValue(after, 'avatar_webhook_oldest_pending_age_seconds'), 0);
    assert.equal(sampleValue(after, 'avatar_webhook_delivery_attempt_duration_seconds_count', { outcome: 'succeeded' }) - sampleValue(before, 'avatar_webhook_delivery_attempt_duration_seconds_count', { outcome: 'succeeded' }), 1);
    const line = server.records().find((r) => r.msg.startsWith('webhook succeeded') && r.endpoint_id === endpoint);
    assert.equal(line?.outcome, 'succeeded');
    assert.equal(line?.status, 204);
  });
});
