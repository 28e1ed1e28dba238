// Assembles a running server from a Config: database, storage, jobs, HTTP. The CLI and the benchmark use it.
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { sql } from 'kysely';
import { createRateLimiter, createSharedRateLimiter } from './access/rate-limit.ts';
import { createTokens } from './access/tokens.ts';
import { createReadSigner, createUploadSigner } from './access/url-signing.ts';
import { createApp } from './app.ts';
import { createVariantAccess } from './cdn/access.ts';
import { createCdnListener } from './cdn/listener.ts';
import { ConfigError, type Config } from './config.ts';
import { isPostgres } from './db/dialect.ts';
import { openDatabase, openListenConnection } from './db/index.ts';
import { unixNow, type Deps } from './deps.ts';
import { answerClientErrorsAsJson } from './http/client-errors.ts';
import { createFaceDetectionPool } from './images/face-detection-pool.ts';
import { startGarbageSweeper } from './renditions/cleanup.ts';
import { createRenderJobHandler } from './renditions/render-job.ts';
import { createStorage } from './storage/create.ts';
import { instrumentStorage } from './storage/instrumented.ts';
import { createLogger, type LogDestination } from './telemetry/log.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { watchQueues } from './telemetry/queue-gauges.ts';
import { logRequests } from './telemetry/request-log.ts';
import { createLocalFileSettled, createSharedFileSettled } from './uploads/file-settled.ts';
import { createLocalReservations, createSharedReservations } from './uploads/reservations.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import { syncConfigEndpoint } from './webhooks/endpoints.ts';
import { createJobQueue } from './work/job-queue.ts';

const SWEEP_INTERVAL_SECONDS = 60;

/** Listen failures are configuration problems: say which setting to change. */
function listenError(err: NodeJS.ErrnoException, config: Config): Error {
  const address = `${config.host}:${config.port}`;
  if (err.code === 'EADDRINUSE') return new ConfigError('--port/PORT', `${address} is already in use`);
  if (err.code === 'EACCES') return new ConfigError('--port/PORT', `no permission to listen on ${address}`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return new ConfigError('--host/AVATAR_HOST', `${config.host} is not an address of this machine`);
  return err;
}

export interface RunningServer {
  url: string;
  deps: Deps;
  /** Stops accepting requests, lets running jobs finish, stops the face detection threads, closes the database. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: LogDestination;
}

/** Every secret of the configuration: the log never prints them, wherever they would appear. */
const secretsOf = (config: Config) => [
  config.jwtSecret,
  config.adminKey,
  config.metricsToken,
  config.webhookSecret,
  config.storage.kind === 's3' ? config.storage.credentials?.secretAccessKey : null,
];

export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  // Every upload is a different image, so libvips' operation cache would only hold memory.
  sharp.cache(false);
  const log = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    secrets: secretsOf(config),
    destination: options.logDestination,
    colour: config.logFormat === 'pretty' && process.stdout.isTTY === true && !process.env.NO_COLOR,
  });
  const metrics = createMetrics({ storage: config.storage.kind, database: config.databaseUrl ? 'postgres' : 'sqlite' });
  const db = await openDatabase({ ...config, log, onQuery: metrics.databaseCall });
  const shared = isPostgres(db); // several processes may share a PostgreSQL database
  const clock = unixNow;
  watchQueues(metrics, db, clock);
  await syncConfigEndpoint(db, config, clock());
  let listeningUrl = '';
  const { databaseUrl } = config;
  const fileSettled =
    shared && databaseUrl
      ? await createSharedFileSettled({
          connect: () => openListenConnection(databaseUrl),
          notify: async (channel, payload) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(db)),
          log,
        })
      : createLocalFileSettled();
  const deps: Deps = {
    config,
    db,
    storage: instrumentStorage(createStorage(config, clock, log), metrics.storageCall),
    // An attempt reads the original, processes it (within the processing timeout: a timeout there fails the image at
    // once) and stores the variants; as long again is left for the storage round trips.
    jobs: createJobQueue({ db, concurrency: config.jobConcurrency, leaseSeconds: config.jobLeaseSeconds, attemptSeconds: 2 * config.processingTimeoutSeconds, clock, log, onAttemptFailed: metrics.jobAttemptFailed }),
    faceDetection: createFaceDetectionPool({ size: config.jobConcurrency, log: (line) => log.error(line) }),
    fileSettled,
    variantAccess: createVariantAccess(db),
    webhooks: createWebhookDispatcher({ db, retrySchedule: config.webhookRetrySchedule, policy: { allowPrivate: config.webhookAllowPrivate }, log, onAttempt: metrics.deliveryAttempt }),
    tokens: createTokens(config.tokens, clock),
    signer: createUploadSigner(config.jwtSecret),
    readSigner: createReadSigner(config.jwtSecret),
    uploadLimiter: shared ? createSharedRateLimiter(db, 'uploads', config.uploadRateLimitPerMinute, 60) : createRateLimiter('uploads', config.uploadRateLimitPerMinute, 60),
    changeLimiter: shared ? createSharedRateLimiter(db, 'changes', config.changeRateLimitPerMinute, 60) : createRateLimiter('changes', config.changeRateLimitPerMinute, 60),
    uploadReservations: shared ? createSharedReservations({ db, leaseSeconds: config.jobLeaseSeconds, clock, log }) : createLocalReservations(),
    log,
    metrics,
    clock,
    baseUrl: () => config.publicUrl ?? listeningUrl,
  };
  const app = createApp(deps);
  // /cdn/ bytes are answered by a plain listener in front of Hono's (cdn/listener.ts); everything else goes to Hono.
  const server = createServer(logRequests(log, createCdnListener(deps, getRequestListener(app.fetch, { hostname: config.host })), metrics.request));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, config)));
    server.listen(config.port, config.host, () => resolve());
  });
  answerClientErrorsAsJson(server);
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  listeningUrl = `http://${host}:${port}`;

  await deps.jobs.start(createRenderJobHandler(deps));
  await deps.webhooks.start();
  const stopSweeper = startGarbageSweeper(deps, Math.min(SWEEP_INTERVAL_SECONDS, Math.max(1, config.cleanupGraceSeconds)));

  return {
    url: listeningUrl,
    deps,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await fileSettled.close(); // long-polls answer now, or closing would wait for them
      await closed;
      await deps.jobs.stop();
      await deps.faceDetection.close();
      await deps.webhooks.stop();
      await stopSweeper();
      await deps.storage.close();
      await db.destroy();
    },
  };
}
