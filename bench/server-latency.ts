// Upload-complete → all variants ready, through a real server process, next to the same run's in-process
// floor (decode + one 1600 px WebP), the pipeline alone, and the naive six-pipeline way. Every method is
// measured once per round, in rotating order, so background load on the machine hits them all alike.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { figure, round, type Figure } from './report.ts';
import type { BenchImage } from './images.ts';
import { api } from '../test/helpers/server.ts';
import { complete, cpuTimes, createUpload, jobFinished, jobStarted, pollUntilReady, putBytes, readyByLog, startBenchServer, type BenchServer } from './server-process.ts';
import { floor, naive, pipeline, pipelineBreakdown, type Breakdown, type Input } from './server-work.ts';
import { ENCODES_AT_ONCE } from '../server/images/pipeline.ts';
import { median, summarise, timed, type Summary } from './stats.ts';
import { startNodeReference, type ServedObject } from './serving-references.ts';

export const POLL_INTERVAL_MS = 5;
const TARGET_RATIO = 1.5;

export interface EndToEndRun {
  e2e_ms: number;
  /** The POST …/complete round trip. */
  complete_http_ms: number;
  /** complete sent → "job started" line received (queueing + claim). */
  to_job_start_ms: number;
  /** "job started" → "job finished" lines: read the original, probe, render, store the objects, commit. */
  job_ms: number;
  /** "job finished" line → the poll that saw 'ready' (0 when detected from the log). */
  detect_ms: number;
  polls: number;
  /** CPU the server process used from complete to ready: all threads, and its event-loop thread. */
  server_cpu_ms: number;
  server_main_cpu_ms: number;
  /** CPU this (client) process used meanwhile, mostly polling. */
  client_cpu_ms: number;
}

/** One upload through the real server; readiness seen by polling GET /v1/files/{id}, or from the job's log line. */
export async function endToEndOnce(server: BenchServer, image: BenchImage, user: string, detect: 'poll' | 'log'): Promise<EndToEndRun> {
  const upload = await createUpload(server, server.token(user), image.bytes, image.mime);
  await putBytes(upload, image.bytes);
  const cpuBefore = cpuTimes(server.pid);
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  await complete(server, upload);
  const completed = performance.now();
  let ready: number;
  let polls = 0;
  if (detect === 'poll') {
    const seen = await pollUntilReady(server, [upload], POLL_INTERVAL_MS);
    ready = seen.readyAt.get(upload.fileId)!;
    polls = seen.polls;
  } else {
    ready = await readyByLog(server, [upload]);
  }
  const cpuAfter = cpuTimes(server.pid);
  const client = process.cpuUsage(clientBefore);
  const started = await server.waitForLine(jobStarted(upload.fileId));
  const finished = await server.waitForLine(jobFinished(upload.fileId));
  return {
    e2e_ms: ready - start,
    complete_http_ms: completed - start,
    to_job_start_ms: started - start,
    job_ms: finished - started,
    detect_ms: Math.max(0, ready - finished),
    polls,
    server_cpu_ms: cpuAfter.totalMs - cpuBefore.totalMs,
    server_main_cpu_ms: cpuAfter.mainMs - cpuBefore.mainMs,
    client_cpu_ms: (client.user + client.system) / 1000,
  };
}

/** Runs as one array per field (compact in the JSON). */
export function columns(runs: EndToEndRun[]): Record<string, number[]> {
  const keys = Object.keys(runs[0] ?? {}) as Array<keyof EndToEndRun>;
  return Object.fromEntries(keys.map((key) => [key, runs.map((run) => round(run[key], 1))]));
}

export function medianOf(runs: EndToEndRun[], key: keyof EndToEndRun): number {
  return round(median(runs.map((r) => r[key])));
}

/** Medians of each numeric field over several breakdowns. */
function medianBreakdown(runs: Breakdown[]) {
  const first = runs[0]!;
  const encode_ms: Record<string, number> = {};
  for (const key of Object.keys(first.encode_ms)) encode_ms[key] = round(median(runs.map((r) => r.encode_ms[key]!)));
  return {
    probe_ms: round(median(runs.map((r) => r.probe_ms))),
    decode_square_ms: round(median(runs.map((r) => r.decode_square_ms))),
    square_px: first.square_px,
    encode_ms,
    encode_sum_ms: round(median(runs.map((r) => r.encode_sum_ms))),
    encode_parallel_ms: round(median(runs.map((r) => r.encode_parallel_ms))),
  };
}

