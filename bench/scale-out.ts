// Scale-out (issue 12): the built server on PostgreSQL + S3-compatible storage next to the default SQLite + folder,
// in the same run. PostgreSQL (test/helpers/postgres.ts: initdb in a temp dir, durability as SQLite's) and an S3-protocol
// server (test/helpers/s3-server.ts: @20minutes/s3rver, in a process of its own) are started here and stopped afterwards.
// - complete → ready of the 12 MP JPEG, as the server module's latency bench measures it (endToEndOnce, polled),
//   one process each on SQLite + folder and on PostgreSQL + S3, both running, measured in alternating rounds so
//   background load hits both alike. Target: PostgreSQL + S3 within 1.2× of SQLite + folder.
// - images/s of the same JPEG, as the server module's throughput bench measures it (measureThroughput): one
//   process on PostgreSQL + S3 next to one on SQLite + folder (1 job at a time each), and two processes sharing
//   one database and one bucket (1 job at a time each) next to one SQLite process running 2 jobs at a time.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { photoJpeg12mp, type BenchImage } from './images.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { columns, endToEndOnce, medianOf, POLL_INTERVAL_MS as LATENCY_POLL_MS, type EndToEndRun } from './server-latency.ts';
import { startBenchServer, type BenchServer } from './server-process.ts';
import { measureThroughput, POLL_INTERVAL_MS as THROUGHPUT_POLL_MS, type ThroughputRun } from './server-throughput.ts';
import { median, MiB, summarise } from './stats.ts';
// Types only: the helpers themselves (pg, s3rver) are loaded when this module runs.
import type { TestPostgres } from '../test/helpers/postgres.ts';
import type { RunningS3 } from '../test/helpers/s3-server.ts';

const LATENCY_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 7);
const THROUGHPUT_IMAGES = Number(process.env.BENCH_SCALE_IMAGES ?? 8);
const TARGET_RATIO = 1.2;
/** The server's default AVATAR_MAX_AVATAR_BYTES. */
const DEFAULT_MAX_AVATAR_BYTES = 5 * MiB;

function log(line: string) {
  process.stderr.write(`[bench] scale-out: ${line}\n`);
}

