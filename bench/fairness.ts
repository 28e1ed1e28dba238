// Fairness (issue 19 #2–#4): what one user (or one webhook endpoint) costs everybody else. Each figure is another
// user's latency while one user floods, next to the same latency with no flood, measured in the same run against
// the same built server:
// - jobs: complete → ready of another user's widget-like 1600 px WebP while one user has FLOOD_JOBS 12 MP JPEGs
//   queued (job concurrency 2), vs. the same upload on an idle server;
// - webhooks, one user's burst: change → arrival at the receiver of another user's avatar.removed while one user
//   sets and removes an avatar as fast as the API lets a client (the change limit raised for the flooder's sake, as
//   an attacker with many accounts would get around it), vs. the same event with no burst;
// - webhooks, a dead endpoint: a healthy endpoint's test event while another endpoint that never answers has
//   DEAD_EVENTS test events queued, vs. the same event with no dead endpoint.
// Readiness is learnt by long-poll (GET /v1/files/{id}?wait=30), so no polling interval is added to a latency.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api } from '../test/helpers/server.ts';
import { photoJpeg12mp, photoWebp1600, type BenchImage } from './images.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { complete, createUpload, putBytes, startBenchServer, type BenchServer, type CreatedUpload } from './server-process.ts';
import { summarise } from './stats.ts';

const RUNS = Number(process.env.BENCH_FAIRNESS_RUNS ?? 5);
const FLOOD_JOBS = 24;
const DEAD_EVENTS = 64;
/** A receiver that takes this long per request, as one across a network does. */
const RECEIVER_DELAY_MS = 20;
/** Concurrent client loops of the flooding user. */
const FLOOD_CLIENTS = 4;

function log(line: string) {
  process.stderr.write(`[bench] fairness: ${line}\n`);
}

/** Waits (long-poll) until the upload is ready; the time the answer came. */
async function readyAt(server: BenchServer, upload: CreatedUpload): Promise<number> {
  for (;;) {
    const res = await api(server, 'GET', `/v1/files/${upload.fileId}?wait=30`, { token: upload.token });
    if (res.status !== 200) throw new Error(`GET file: ${res.status} ${res.text}`);
    if (res.json.processing_state === 'ready') return performance.now();
    if (res.json.processing_state === 'failed') throw new Error(`file ${upload.fileId} failed: ${res.text}`);
  }
}

/** complete → ready of one upload of `image` by `userId`. */
async function uploadLatency(server: BenchServer, userId: string, image: BenchImage): Promise<number> {
  const upload = await createUpload(server, server.token(userId), image.bytes, image.mime);
  await putBytes(upload, image.bytes);
  const start = performance.now();
  await complete(server, upload);
  return (await readyAt(server, upload)) - start;
}

const median = (values: number[]) => summarise(values).median;

async function jobFairness(): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const [flood, photo] = await Promise.all([photoJpeg12mp(), photoWebp1600()]);
  const server = await startBenchServer({ AVATAR_JOB_CONCURRENCY: '2', AVATAR_MAX_AVATAR_BYTES: String(10 * 1024 * 1024) });
  try {
    await uploadLatency(server, 'warm-up', photo);
    const quiet: number[] = [];
    for (let i = 0; i < RUNS; i++) quiet.push(await uploadLatency(server, `quiet-${i}`, photo));

    log(`jobs: ${FLOOD_JOBS} × ${flood.description} queued by one user, then ${RUNS} uploads of another`);
    const backlog = await Promise.all(
      Array.from({ length: FLOOD_JOBS }, async () => {
        const upload = await createUpload(server, server.token('flooder'), flood.bytes, flood.mime);
        await putBytes(upload, flood.bytes);
        return upload;
      }),
    );
    const backlogIds = new Set(backlog.map((upload) => upload.fileId));
    const unfinished = () => FLOOD_JOBS - server.lines.filter((l) => backlogIds.has(/^job finished \S+ (\S+) /.exec(l.text)?.[1] ?? '')).length;
    await Promise.all(backlog.map((upload) => complete(server, upload)));
    const floodStart = performance.now();
    const flooded: number[] = [];
    const queuedAtEach: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      queuedAtEach.push(unfinished());
      flooded.push(await uploadLatency(server, `bystander-${i}`, photo));
    }
    for (const upload of backlog) await readyAt(server, upload); // one wait at a time: a user may have 8 at once
    const floodMs = performance.now() - floodStart;
    const quietMedian = median(quiet);
    return {
      figures: [
        figure({
          id: 'fairness_job_latency_flooded_ms',
          label: `another user's ${photo.name} complete → ready, one user flooding`,
          value: round(median(flooded)),
          unit: 'ms',
          reference: { label: 'same upload, no flood (same run)', value: round(quietMedian), unit: 'ms' },
          note:
            `median of ${RUNS}; one user had ${FLOOD_JOBS} × ${flood.name} queued (still ${queuedAtEach.join(', ')} not finished at each start), ` +
            `job concurrency 2; the flood took ${round(floodMs)} ms in all, so first in, first out would have kept the others waiting up to that`,
        }),
      ],
      details: { quiet_ms: quiet.map((v) => round(v)), flooded_ms: flooded.map((v) => round(v)), flood_total_ms: round(floodMs), flood_jobs: FLOOD_JOBS },
    };
  } finally {
    await server.stop();
  }
}

