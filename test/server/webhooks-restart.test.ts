// Webhooks across crashes and configuration: a receiver that is down while the server is SIGKILLed still gets
// the event after the restart; an attempt cut off mid-send is made again with the same webhook-id; the endpoint
// from AVATAR_WEBHOOK_URL; and bad webhook settings stop start-up with one line naming the variable.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { api, expectError, runCli, startServer, TEST_DATABASE, userToken, waitUntil, type RunningServer } from '../helpers/server.ts';
import { adminAuth, deliveries, newestSucceeded } from '../helpers/webhook-admin.ts';
import { startReceiver, verified, type Receiver } from '../helpers/webhook-receiver.ts';

const servers: RunningServer[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];

after(async () => {
  for (const server of servers) await server.kill();
  for (const receiver of receivers) await receiver.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-webhooks-'));
  dirs.push(dir);
  return dir;
}

async function start(opts: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer(opts);
  servers.push(server);
  return server;
}

async function receiverOn(port = 0): Promise<Receiver> {
  const receiver = await startReceiver(port);
  receivers.push(receiver);
  return receiver;
}


const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('webhooks survive SIGKILL', () => {
  const env = { AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1' };

  test('receiver down, server killed with SIGKILL, both back: the event is delivered with its webhook-id', async () => {
    const dataDir = await tempDir();
    const receiver = await receiverOn();
    receiver.down();
    const first = await start({ dataDir, env });
    const created = await api(first, 'POST', '/v1/admin/webhooks', { headers: adminAuth(first), json: { url: `${receiver.url}/hook` } });
    assert.equal(created.status, 201, created.text);
    const hook = created.json;
    const token = userToken(first, 'lazarus');
    assert.equal((await api(first, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } })).status, 200);
    const [failedOnce] = await waitUntil(async () => {
      const list = await deliveries(first, hook.id);
      return list[0]?.attempt_count >= 1 ? list : undefined;
    }, 'a failed first attempt');
    assert.equal(failedOnce.state, 'pending');
    assert.match(failedOnce.error, /^ECONNRESET/);
    await first.kill();

    receiver.up();
    const second = await start({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env });
    const [request] = await receiver.waitForCount(1);
    assert.equal(request!.headers['webhook-id'], failedOnce.event_id);
    const payload = verified(hook.secret, request!);
    assert.equal(payload.type, 'avatar.ready');
    assert.equal(payload.data.user_id, 'lazarus');
    const [delivered] = await newestSucceeded(second, hook.id, 'the delivery to succeed after the restart');
    assert.ok(delivered.attempt_count >= 2, `${delivered.attempt_count} attempts`);
    assert.equal(delivered.response_code, 204);
  });

  test('an attempt cut off by SIGKILL is made again after the restart, with the same webhook-id', async () => {
    const dataDir = await tempDir();
    const receiver = await receiverOn();
    receiver.answer = () => 'hang';
    const first = await start({ dataDir, env });
    const created = await api(first, 'POST', '/v1/admin/webhooks', { headers: adminAuth(first), json: { url: receiver.url } });
    const hook = created.json;
    const sent = await api(first, 'POST', `/v1/admin/webhooks/${hook.id}/test`, { headers: adminAuth(first) });
    assert.equal(sent.status, 202, sent.text);
    await receiver.waitForCount(1); // the server is waiting for our answer now
    await first.kill();

    receiver.answer = () => ({ status: 204 });
    const second = await start({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env });
    // SQLite: the restart sends it again at once (the file was the dead process's alone). PostgreSQL: another live
    // process might be sending it, so it goes again once its lease has run out (webhooks/claim.ts LEASE_SECONDS).
    const [cutOff, again] = await receiver.waitForCount(2, TEST_DATABASE === 'postgres' ? 90_000 : undefined);
    assert.equal(cutOff!.headers['webhook-id'], sent.json.event_id);
    assert.equal(again!.headers['webhook-id'], sent.json.event_id, 'at least once, under the same id');
    assert.equal(verified(hook.secret, again!).type, 'webhook.test');
    const [delivered] = await newestSucceeded(second, hook.id, 'the repeated delivery to succeed');
    assert.equal(delivered.attempt_count, 1, 'the cut-off attempt has no outcome, so it is not counted');
  });
});

