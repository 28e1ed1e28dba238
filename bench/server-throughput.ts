// Images per second through the full upload flow at job concurrency 1 and 2, each next to the floor at the same
// concurrency (decode + one 1600 px WebP per image, 1 or 2 at a time) measured in another process in the same run,
// as the server is one (issue 19 #9): the target is ≥ 0.85× the floor at 2 at a time.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { figure, round, type Figure } from './report.ts';
import type { BenchImage } from './images.ts';
import { complete, createUpload, jobFinished, pollUntilReady, putBytes, startBenchServer, waitForLineOnAny, type BenchServer, type CreatedUpload } from './server-process.ts';

/** Between polling passes over the pending uploads (one request at a time); small next to a run of seconds. */
export const POLL_INTERVAL_MS = 50;
const TARGET_RATIO = 0.85;

const floorScript = fileURLToPath(new URL('./floor-process.ts', import.meta.url));

/**
 * The floor's images/s, `parallel` at a time, in a process of its own (bench/floor-process.ts); `work` 'pipeline':
 * the server's image work alone instead (probe, one decode, every variant), which tells the gap's two parts apart.
 */
async function floorThroughput(image: BenchImage, count: number, parallel: number, work: 'floor' | 'pipeline' = 'floor'): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'avatar-floor-'));
  try {
    const file = join(dir, 'image');
    await writeFile(file, image.bytes);
    const args = ['--import', 'tsx', floorScript, file, image.mime, String(image.width), String(image.height), String(count), String(parallel), work];
    const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
    return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { images_per_s: number }).images_per_s;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ThroughputRun {
  images: number;
  processes: number;
  elapsed_ms: number;
  images_per_s: number;
  by_log_elapsed_ms: number;
  by_log_images_per_s: number;
  polls: number;
  /** Jobs run by each process (by its "job started" lines), in the order of `servers`. */
  jobs_per_process: number[];
}

/**
 * Images/s through already started servers (one, or several processes sharing one database and storage): one
 * warm-up image per process, then `count` uploads created and PUT (untimed), spread round-robin over the
 * processes, all completed at once, each polled on the process that took its complete (one request in flight
 * per process), until every one is ready.
 */
export async function measureThroughput(servers: BenchServer[], image: BenchImage, count: number): Promise<ThroughputRun> {
  // Warm-up: one image through the whole flow on each process.
  await Promise.all(
    servers.map(async (server) => {
      const warm = await createUpload(server, server.token('warm'), image.bytes, image.mime);
      await putBytes(warm, image.bytes);
      await complete(server, warm);
      await pollUntilReady(server, [warm], POLL_INTERVAL_MS);
    }),
  );

  // Create and upload everything first (untimed), then complete all at once.
  const uploads: Array<{ server: BenchServer; upload: CreatedUpload }> = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const server = servers[i % servers.length]!;
      const upload = await createUpload(server, server.token(`tp-${i}`), image.bytes, image.mime);
      await putBytes(upload, image.bytes);
      return { server, upload };
    }),
  );
  const start = performance.now();
  await Promise.all(uploads.map(({ server, upload }) => complete(server, upload)));
  const seen = await Promise.all(
    servers.map((server) => {
      const mine = uploads.filter((u) => u.server === server).map((u) => u.upload);
      return mine.length ? pollUntilReady(server, mine, POLL_INTERVAL_MS) : { readyAt: new Map<string, number>(), polls: 0 };
    }),
  );
  const elapsed = Math.max(...seen.flatMap((s) => [...s.readyAt.values()])) - start;
  // The same end as the servers saw it: the last job's "finished" log line, on whichever process ran it.
  const finished = await Promise.all(uploads.map(({ upload }) => waitForLineOnAny(servers, jobFinished(upload.fileId))));
  const lastFinished = Math.max(...finished.map((f) => f.at));
  return {
    images: count,
    processes: servers.length,
    elapsed_ms: round(elapsed),
    images_per_s: round((count * 1000) / elapsed, 2),
    by_log_elapsed_ms: round(lastFinished - start),
    by_log_images_per_s: round((count * 1000) / (lastFinished - start), 2),
    polls: seen.reduce((sum, s) => sum + s.polls, 0),
    jobs_per_process: servers.map((server) => finished.filter((f) => f.server === server).length),
  };
}

async function serverThroughput(image: BenchImage, count: number, concurrency: number, env: Record<string, string>) {
  const server = await startBenchServer({ ...env, AVATAR_JOB_CONCURRENCY: String(concurrency) });
  try {
    const { images, processes: _processes, jobs_per_process: _jobs, ...run } = await measureThroughput([server], image, count);
    return { images, concurrency, ...run };
  } finally {
    await server.stop();
  }
}

export async function throughputBenchmark(image: BenchImage, count: number, env: Record<string, string>) {
  // Floor and server runs alternate, so drifting background load hits both alike.
  const floorSequential = await floorThroughput(image, count, 1);
  const c1 = await serverThroughput(image, count, 1, env);
  const floorParallel2 = await floorThroughput(image, count, 2);
  const c2 = await serverThroughput(image, count, 2, env);
  const pipelines: Record<number, number> = { 1: await floorThroughput(image, count, 1, 'pipeline'), 2: await floorThroughput(image, count, 2, 'pipeline') };

  const floors: Record<number, number> = { 1: floorSequential, 2: floorParallel2 };
  const figures: Figure[] = [c1, c2].map((r) =>
    figure({
      id: `throughput_c${r.concurrency}_img_per_s`,
      label: `${image.name}: images/s, job concurrency ${r.concurrency}`,
      value: r.images_per_s,
      unit: 'img/s',
      reference: { label: `floor, ${r.concurrency} at a time, another process`, value: round(floors[r.concurrency]!, 2), unit: 'img/s' },
      ...(r.concurrency === 2 ? { target: `≥ ${TARGET_RATIO}× floor`, ok: r.images_per_s >= TARGET_RATIO * floors[2]! } : {}),
      note:
        `${r.images} uploads completed at once; first complete → last seen ready ${r.elapsed_ms} ms (polled every ${POLL_INTERVAL_MS} ms); ` +
        `to the last job's log line ${r.by_log_elapsed_ms} ms = ${r.by_log_images_per_s} img/s (${(r.by_log_images_per_s / floors[r.concurrency]!).toFixed(2)}× the floor); ` +
        `the server's image work alone (probe, one decode, every variant; no face detection, storage or database), same concurrency, another process: ` +
        `${round(pipelines[r.concurrency]!, 2)} img/s (${(pipelines[r.concurrency]! / floors[r.concurrency]!).toFixed(2)}× the floor)`,
    }),
  );
  const notes = [
    `throughput reference: the floor (decode + one 1600 px WebP) in another process, 1 at a time ${round(floorSequential, 2)} img/s, 2 at a time ${round(floorParallel2, 2)} img/s on ${cpus().length} cores ` +
      `(sharp.concurrency() ${sharp.concurrency()}: libvips threads per image)`,
  ];
  return {
    figures,
    notes,
    details: {
      image: image.name,
      count,
      floor_sequential_img_per_s: round(floorSequential, 2),
      floor_parallel2_img_per_s: round(floorParallel2, 2),
      pipeline_sequential_img_per_s: round(pipelines[1]!, 2),
      pipeline_parallel2_img_per_s: round(pipelines[2]!, 2),
      c1,
      c2,
    },
  };
}