interface Arrival {
  id: string;
  body: string;
  path: string;
  at: number;
}

/** A receiver answering 204 after RECEIVER_DELAY_MS, or never on paths under /dead. */
async function startReceiver() {
  const arrivals: Arrival[] = [];
  const waiters = new Set<() => void>();
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrivals.push({ id: String(req.headers['webhook-id'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '', at: performance.now() });
      for (const wake of [...waiters]) wake();
      if ((req.url ?? '').startsWith('/dead')) {
        held.add(res);
        return;
      }
      setTimeout(() => res.writeHead(204).end(), RECEIVER_DELAY_MS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const arrivalOf = (match: (a: Arrival) => boolean) =>
    new Promise<Arrival>((resolve) => {
      const check = () => {
        const found = arrivals.find(match);
        if (!found) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  return {
    url,
    arrivals,
    arrivalOf,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function webhookFairness(): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const receiver = await startReceiver();
  const adminKey = 'bench-admin-key-0123456789';
  const server = await startBenchServer({ AVATAR_ADMIN_KEY: adminKey, AVATAR_WEBHOOK_ALLOW_PRIVATE: '1', AVATAR_CHANGE_RATE_LIMIT: '1000000' });
  const headers = { authorization: `Bearer ${adminKey}` };
  const addEndpoint = async (path: string) => {
    const res = await api(server, 'POST', '/v1/admin/webhooks', { headers, json: { url: `${receiver.url}${path}` } });
    if (res.status !== 201) throw new Error(`webhook: ${res.status} ${res.text}`);
    return res.json.id as string;
  };
  try {
    const endpoint = await addEndpoint('/hooks');
    // Users with an avatar to remove: a cartoon each (its own request, no job).
    const cartoon = (userId: string) => api(server, 'POST', '/v1/users/me/avatar/config', { token: server.token(userId), json: { data: {} } });
    const photo = await photoWebp1600();
    const fileOf = async (userId: string) => {
      const upload = await createUpload(server, server.token(userId), photo.bytes, photo.mime);
      await putBytes(upload, photo.bytes);
      await complete(server, upload);
      await readyAt(server, upload);
      return upload.fileId;
    };
    /** Another user's removal → its avatar.removed at the receiver. */
    const removalLatency = async (userId: string) => {
      await cartoon(userId);
      await receiver.arrivalOf((a) => a.body.includes(`"user_id":"${userId}"`) && a.body.includes('avatar.ready'));
      const start = performance.now();
      const res = await api(server, 'DELETE', '/v1/users/me/avatar', { token: server.token(userId) });
      if (res.status !== 204) throw new Error(`remove: ${res.status} ${res.text}`);
      const arrival = await receiver.arrivalOf((a) => a.body.includes(`"user_id":"${userId}"`) && a.body.includes('avatar.removed'));
      return arrival.at - start;
    };

    const quiet: number[] = [];
    for (let i = 0; i < RUNS; i++) quiet.push(await removalLatency(`calm-${i}`));

    log(`webhooks: one user setting and removing an avatar from ${FLOOD_CLIENTS} clients, ${RUNS} removals by others`);
    const floodFile = await fileOf('flooder');
    const floodToken = server.token('flooder');
    let flooding = true;
    let floodChanges = 0;
    const floodLoops = Array.from({ length: FLOOD_CLIENTS }, async () => {
      while (flooding) {
        await api(server, 'PUT', '/v1/users/me/avatar', { token: floodToken, json: { file_id: floodFile } });
        await api(server, 'DELETE', '/v1/users/me/avatar', { token: floodToken });
        floodChanges += 2;
      }
    });
    // Let a backlog build first: the receiver takes RECEIVER_DELAY_MS per delivery, one at a time per user.
    while (floodChanges < 1000) await new Promise((resolve) => setTimeout(resolve, 50));
    const flooded: number[] = [];
    const backlogAtEach: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const floodDelivered = receiver.arrivals.filter((a) => a.body.includes('"user_id":"flooder"')).length;
      backlogAtEach.push(floodChanges - floodDelivered);
      flooded.push(await removalLatency(`bystander-${i}`));
    }
    flooding = false;
    await Promise.all(floodLoops);

    log(`webhooks: ${DEAD_EVENTS} test events to an endpoint that never answers, ${RUNS} to a healthy one`);
    const testLatency = async (id: string) => {
      const start = performance.now();
      const res = await api(server, 'POST', `/v1/admin/webhooks/${id}/test`, { headers });
      if (res.status !== 202) throw new Error(`test: ${res.status} ${res.text}`);
      const arrival = await receiver.arrivalOf((a) => a.id === res.json.event_id);
      return arrival.at - start;
    };
    const healthy = await addEndpoint('/healthy');
    const alone: number[] = [];
    for (let i = 0; i < RUNS; i++) alone.push(await testLatency(healthy));
    const dead = await addEndpoint('/dead');
    for (let i = 0; i < DEAD_EVENTS; i++) await api(server, 'POST', `/v1/admin/webhooks/${dead}/test`, { headers });
    await receiver.arrivalOf((a) => a.path.startsWith('/dead'));
    const besideDead: number[] = [];
    for (let i = 0; i < RUNS; i++) besideDead.push(await testLatency(healthy));
    const deadHeld = receiver.arrivals.filter((a) => a.path.startsWith('/dead')).length;

    return {
      figures: [
        figure({
          id: 'fairness_webhook_latency_burst_ms',
          label: "another user's avatar.removed, change → webhook, one user bursting",
          value: round(median(flooded)),
          unit: 'ms',
          reference: { label: 'same event, no burst (same run)', value: round(median(quiet)), unit: 'ms' },
          note:
            `median of ${RUNS}; the bursting user had ${backlogAtEach.join(', ')} events not yet delivered at each; receiver ${RECEIVER_DELAY_MS} ms per request; ` +
            `${floodChanges} changes in the burst (AVATAR_CHANGE_RATE_LIMIT raised for the bench: by default one user gets 60 a minute)`,
        }),
        figure({
          id: 'fairness_webhook_latency_dead_endpoint_ms',
          label: 'a healthy endpoint’s test event beside an endpoint that never answers',
          value: round(median(besideDead)),
          unit: 'ms',
          reference: { label: 'same event, no dead endpoint (same run)', value: round(median(alone)), unit: 'ms' },
          note: `median of ${RUNS}; ${DEAD_EVENTS} test events queued to the dead endpoint, which held ${deadHeld} requests open (10 s timeouts)`,
        }),
      ],
      details: {
        burst: { quiet_ms: quiet.map((v) => round(v)), flooded_ms: flooded.map((v) => round(v)), backlog_at_each: backlogAtEach, changes: floodChanges },
        dead_endpoint: { alone_ms: alone.map((v) => round(v)), beside_dead_ms: besideDead.map((v) => round(v)), dead_requests_held: deadHeld },
        endpoint,
      },
    };
  } finally {
    await server.stop();
    await receiver.close();
  }
}

export const fairnessBench: BenchModule = {
  name: 'fairness',
  async run(): Promise<SectionResult> {
    log('jobs');
    const jobs = await jobFairness();
    log('webhooks');
    const webhooks = await webhookFairness();
    return {
      name: 'fairness',
      figures: [...jobs.figures, ...webhooks.figures],
      notes: [
        'fairness: each figure is another user’s latency while one user (or endpoint) floods, its reference the same latency with no flood, same run',
      ],
      details: { jobs: jobs.details, webhooks: webhooks.details },
    };
  },
};