describe('the endpoint from AVATAR_WEBHOOK_URL', () => {
  test('is listed without its secret, cannot be deleted, delivers signed with the configured secret, and goes when unset', async () => {
    const dataDir = await tempDir();
    const receiver = await receiverOn();
    const secret = newSecret();
    // Dev mode allows loopback targets without AVATAR_WEBHOOK_ALLOW_PRIVATE.
    const configured = { AVATAR_WEBHOOK_URL: `${receiver.url}/configured`, AVATAR_WEBHOOK_SECRET: secret };
    const first = await start({ dataDir, env: configured });
    const list = await api(first, 'GET', '/v1/admin/webhooks', { headers: adminAuth(first) });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.webhooks.length, 1);
    const hook = list.json.webhooks[0];
    assert.deepEqual(hook, { id: hook.id, url: `${receiver.url}/configured`, events: null, description: 'AVATAR_WEBHOOK_URL', source: 'config', created_at: hook.created_at });
    assert.ok(!list.text.includes(secret.slice(6)), 'the secret is not shown');
    expectError(await api(first, 'DELETE', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(first) }), 409, 'WEBHOOK_MANAGED_BY_CONFIG');

    const token = userToken(first, 'configured-user');
    assert.equal((await api(first, 'POST', '/v1/users/me/avatar/config', { token, json: { data: {} } })).status, 200);
    const request = await receiver.waitFor((r) => r.path === '/configured', 'the avatar.ready event');
    const payload = verified(secret, request);
    assert.equal(payload.type, 'avatar.ready');
    assert.equal(payload.data.source, 'config');
    const [delivery] = await newestSucceeded(first, hook.id, 'the delivery to be recorded');
    assert.equal(delivery.event_id, request.headers['webhook-id']);

    // A new URL and secret take effect at the next start; without the variable the endpoint is gone.
    await first.stop({ keepData: true });
    const rotated = newSecret();
    const second = await start({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey, env: { AVATAR_WEBHOOK_URL: `${receiver.url}/moved`, AVATAR_WEBHOOK_SECRET: rotated } });
    const moved = await api(second, 'GET', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(second) });
    assert.equal(moved.json.url, `${receiver.url}/moved`);
    const sent = await api(second, 'POST', `/v1/admin/webhooks/${hook.id}/test`, { headers: adminAuth(second) });
    assert.equal(sent.status, 202, sent.text);
    assert.equal(verified(rotated, await receiver.waitFor((r) => r.path === '/moved', 'the test event')).type, 'webhook.test');
    await second.stop({ keepData: true });

    const third = await start({ dataDir, jwtSecret: first.jwtSecret, adminKey: first.adminKey });
    assert.deepEqual((await api(third, 'GET', '/v1/admin/webhooks', { headers: adminAuth(third) })).json.webhooks, []);
    expectError(await api(third, 'GET', `/v1/admin/webhooks/${hook.id}`, { headers: adminAuth(third) }), 404, 'WEBHOOK_NOT_FOUND');
    await third.stop({ keepData: true });
  });
});