/** Starts `count` processes with `env` (sharing a JWT secret, so a token works on any), runs `work`, stops them. */
async function withServers<T>(count: number, env: Record<string, string>, work: (servers: BenchServer[]) => Promise<T>): Promise<T> {
  const jwtSecret = randomBytes(32).toString('hex');
  const started = await Promise.allSettled(Array.from({ length: count }, () => startBenchServer(env, { jwtSecret })));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return await work(servers);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** complete → ready on both configurations, one run of each per round, the order alternating. */
async function latency(image: BenchImage, runs: number, sqliteEnv: Record<string, string>, pgEnv: Record<string, string>) {
  return withServers(1, sqliteEnv, ([sqlite]) =>
    withServers(1, pgEnv, async ([pg]) => {
      const configs = [
        { name: 'sqlite', server: sqlite!, runs: [] as EndToEndRun[] },
        { name: 'pg_s3', server: pg!, runs: [] as EndToEndRun[] },
      ];
      for (const c of configs) await endToEndOnce(c.server, image, `so-warm-${c.name}`, 'poll');
      for (let run = 0; run < runs; run++) {
        const order = run % 2 ? [...configs].reverse() : configs;
        for (const c of order) c.runs.push(await endToEndOnce(c.server, image, `so-lat-${c.name}-${run}`, 'poll'));
      }
      return { sqlite: configs[0]!.runs, pg: configs[1]!.runs };
    }),
  );
}

function split(runs: EndToEndRun[]) {
  return {
    complete_http_ms: medianOf(runs, 'complete_http_ms'),
    to_job_start_ms: medianOf(runs, 'to_job_start_ms'),
    job_ms: medianOf(runs, 'job_ms'),
    detect_ms: medianOf(runs, 'detect_ms'),
    polls: medianOf(runs, 'polls'),
    server_cpu_ms: medianOf(runs, 'server_cpu_ms'),
    client_cpu_ms: medianOf(runs, 'client_cpu_ms'),
  };
}

const splitText = (s: ReturnType<typeof split>) =>
  `complete call ${s.complete_http_ms} ms, complete → job start ${s.to_job_start_ms} ms, job ${s.job_ms} ms, job end → seen ready ${s.detect_ms} ms`;

export const scaleOutBench: BenchModule = {
  name: 'scale-out',
  async run(): Promise<SectionResult> {
    const { startPostgres, stopAtExit } = await import('../test/helpers/postgres.ts');
    const { serverStorageEnv, startS3ServerProcess } = await import('../test/helpers/s3-server.ts');
    log('generating the image; starting PostgreSQL and the S3 server');
    const image = await photoJpeg12mp();
    const env: Record<string, string> = image.bytes.length > DEFAULT_MAX_AVATAR_BYTES ? { AVATAR_MAX_AVATAR_BYTES: String(image.bytes.length) } : {};
    const bootStart = performance.now();
    const [postgresStarted, s3Started] = await Promise.allSettled([startPostgres(undefined, 'like-sqlite'), startS3ServerProcess()]);
    const postgres: TestPostgres | null = postgresStarted.status === 'fulfilled' ? postgresStarted.value : null;
    const s3: RunningS3 | null = s3Started.status === 'fulfilled' ? s3Started.value : null;
    const forgetAtExit = postgres ? stopAtExit(postgres) : () => {};
    try {
      if (!postgres || !s3) throw postgresStarted.status === 'rejected' ? postgresStarted.reason : (s3Started as PromiseRejectedResult).reason;
      const bootMs = round(performance.now() - bootStart);
      const pgEnv = async () => ({ ...env, DATABASE_URL: await postgres.createDatabase('avatar_bench'), ...serverStorageEnv(s3, s3.bucket) });

      log(`latency: ${LATENCY_RUNS} rounds of ${image.description}, SQLite + folder and PostgreSQL + S3, one process each`);
      const lat = await latency(image, LATENCY_RUNS, { ...env, AVATAR_JOB_CONCURRENCY: '1' }, { ...(await pgEnv()), AVATAR_JOB_CONCURRENCY: '1' });

      const throughput = async (label: string, processes: number, concurrency: number, runEnv: Record<string, string>) => {
        log(`throughput: ${THROUGHPUT_IMAGES} × ${image.description}, ${label}, ${processes} process(es) × job concurrency ${concurrency}`);
        return withServers(processes, { ...runEnv, AVATAR_JOB_CONCURRENCY: String(concurrency) }, (servers) => measureThroughput(servers, image, THROUGHPUT_IMAGES));
      };
      const sqlite1 = await throughput('SQLite + folder', 1, 1, env);
      const pg1 = await throughput('PostgreSQL + S3', 1, 1, await pgEnv());
      const sqlite1c2 = await throughput('SQLite + folder', 1, 2, env);
      const pg2 = await throughput('PostgreSQL + S3, one database and bucket', 2, 1, await pgEnv());

      const sqliteLat = summarise(lat.sqlite.map((r) => r.e2e_ms));
      const pgLat = summarise(lat.pg.map((r) => r.e2e_ms));
      const pairedRatio = round(median(lat.pg.map((r, i) => r.e2e_ms / lat.sqlite[i]!.e2e_ms)), 2);
      const sqliteSplit = split(lat.sqlite);
      const pgSplit = split(lat.pg);
      const ratio = pgLat.median / sqliteLat.median;
      const tpNote = (r: ThroughputRun) =>
        `${r.images} uploads completed at once${r.processes > 1 ? `, round-robin over ${r.processes} processes` : ''}; first complete → last seen ready ` +
        `${r.elapsed_ms} ms (polled every ${THROUGHPUT_POLL_MS} ms); to the last job's log line ${r.by_log_elapsed_ms} ms = ${r.by_log_images_per_s} img/s` +
        (r.processes > 1 ? `; jobs run per process ${r.jobs_per_process.join(' + ')}` : '');
      const figures: Figure[] = [
        figure({
          id: 'e2e_pg_s3_jpeg12mp_ms',
          label: `${image.description}: complete → ready, PostgreSQL + S3`,
          value: pgLat.median,
          unit: 'ms',
          reference: { label: 'SQLite + folder, same flow', value: sqliteLat.median, unit: 'ms' },
          target: `≤ ${TARGET_RATIO}× SQLite + folder`,
          ok: ratio <= TARGET_RATIO,
          note:
            `median of ${LATENCY_RUNS} each, one process each at job concurrency 1, alternating rounds (PostgreSQL + S3 min ${pgLat.min}, max ${pgLat.max}; ` +
            `SQLite min ${sqliteLat.min}, max ${sqliteLat.max}); median of per-round ratios ${pairedRatio}×; polled every ${LATENCY_POLL_MS} ms. ` +
            `Split (medians), PostgreSQL + S3: ${splitText(pgSplit)}; SQLite + folder: ${splitText(sqliteSplit)}`,
        }),
        figure({
          id: 'throughput_pg_s3_1p_img_per_s',
          label: `${image.name}: images/s, PostgreSQL + S3, 1 process × 1 job`,
          value: pg1.images_per_s,
          unit: 'img/s',
          reference: { label: 'SQLite + folder, 1 process × 1 job', value: sqlite1.images_per_s, unit: 'img/s' },
          note: tpNote(pg1),
        }),
        figure({
          id: 'throughput_pg_s3_2p_img_per_s',
          label: `${image.name}: images/s, PostgreSQL + S3, 2 processes × 1 job`,
          value: pg2.images_per_s,
          unit: 'img/s',
          reference: { label: 'SQLite + folder, 1 process × 2 jobs', value: sqlite1c2.images_per_s, unit: 'img/s' },
          note:
            `${tpNote(pg2)}; ${(pg2.images_per_s / pg1.images_per_s).toFixed(2)}× PostgreSQL + S3 with 1 process, ` +
            `${(pg2.images_per_s / sqlite1.images_per_s).toFixed(2)}× SQLite + folder 1 process × 1 job (${sqlite1.images_per_s} img/s)`,
        }),
      ];
      const notes = [
        `durability like with like: PostgreSQL with fsync=on, full_page_writes=on, synchronous_commit=off; SQLite as the server sets it, journal_mode=WAL, ` +
          `synchronous=NORMAL — both crash-safe, both may lose the last commits on power loss. Objects: neither the folder nor s3rver fsyncs. ` +
          `PostgreSQL (${bootMs} ms to start together with the S3 server) runs on this machine; ` +
          `a fresh database for each PostgreSQL configuration, one bucket for all. The S3 server (s3rver, a JavaScript server) runs in a process of its own ` +
          `on this machine, so its CPU (receiving PUTs, serving the original, storing variants) comes out of the same ${availableParallelism()} cores as the server's`,
        `latency: a job queued on PostgreSQL is claimed at once by the process that took the complete; other processes look every 1 s. ` +
          `Job time PostgreSQL + S3 ${pgSplit.job_ms} ms vs SQLite + folder ${sqliteSplit.job_ms} ms; outside the job ${round(pgLat.median - pgSplit.job_ms)} vs ${round(sqliteLat.median - sqliteSplit.job_ms)} ms`,
        `throughput runs one after another (SQLite 1×1, PostgreSQL + S3 1×1, SQLite 1×2, PostgreSQL + S3 2×1): background load may drift between them; ` +
          `on ${availableParallelism()} cores, 2 processes × 1 job compete for the same cores as 1 process × 2 jobs (sharp uses ${availableParallelism()} libvips threads per image)`,
      ];
      return {
        name: 'scale-out',
        figures,
        notes,
        details: {
          image: { description: image.description, bytes: image.bytes.length, width: image.width, height: image.height },
          startup_ms: bootMs,
          latency: {
            runs: LATENCY_RUNS,
            poll_interval_ms: LATENCY_POLL_MS,
            paired_ratio_pg_s3_to_sqlite: pairedRatio,
            sqlite: { summary: sqliteLat, median_split: sqliteSplit, runs: columns(lat.sqlite) },
            pg_s3: { summary: pgLat, median_split: pgSplit, runs: columns(lat.pg) },
          },
          throughput: { images: THROUGHPUT_IMAGES, sqlite_1p_c1: sqlite1, sqlite_1p_c2: sqlite1c2, pg_s3_1p_c1: pg1, pg_s3_2p_c1: pg2 },
        },
      };
    } finally {
      await Promise.allSettled([postgres?.stop(), s3?.stop()]);
      forgetAtExit();
    }
  },
};
