// The webhook outbox in-process, on a real SQLite database: events and deliveries commit or roll back with the
// change they report, fan out by each endpoint's filter, are purged after the retention period; the retry
// schedule's jitter; secrets; and the address table behind the SSRF rules.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { openDatabase, type Db } from '../../server/db/index.ts';
import { nextAttemptAt } from '../../server/webhooks/dispatcher.ts';
import { purgeOutbox, recordEvent, RETENTION_SECONDS } from '../../server/webhooks/outbox.ts';
import { generateSecret, parseSecret, signatureHeaders } from '../../server/webhooks/sign.ts';
import { addressRefusal, classifyAddress } from '../../server/webhooks/target.ts';

describe('the outbox', () => {
  let dir: string;
  let db: Db;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'avatar-outbox-'));
    db = await openDatabase(dir);
    const endpoint = (id: string, events: string[] | null) => ({ id, url: 'https://example.com/', events: events && JSON.stringify(events), description: null, secret: generateSecret(), source: 'api' as const, created_at: 1 });
    await db.insertInto('webhook_endpoints').values([endpoint('wh_all', null), endpoint('wh_emotes', ['emote.ready', 'emote.deleted'])]).execute();
  });
  after(async () => {
    await db?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (table: 'webhook_events' | 'webhook_deliveries') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  test('an event and its deliveries roll back with the change they report', async () => {
    const [events, deliveries] = [await count('webhook_events'), await count('webhook_deliveries')];
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await recordEvent(trx, 100, 'avatar.removed', { user_id: 'u1' });
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    assert.equal(await count('webhook_events'), events);
    assert.equal(await count('webhook_deliveries'), deliveries);
  });

  test('deliveries fan out to the endpoints whose filter matches; nothing is written when none does', async () => {
    const avatar = await db.transaction().execute((trx) => recordEvent(trx, 100, 'avatar.ready', { user_id: 'u1' }));
    const emote = await db.transaction().execute((trx) => recordEvent(trx, 100, 'emote.ready', { user_id: 'u1' }));
    const byEndpoint = async (eventId: string) => (await db.selectFrom('webhook_deliveries').select('endpoint_id').where('event_id', '=', eventId).orderBy('endpoint_id').execute()).map((d) => d.endpoint_id);
    assert.deepEqual(await byEndpoint(avatar!.eventId), ['wh_all']);
    assert.deepEqual(await byEndpoint(emote!.eventId), ['wh_all', 'wh_emotes']);
    const test = await db.transaction().execute((trx) => recordEvent(trx, 100, 'webhook.test', { user_id: null }, { endpointId: 'wh_emotes' }));
    assert.deepEqual(await byEndpoint(test!.eventId), ['wh_emotes'], 'a test event goes to its endpoint only, whatever its filter');
    const nobody = await db.transaction().execute((trx) => recordEvent(trx, 100, 'webhook.test', { user_id: null }, { endpointId: 'wh_gone' }));
    assert.equal(nobody, null);
    const body = JSON.parse((await db.selectFrom('webhook_events').select('body').where('id', '=', avatar!.eventId).executeTakeFirstOrThrow()).body);
    assert.deepEqual(Object.keys(body), ['type', 'timestamp', 'data']);
  });

  test('finished deliveries older than the retention period are purged with their events; pending ones stay', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await db.transaction().execute((trx) => recordEvent(trx, now - RETENTION_SECONDS - 10, 'avatar.removed', { user_id: 'old' }));
    const waiting = await db.transaction().execute((trx) => recordEvent(trx, now - RETENTION_SECONDS - 10, 'avatar.removed', { user_id: 'waiting' }));
    await db.updateTable('webhook_deliveries').set({ state: 'succeeded', updated_at: now - RETENTION_SECONDS - 5 }).where('event_id', '=', old!.eventId).execute();
    const purged = await purgeOutbox(db, now - RETENTION_SECONDS);
    assert.equal(purged, 1);
    assert.equal(await db.selectFrom('webhook_events').select('id').where('id', '=', old!.eventId).executeTakeFirst(), undefined);
    assert.ok(await db.selectFrom('webhook_events').select('id').where('id', '=', waiting!.eventId).executeTakeFirst(), 'still to be delivered');
  });
});

