// Webhooks (issue 11), against the built server and a local receiver (node:http in this process, answering 204):
// - latency from an event (POST /v1/admin/webhooks/{id}/test, timed from the request) to its arrival at the
//   receiver, median and p99, next to one plain fetch POST of the same body to the same receiver;
// - deliveries/s with 1,000 queued events: the server is stopped, 1,000 avatar.ready events of 100 users are
//   written to its outbox with the server's own code, and it is started again; the rate from the first arrival
//   to the last is compared with plain fetch POSTs of the same bodies and headers to the same receiver in the
//   same run, DEFAULT_CONCURRENCY (the dispatcher's) at a time, as the dispatcher sends them (run before and
//   after; the faster is the reference). Target ≥ 0.5× that.
// - the same deliveries/s with the server on PostgreSQL (test/helpers/postgres.ts: a throwaway server started here,
//   durability as SQLite's, as bench/scale-out.ts runs it; the server's files in a folder), next to its own reference
//   measured around it in the same way.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { openDatabase, type DatabaseSettings } from '../server/db/index.ts';
import { DEFAULT_CONCURRENCY } from '../server/webhooks/dispatcher.ts';
import { recordEvent } from '../server/webhooks/outbox.ts';
import { parseSecret, signatureHeaders } from '../server/webhooks/sign.ts';
import { figure, round, type BenchModule, type SectionResult } from './report.ts';
import { startBenchServer, type BenchServer } from './server-process.ts';
import { summarise } from './stats.ts';
// Types only: the helper itself (pg) is loaded when this module runs.
import type { TestPostgres } from '../test/helpers/postgres.ts';

const LATENCY_EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 200);
const QUEUED = Number(process.env.BENCH_WEBHOOK_QUEUED ?? 1000);
const USERS = 100;
const TARGET_RATIO = 0.5;

function log(line: string) {
  process.stderr.write(`[bench] webhooks: ${line}\n`);
}

interface Arrival {
  id: string;
  body: string;
  headers: Record<string, string>;
  at: number;
}