describe('bad webhook configuration stops start-up with one line naming the variable', () => {
  const base = { AVATAR_JWT_SECRET: randomBytes(32).toString('hex'), AVATAR_ADMIN_KEY: randomBytes(24).toString('hex') };
  const url = 'https://hooks.example.com/avatars';
  const cases: Array<{ name: string; env: Record<string, string>; variable: string; cli?: true }> = [
    { name: 'AVATAR_WEBHOOK_URL without a secret', env: { AVATAR_WEBHOOK_URL: url }, variable: 'AVATAR_WEBHOOK_SECRET', cli: true },
    { name: 'a secret without the whsec_ prefix', env: { AVATAR_WEBHOOK_URL: url, AVATAR_WEBHOOK_SECRET: randomBytes(32).toString('base64') }, variable: 'AVATAR_WEBHOOK_SECRET' },
    { name: 'a secret whose key is under 24 bytes', env: { AVATAR_WEBHOOK_URL: url, AVATAR_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('base64')}` }, variable: 'AVATAR_WEBHOOK_SECRET' },
    { name: 'a secret that is not base64', env: { AVATAR_WEBHOOK_URL: url, AVATAR_WEBHOOK_SECRET: `whsec_${'%'.repeat(44)}` }, variable: 'AVATAR_WEBHOOK_SECRET' },
    { name: 'a URL that is not http(s)', env: { AVATAR_WEBHOOK_URL: 'ftp://hooks.example.com/', AVATAR_WEBHOOK_SECRET: newSecret() }, variable: 'AVATAR_WEBHOOK_URL' },
    { name: 'an http loopback URL without AVATAR_WEBHOOK_ALLOW_PRIVATE', env: { AVATAR_WEBHOOK_URL: 'http://127.0.0.1:9/hook', AVATAR_WEBHOOK_SECRET: newSecret() }, variable: 'AVATAR_WEBHOOK_URL', cli: true },
    { name: 'an https loopback URL without AVATAR_WEBHOOK_ALLOW_PRIVATE', env: { AVATAR_WEBHOOK_URL: 'https://[::1]/hook', AVATAR_WEBHOOK_SECRET: newSecret() }, variable: 'AVATAR_WEBHOOK_URL' },
    { name: 'https://localhost without AVATAR_WEBHOOK_ALLOW_PRIVATE (it resolves to loopback)', env: { AVATAR_WEBHOOK_URL: 'https://localhost:8443/hook', AVATAR_WEBHOOK_SECRET: newSecret() }, variable: 'AVATAR_WEBHOOK_URL', cli: true },
    { name: 'the cloud metadata address, even with the flag', env: { AVATAR_WEBHOOK_URL: 'https://169.254.169.254/', AVATAR_WEBHOOK_SECRET: newSecret(), AVATAR_WEBHOOK_ALLOW_PRIVATE: '1' }, variable: 'AVATAR_WEBHOOK_URL' },
    { name: 'a retry schedule with a word', env: { AVATAR_WEBHOOK_RETRY_SCHEDULE: '5,soon' }, variable: 'AVATAR_WEBHOOK_RETRY_SCHEDULE', cli: true },
    { name: 'a retry schedule with 0', env: { AVATAR_WEBHOOK_RETRY_SCHEDULE: '0,5' }, variable: 'AVATAR_WEBHOOK_RETRY_SCHEDULE' },
    { name: 'a retry schedule with a gap', env: { AVATAR_WEBHOOK_RETRY_SCHEDULE: '5,,10' }, variable: 'AVATAR_WEBHOOK_RETRY_SCHEDULE' },
    { name: 'a negative retry delay', env: { AVATAR_WEBHOOK_RETRY_SCHEDULE: '-5' }, variable: 'AVATAR_WEBHOOK_RETRY_SCHEDULE' },
    { name: 'AVATAR_WEBHOOK_ALLOW_PRIVATE=maybe', env: { AVATAR_WEBHOOK_ALLOW_PRIVATE: 'maybe' }, variable: 'AVATAR_WEBHOOK_ALLOW_PRIVATE' },
  ];

  for (const c of cases.filter((c) => !c.cli)) {
    test(`${c.name} (the configuration loader)`, () => {
      assert.throws(() => loadConfig({}, { ...base, ...c.env }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.equal(err.variable, c.variable);
        assert.ok(!err.message.includes('\n'));
        const secret = c.env.AVATAR_WEBHOOK_SECRET;
        if (secret) assert.ok(!err.message.includes(secret.slice(6)), 'the secret is not printed');
        return true;
      });
    });
  }

  // A few through the real CLI, for the one line and the exit status.
  for (const c of cases.filter((c) => c.cli)) {
    test(`${c.name} (avatar-server)`, async () => {
      const dataDir = await tempDir();
      const { code, output } = await runCli(['--port', '0', '--data-dir', dataDir], { ...base, ...c.env });
      assert.notEqual(code, 0, output);
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      assert.equal(lines.length, 1, `exactly one line expected:\n${output}`);
      assert.match(lines[0]!, /^avatar-server: /);
      assert.ok(lines[0]!.includes(c.variable), `names ${c.variable}: ${lines[0]}`);
      assert.equal(existsSync(join(dataDir, 'avatar.db')), false, 'refused before the database was opened');
    });
  }

  test('good settings load: defaults, dev mode allowing private targets, an explicit schedule', () => {
    const defaults = loadConfig({}, base);
    assert.deepEqual(defaults.webhookRetrySchedule, [5, 300, 1800, 7200, 18000, 36000]);
    assert.equal(defaults.webhookAllowPrivate, false);
    assert.equal(defaults.webhookUrl, null);
    const dev = loadConfig({ dev: '1' }, { ...base, AVATAR_WEBHOOK_URL: 'http://127.0.0.1:9/h', AVATAR_WEBHOOK_SECRET: newSecret() });
    assert.equal(dev.webhookAllowPrivate, true);
    assert.equal(dev.webhookUrl, 'http://127.0.0.1:9/h');
    assert.equal(loadConfig({ dev: '1' }, { ...base, AVATAR_WEBHOOK_ALLOW_PRIVATE: '0' }).webhookAllowPrivate, false);
    assert.deepEqual(loadConfig({}, { ...base, AVATAR_WEBHOOK_RETRY_SCHEDULE: ' 1, 2 ,3' }).webhookRetrySchedule, [1, 2, 3]);
  });
});