async function measureImage(server: BenchServer, image: BenchImage, runs: number) {
  const work: Input = { bytes: image.bytes, mime: image.mime, width: image.width, height: image.height };
  const e2e: Record<'poll' | 'log', EndToEndRun[]> = { poll: [], log: [] };
  const methods = {
    decode_only: () => timed(() => sharp(work.bytes).rotate().raw().toBuffer()),
    floor: () => timed(() => floor(work)),
    pipeline: () => timed(() => pipeline(work)),
    naive: () => timed(() => naive(work)),
    e2e_poll: async () => {
      const run = await endToEndOnce(server, image, `lat-${image.name}-${e2e.poll.length}`, 'poll');
      e2e.poll.push(run);
      return run.e2e_ms;
    },
    e2e_log: async () => {
      const run = await endToEndOnce(server, image, `lat-log-${image.name}-${e2e.log.length}`, 'log');
      e2e.log.push(run);
      return run.e2e_ms;
    },
  };
  type Method = keyof typeof methods;
  const names = Object.keys(methods) as Method[];
  for (const name of names) await methods[name](); // warm-up
  e2e.poll.length = 0;
  e2e.log.length = 0;
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Method, number[]>;
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + run) % names.length]!;
      samples[name].push(await methods[name]());
    }
  }
  const breakdowns: Breakdown[] = [];
  for (let i = 0; i < 3; i++) breakdowns.push(await pipelineBreakdown(work));
  const summaries = Object.fromEntries(names.map((name) => [name, summarise(samples[name])])) as Record<Method, Summary>;
  // Round i of each method ran close together in time: the median of per-round ratios is robust to load drifting.
  const pairedRatio = round(median(samples.e2e_poll.map((value, i) => value / samples.floor[i]!)), 2);
  return { summaries, e2e, breakdown: medianBreakdown(breakdowns), pairedRatio };
}

/**
 * Server and client CPU per request for the poll (GET /v1/files/{id}) and for GET /healthz, on an idle server; and the
 * same poll answered by node:http from memory (its body and headers as our server sent them), the least a Node
 * process can spend per request, with the same client loop.
 */
async function requestCost(server: BenchServer, image: BenchImage, count = 2000) {
  const upload = await createUpload(server, server.token('cost'), image.bytes, image.mime);
  const measure = async (target: { url: string; pid: number }, path: string, token?: string) => {
    const serverBefore = cpuTimes(target.pid).totalMs;
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < count; i++) await api(target.url, 'GET', path, token ? { token } : {});
    const wall = performance.now() - start;
    const client = process.cpuUsage(clientBefore);
    return {
      wall_ms_per_request: round(wall / count, 3),
      server_cpu_ms_per_request: round((cpuTimes(target.pid).totalMs - serverBefore) / count, 3),
      client_cpu_ms_per_request: round((client.user + client.system) / 1000 / count, 3),
    };
  };
  const pollPath = `/v1/files/${upload.fileId}`;
  const reference = await startNodeReference([await servedAsIs(server, pollPath, upload.token)]);
  try {
    // Warm-up: both servers' code optimised by V8 before anything counts.
    await measure(server, pollPath, upload.token);
    await measure(reference, pollPath);
    // Alternating, so drifting background load hits both alike.
    const file_get = await measure(server, pollPath, upload.token);
    const node_http = await measure(reference, pollPath);
    return { file_get, node_http, healthz: await measure(server, '/healthz'), requests: count };
  } finally {
    await reference.stop();
  }
}

/** The answer to GET `path` as `server` sends it, for the node:http reference to send from memory. */
async function servedAsIs(server: BenchServer, path: string, token: string): Promise<ServedObject> {
  const res = await api(server, 'GET', path, { token });
  const file = join(server.dataDir, 'reference-answer');
  await writeFile(file, res.text);
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(name)));
  return { path, file, etag: '"none"', headers200: headers, headers304: {} };
}