/** The receiver: records each request's arrival (performance.now()) and wakes whoever waits for it. */
async function startReceiver() {
  const arrivals: Arrival[] = [];
  const waiters = new Map<string, (arrival: Arrival) => void>();
  const hooks: { onFirst?: () => void } = {};
  let countWaiter: { count: number; resolve: () => void } | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const arrival = { id: headers['webhook-id'] ?? '', body: Buffer.concat(chunks).toString('utf8'), headers, at: performance.now() };
      arrivals.push(arrival);
      if (arrivals.length === 1) hooks.onFirst?.();
      res.writeHead(204).end();
      waiters.get(arrival.id)?.(arrival);
      waiters.delete(arrival.id);
      if (countWaiter && arrivals.length >= countWaiter.count) countWaiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    arrivals,
    hooks,
    arrivalOf: (id: string) =>
      new Promise<Arrival>((resolve) => {
        const seen = arrivals.find((a) => a.id === id);
        if (seen) resolve(seen);
        else waiters.set(id, resolve);
      }),
    untilCount: (count: number, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (arrivals.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`only ${arrivals.length} of ${count} deliveries arrived in ${timeoutMs} ms`)), timeoutMs);
        countWaiter = { count, resolve: () => { clearTimeout(timer); resolve(); } };
      }),
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; null elsewhere). */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return (fields[11]! + fields[12]!) * 10; // utime + stime, in USER_HZ (100) ticks
  } catch {
    return null;
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function adminCall(server: BenchServer, adminKey: string, method: string, path: string, json?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Event → delivered, one event at a time, each timed from the request that records it. */
async function measureLatency(server: BenchServer, adminKey: string, receiver: Receiver, hookId: string) {
  const once = async () => {
    const started = performance.now();
    const sent = await adminCall(server, adminKey, 'POST', `/v1/admin/webhooks/${hookId}/test`);
    const arrival = await receiver.arrivalOf(String(sent.event_id));
    return arrival.at - started;
  };
  for (let i = 0; i < 10; i++) await once(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) samples.push(await once());
  return samples;
}

/** The reference: plain fetch POSTs of the same bodies and headers to the same receiver, `concurrency` at a time. */
async function fetchLoop(receiver: Receiver, requests: Array<{ body: string; headers: Record<string, string> }>, concurrency: number) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { body, headers } = requests[next++]!;
      const res = await fetch(`${receiver.url}/reference`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`reference POST: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (requests.length / (performance.now() - started)) * 1000;
}

/** Writes QUEUED avatar.ready events (USERS users, interleaved) to a stopped server's outbox with the server's code. */
async function queueEvents(database: DatabaseSettings, baseUrl: string) {
  const db = await openDatabase(database);
  try {
    const now = Math.floor(Date.now() / 1000);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < QUEUED; i++) {
        const user = `bench-user-${i % USERS}`;
        const urls = Object.fromEntries(['cropped', '1600', '512', '256', '128', '64'].map((size) => [size, `${baseUrl}/cdn/variants/r_${i}/${size}-${randomBytes(16).toString('hex')}.webp`]));
        await recordEvent(trx, now, 'avatar.ready', { user_id: user, file_id: `f_bench${i}`, version: Math.floor(i / USERS) + 1, source: 'upload', urls });
      }
    });
    return await db.selectFrom('webhook_events').select(['id', 'body']).where('type', '=', 'avatar.ready').execute();
  } finally {
    await db.destroy();
  }
}

type ServerStarter = (opts?: { nodeArgs?: string[] }) => Promise<BenchServer>;

/**
 * Deliveries/s of QUEUED events queued while `server` (running, with the endpoint `secret` is of) is stopped, then
 * sent by `start()`ed again; with the reference measured before and after, and checks that every event arrived once.
 */
async function measureDeliveries(receiver: Receiver, server: BenchServer, start: ServerStarter, database: DatabaseSettings, secret: string, label: string) {
  log(`throughput (${label}): ${QUEUED} events queued while the server is stopped`);
  await server.stop();
  const events = await queueEvents(database, server.url);
  const key = parseSecret(secret) as Buffer;
  const now = Math.floor(Date.now() / 1000);
  const requests = events.map((e) => ({ body: e.body, headers: signatureHeaders(key, e.id, now, e.body) }));

  const referenceBefore = await fetchLoop(receiver, requests, DEFAULT_CONCURRENCY);
  const sequential = await fetchLoop(receiver, requests, 1);
  receiver.arrivals.length = 0;
  const spawned = performance.now();
  // BENCH_WEBHOOK_CPU_PROF=<dir>: a V8 CPU profile of the sending server, written there when it stops.
  const profileDir = process.env.BENCH_WEBHOOK_CPU_PROF;
  const sending = await start({ nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
  try {
    let cpuAtFirst: number | null = null;
    receiver.hooks.onFirst = () => {
      cpuAtFirst = processCpuMs(sending.pid);
    };
    await receiver.untilCount(QUEUED);
    const cpuAtLast = processCpuMs(sending.pid);
    receiver.hooks.onFirst = undefined;
    const cpuPerDelivery = cpuAtFirst === null || cpuAtLast === null ? null : (cpuAtLast - cpuAtFirst) / (QUEUED - 1);
    const arrivals = receiver.arrivals.slice(0, QUEUED);
    const first = arrivals[0]!.at;
    const last = arrivals.at(-1)!.at;
    const rate = ((arrivals.length - 1) / (last - first)) * 1000;
    const referenceAfter = await fetchLoop(receiver, requests, DEFAULT_CONCURRENCY);
    const reference = Math.max(referenceBefore, referenceAfter);

    // Every event arrived, once, verifiably; and each user's events in order (their version rises).
    const ids = new Set(arrivals.map((a) => a.id));
    if (ids.size !== QUEUED || !events.every((e) => ids.has(e.id))) throw new Error(`${label}: ${ids.size} distinct events arrived of ${QUEUED}`);
    const verifier = new Webhook(secret);
    for (const arrival of arrivals.filter((_, i) => i % 50 === 0)) verifier.verify(arrival.body, arrival.headers);
    const lastVersion = new Map<string, number>();
    let outOfOrder = 0;
    for (const arrival of arrivals) {
      const { data } = JSON.parse(arrival.body) as { data: { user_id: string; version: number } };
      if ((lastVersion.get(data.user_id) ?? 0) > data.version) outOfOrder++;
      lastVersion.set(data.user_id, data.version);
    }
    return { rate, reference, referenceBefore, referenceAfter, sequential, cpuPerDelivery, firstToLast: last - first, spawnToLast: last - spawned, outOfOrder, bodyBytes: events[0]!.body.length };
  } finally {
    await sending.stop();
  }
}

type Deliveries = Awaited<ReturnType<typeof measureDeliveries>>;

const deliveriesNote = (d: Deliveries) =>
  `first to last arrival ${round(d.firstToLast)} ms; from spawning the restarted server to the last arrival ${round(d.spawnToLast)} ms; reference before ${round(d.referenceBefore)}/s, after ${round(d.referenceAfter)}/s; one at a time ${round(d.sequential)}/s; server CPU per delivery ${d.cpuPerDelivery === null ? 'n/a' : `${round(d.cpuPerDelivery, 3)} ms`} (first to last arrival)`;

const deliveriesDetails = (d: Deliveries) => ({
  throughput: { queued: QUEUED, users: USERS, per_s: round(d.rate), server_cpu_ms_per_delivery: d.cpuPerDelivery === null ? null : round(d.cpuPerDelivery, 3), first_to_last_ms: round(d.firstToLast), spawn_to_last_ms: round(d.spawnToLast) },
  reference_per_s: { concurrency: DEFAULT_CONCURRENCY, before: round(d.referenceBefore), after: round(d.referenceAfter), one_at_a_time: round(d.sequential) },
  out_of_order_within_user: d.outOfOrder,
});

/** The deliveries/s figure of one run (`where`: how the label names the configuration, `context`: the note's start). */
const deliveriesFigure = (id: string, where: string, d: Deliveries, context: string) =>
  figure({
    id,
    label: `webhooks: deliveries/s, ${QUEUED} queued events${where}`,
    value: round(d.rate),
    unit: '/s',
    reference: { label: `plain fetch POSTs, ${DEFAULT_CONCURRENCY} at a time as the dispatcher, same bodies and receiver`, value: round(d.reference), unit: '/s' },
    target: `≥ ${TARGET_RATIO}× the reference`,
    ok: d.rate / d.reference >= TARGET_RATIO,
    note: `${context}${deliveriesNote(d)}`,
  });

/** The same measurement with the server on a throwaway PostgreSQL (SQLite's durability), started and stopped here. */
async function measureOnPostgres(receiver: Receiver, env: Record<string, string>, adminKey: string, jwtSecret: string): Promise<Deliveries> {
  const { startPostgres, stopAtExit } = await import('../test/helpers/postgres.ts');
  log('starting PostgreSQL');
  const postgres: TestPostgres = await startPostgres(undefined, 'like-sqlite');
  const forgetAtExit = stopAtExit(postgres);
  const dataDir = await mkdtemp(join(tmpdir(), 'avatar-bench-webhooks-pg-'));
  try {
    const databaseUrl = await postgres.createDatabase('avatar_bench_webhooks');
    const pgEnv = { ...env, DATABASE_URL: databaseUrl };
    const start: ServerStarter = (opts = {}) => startBenchServer(pgEnv, { dataDir, jwtSecret, ...opts });
    const server = await start();
    let secret: string;
    try {
      const hook = await adminCall(server, adminKey, 'POST', '/v1/admin/webhooks', { url: `${receiver.url}/hook` });
      secret = String(hook.secret);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return await measureDeliveries(receiver, server, start, { dataDir, databaseUrl }, secret, 'PostgreSQL');
  } finally {
    await postgres.stop();
    forgetAtExit();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export const webhooksBench: BenchModule = {
  name: 'webhooks',
  async run(): Promise<SectionResult> {
    const adminKey = randomBytes(24).toString('hex');
    const jwtSecret = randomBytes(32).toString('hex');
    // Info logging: a debug line per delivery would be measured too.
    const env = { AVATAR_ADMIN_KEY: adminKey, AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_LOG_LEVEL: 'info' };
    const receiver = await startReceiver();
    // Our own data dir, so it outlives the first server process.
    const dataDir = await mkdtemp(join(tmpdir(), 'avatar-bench-webhooks-'));
    const server = await startBenchServer(env, { dataDir, jwtSecret });
    try {
      const hook = await adminCall(server, adminKey, 'POST', '/v1/admin/webhooks', { url: `${receiver.url}/hook` });
      const secret = String(hook.secret);

      log(`latency: ${LATENCY_EVENTS} test events, one at a time`);
      const latency = await measureLatency(server, adminKey, receiver, String(hook.id));
      const sample = receiver.arrivals.at(-1)!;
      const plainLatency: number[] = [];
      for (let i = 0; i < LATENCY_EVENTS; i++) {
        const started = performance.now();
        const res = await fetch(`${receiver.url}/reference`, { method: 'POST', headers: { ...sample.headers, 'content-type': 'application/json' }, body: sample.body });
        await res.arrayBuffer();
        plainLatency.push(performance.now() - started);
      }

      const sqlite = await measureDeliveries(receiver, server, (opts = {}) => startBenchServer(env, { dataDir, jwtSecret, ...opts }), { dataDir }, secret, 'SQLite');
      const pg = await measureOnPostgres(receiver, env, adminKey, jwtSecret);

      const lat = summarise(latency);
      const plain = summarise(plainLatency);
      const p99 = percentile(latency, 99);
      return {
        name: 'webhooks',
        figures: [
          figure({
            id: 'webhook_latency_median_ms',
            label: 'webhooks: event → delivered (median)',
            value: round(lat.median, 2),
            unit: 'ms',
            reference: { label: 'one plain fetch POST to the receiver (median)', value: round(plain.median, 2), unit: 'ms' },
            note: `${LATENCY_EVENTS} webhook.test events one at a time, from the admin request to the receiver's arrival; min ${round(lat.min, 2)} max ${round(lat.max, 2)} ms`,
          }),
          figure({
            id: 'webhook_latency_p99_ms',
            label: 'webhooks: event → delivered (p99)',
            value: round(p99, 2),
            unit: 'ms',
            reference: { label: 'one plain fetch POST to the receiver (p99)', value: round(percentile(plainLatency, 99), 2), unit: 'ms' },
          }),
          deliveriesFigure('webhook_deliveries_per_s', '', sqlite, ''),
          deliveriesFigure('webhook_deliveries_pg_per_s', ', PostgreSQL', pg, "the server on PostgreSQL (fsync on, synchronous_commit off: SQLite's durability), one process; "),
        ],
        notes: [
          `webhooks: ${QUEUED} avatar.ready events of ${USERS} users (~${Math.round(sqlite.bodyBytes)} bytes each), signed and verified (every 50th with standardwebhooks); ` +
            `${sqlite.outOfOrder} (SQLite), ${pg.outOfOrder} (PostgreSQL) arrived out of order within a user (one in flight per user and endpoint)`,
        ],
        details: {
          latency_ms: lat,
          latency_p99_ms: round(p99, 2),
          plain_fetch_ms: plain,
          ...deliveriesDetails(sqlite),
          postgres: deliveriesDetails(pg),
        },
      };
    } finally {
      await server.stop();
      await receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