describe('the retry schedule', () => {
  test('each retry waits its scheduled delay ±20%, rounded up to whole seconds; after the last there is none', () => {
    const schedule = [5, 300, 1800];
    const now = 1_000_000_000_500; // ms, mid-second
    assert.equal(nextAttemptAt(schedule, 1, now, () => 0), Math.ceil(1_000_000_000.5 + 4));
    assert.equal(nextAttemptAt(schedule, 1, now, () => 1), Math.ceil(1_000_000_000.5 + 6));
    assert.equal(nextAttemptAt(schedule, 2, now, () => 0.5), Math.ceil(1_000_000_000.5 + 300));
    assert.equal(nextAttemptAt(schedule, 3, now, () => 0), Math.ceil(1_000_000_000.5 + 1440));
    assert.equal(nextAttemptAt(schedule, 4, now), null);
  });
});

describe('secrets and signatures', () => {
  test('generated secrets parse, and our signature is the one the standardwebhooks library computes', () => {
    const secret = generateSecret();
    const key = parseSecret(secret);
    assert.ok(Buffer.isBuffer(key) && key.length === 32);
    const body = JSON.stringify({ type: 'webhook.test', data: { note: 'ünïcødé ✓' } });
    const headers = signatureHeaders(key, 'msg_1', 1_700_000_000, body);
    assert.equal(headers['webhook-signature'], new Webhook(secret).sign('msg_1', new Date(1_700_000_000_000), body));
  });

  test('secrets that are not whsec_ + padded base64 of 24 to 64 bytes are refused', () => {
    for (const secret of ['', 'whsec_', randomBytes(32).toString('base64'), `whsec_${randomBytes(23).toString('base64')}`, `whsec_${randomBytes(65).toString('base64')}`, `whsec_${'AB-_'.repeat(11)}`, 'whsec_%%%%']) {
      assert.equal(typeof parseSecret(secret), 'string', secret);
    }
    assert.ok(Buffer.isBuffer(parseSecret(`whsec_${randomBytes(24).toString('base64')}`)));
    assert.ok(Buffer.isBuffer(parseSecret(`whsec_${randomBytes(64).toString('base64')}`)));
  });
});

describe('target addresses', () => {
  test('every address is classified, IPv4-mapped, NAT64 and 6to4 forms by the IPv4 address inside', () => {
    const table: Array<[string, string]> = [
      ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['2606:4700::1111', 'public'], ['::ffff:8.8.8.8', 'public'],
      ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['2002:7f00:1::', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'], ['100.64.0.1', 'private'], ['fd12:3456::1', 'private'], ['::ffff:10.0.0.1', 'private'],
      ['169.254.169.254', 'blocked'], ['fe80::1', 'blocked'], ['fe80::1%eth0', 'blocked'], ['0.0.0.0', 'blocked'], ['::', 'blocked'], ['224.0.0.1', 'blocked'], ['ff02::1', 'blocked'],
      ['255.255.255.255', 'blocked'], ['240.0.0.1', 'blocked'], ['64:ff9b::a9fe:a9fe', 'blocked'], ['::ffff:169.254.169.254', 'blocked'], ['2001:db8::1', 'blocked'], ['::2', 'blocked'], ['not-an-ip', 'blocked'],
      ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['11.0.0.1', 'public'],
      // SIIT (RFC 6052/7915, ::ffff:0:a.b.c.d) reaches the IPv4 address inside; a local-use NAT64 prefix (RFC 8215,
      // 64:ff9b:1::/48) reaches whatever IPv4 network its translator serves: private at least.
      ['::ffff:0:7f00:1', 'loopback'], ['::ffff:0:10.0.0.1', 'private'], ['::ffff:0:a9fe:a9fe', 'blocked'], ['::ffff:0:8.8.8.8', 'public'],
      ['64:ff9b:1::8.8.8.8', 'private'], ['64:ff9b:1:a00:100::808:808', 'private'], ['64:ff9b:1::a9fe:a9fe', 'blocked'], ['64:ff9b:1::7f00:1', 'loopback'], ['64:ff9b:2::1', 'public'],
    ];
    for (const [ip, kind] of table) assert.equal(classifyAddress(ip).kind, kind, ip);
  });

  test('public needs https; loopback and private need the flag; blocked is never allowed', () => {
    assert.equal(addressRefusal('8.8.8.8', 'https:', { allowPrivate: false }), null);
    assert.match(addressRefusal('8.8.8.8', 'http:', { allowPrivate: true })!, /https/);
    assert.match(addressRefusal('127.0.0.1', 'https:', { allowPrivate: false })!, /AVATAR_WEBHOOK_ALLOW_PRIVATE/);
    assert.equal(addressRefusal('127.0.0.1', 'http:', { allowPrivate: true }), null);
    assert.equal(addressRefusal('10.0.0.1', 'https:', { allowPrivate: true }), null);
    assert.match(addressRefusal('169.254.169.254', 'https:', { allowPrivate: true })!, /link-local/);
  });
});