export async function latencyBenchmark(images: BenchImage[], runs: number, env: Record<string, string>) {
  const server = await startBenchServer({ ...env, AVATAR_JOB_CONCURRENCY: '1' });
  const measured: Array<Awaited<ReturnType<typeof measureImage>>> = [];
  let cost: Awaited<ReturnType<typeof requestCost>>;
  try {
    for (const image of images) measured.push(await measureImage(server, image, runs));
    cost = await requestCost(server, images[0]!);
  } finally {
    await server.stop();
  }

  const figures: Figure[] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  images.forEach((image, index) => {
    const { summaries: s, e2e, breakdown: b, pairedRatio } = measured[index]!;
    const floorRef = { label: `floor: decode + one ${image.width < 1600 || image.height < 1600 ? '≤1600' : '1600'} px WebP`, value: s.floor.median, unit: 'ms' };
    const split = (list: EndToEndRun[]) => ({
      complete_http_ms: medianOf(list, 'complete_http_ms'),
      to_job_start_ms: medianOf(list, 'to_job_start_ms'),
      job_ms: medianOf(list, 'job_ms'),
      detect_ms: medianOf(list, 'detect_ms'),
      polls: medianOf(list, 'polls'),
      server_cpu_ms: medianOf(list, 'server_cpu_ms'),
      server_main_cpu_ms: medianOf(list, 'server_main_cpu_ms'),
      client_cpu_ms: medianOf(list, 'client_cpu_ms'),
    });
    const polled = split(e2e.poll);
    const logged = split(e2e.log);
    const ratio = s.e2e_poll.median / s.floor.median;
    figures.push(
      figure({
        id: `e2e_${image.name}_ms`,
        label: `${image.description}: complete → ready (server, polled)`,
        value: s.e2e_poll.median,
        unit: 'ms',
        reference: floorRef,
        target: `≤ ${TARGET_RATIO}× floor`,
        ok: ratio <= TARGET_RATIO,
        note:
          `median of ${runs} (min ${s.e2e_poll.min}, max ${s.e2e_poll.max}); GET /v1/files/{id} every ${POLL_INTERVAL_MS} ms + request time, ` +
          `~${polled.polls} polls per run; median of per-round ratios ${pairedRatio}×. Split (medians): complete call ${polled.complete_http_ms} ms, ` +
          `complete → job start ${polled.to_job_start_ms} ms, job ${polled.job_ms} ms, job end → seen ready ${polled.detect_ms} ms`,
      }),
      figure({
        id: `e2e_log_${image.name}_ms`,
        label: `${image.description}: complete → ready (server, no polling)`,
        value: s.e2e_log.median,
        unit: 'ms',
        reference: floorRef,
        target: `≤ ${TARGET_RATIO}× floor`,
        ok: s.e2e_log.median / s.floor.median <= TARGET_RATIO,
        note: `ready detected from the job's "finished" log line (printed after its commit), so no poll requests load the server; job ${logged.job_ms} ms`,
      }),
      figure({
        id: `pipeline_${image.name}_ms`,
        label: `${image.description}: pipeline in-process`,
        value: s.pipeline.median,
        unit: 'ms',
        reference: floorRef,
        note: `probeImage + renderAvatarVariants: ${b.square_px} px square, ${Object.keys(b.encode_ms).length} distinct WebP encodes`,
      }),
      figure({
        id: `naive_${image.name}_ms`,
        label: `${image.description}: naive, six pipelines`,
        value: s.naive.median,
        unit: 'ms',
        reference: floorRef,
        note: `six decode-crop-resize-encode pipelines run concurrently; the pipeline is ${(s.naive.median / s.pipeline.median).toFixed(2)}× faster`,
      }),
      figure({
        id: `floor_${image.name}_ms`,
        label: `${image.description}: floor`,
        value: s.floor.median,
        unit: 'ms',
        reference: { label: 'decode only (sharp → raw)', value: s.decode_only.median, unit: 'ms' },
      }),
    );
    details[image.name] = {
      image: { description: image.description, bytes: image.bytes.length, width: image.width, height: image.height, mime: image.mime },
      runs,
      summaries: s,
      paired_ratio_e2e_to_floor: pairedRatio,
      pipeline_breakdown: b,
      end_to_end: { poll_interval_ms: POLL_INTERVAL_MS, polled: { median_split: polled, runs: columns(e2e.poll) }, log_detected: { median_split: logged, runs: columns(e2e.log) } },
    };
    notes.push(
      `${image.name} pipeline stages (replica, medians of 3): probe ${b.probe_ms} ms, decode+crop+resize to ${b.square_px} px raw ${b.decode_square_ms} ms, ` +
        `encodes ${Object.entries(b.encode_ms).map(([k, v]) => `${k}: ${v}`).join(', ')} ms ` +
        `(sum ${b.encode_sum_ms} ms one after another, ${b.encode_parallel_ms} ms ${ENCODES_AT_ONCE} at a time, as the pipeline runs them)`,
      `${image.name} in the server: job ${polled.job_ms} ms while polled, ${logged.job_ms} ms unpolled, vs pipeline in-process ${s.pipeline.median} ms; ` +
        `outside the job (HTTP, queue, detection) ${round(s.e2e_poll.median - polled.job_ms)} ms. CPU complete → ready: server ${polled.server_cpu_ms} ms ` +
        `(event loop ${polled.server_main_cpu_ms}) + client ${polled.client_cpu_ms} ms polled, server ${logged.server_cpu_ms} ms (event loop ${logged.server_main_cpu_ms}) unpolled`,
    );
  });
  figures.push(
    figure({
      id: 'poll_server_cpu_ms',
      label: 'one poll (GET /v1/files/{id}): server CPU per request',
      value: cost.file_get.server_cpu_ms_per_request,
      unit: 'ms',
      reference: { label: 'node:http sending the same answer from memory', value: cost.node_http.server_cpu_ms_per_request, unit: 'ms' },
      note:
        `idle server, ${cost.requests} requests one after another on a kept-alive connection; wall ${cost.file_get.wall_ms_per_request} ms ` +
        `(node:http ${cost.node_http.wall_ms_per_request} ms), client CPU ${cost.file_get.client_cpu_ms_per_request} ms; ` +
        `GET /healthz: ${cost.healthz.server_cpu_ms_per_request} ms server CPU. Each request also writes its log line and metrics sample, checks the token and reads SQLite`,
    }),
  );
  details.request_cost = cost;
  return { figures, details, notes };
}
