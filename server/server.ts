// Assembles a running server from a Config: database, storage, jobs, HTTP. The CLI and the benchmark use it.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { createApp } from './app.ts';
import { answerClientErrorsAsJson } from './client-errors.ts';
import { ConfigError, type Config } from './config.ts';
import { createLogger, unixNow, type Deps } from './context.ts';
import { openDatabase } from './db/index.ts';
import { createJobQueue } from './jobs/queue.ts';
import { createRateLimiter } from './rate-limit.ts';
import { startGarbageSweeper } from './services/cleanup.ts';
import { createRenderJobHandler } from './services/processing.ts';
import { createReadSigner, createUploadSigner } from './signing.ts';
import { createLocalStorage } from './storage/local.ts';

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
  /** Stops accepting requests, lets running jobs finish, closes the database. */
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  // Every upload is a different image, so libvips' operation cache would only hold memory.
  sharp.cache(false);
  const log = createLogger(config.logLevel);
  const db = await openDatabase(config.dataDir);
  const clock = unixNow;
  let listeningUrl = '';
  const deps: Deps = {
    config,
    db,
    storage: createLocalStorage(config.dataDir),
    jobs: createJobQueue({ db, concurrency: config.jobConcurrency, clock, log }),
    signer: createUploadSigner(config.jwtSecret),
    readSigner: createReadSigner(config.jwtSecret),
    uploadLimiter: createRateLimiter(config.uploadRateLimitPerMinute, 60),
    log,
    clock,
    baseUrl: () => config.publicUrl ?? listeningUrl,
  };
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, config)));
  });
  answerClientErrorsAsJson(server as Server);
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  listeningUrl = `http://${host}:${port}`;

  await deps.jobs.start(createRenderJobHandler(deps));
  const stopSweeper = startGarbageSweeper(deps, Math.min(SWEEP_INTERVAL_SECONDS, Math.max(1, config.cleanupGraceSeconds)));

  return {
    url: listeningUrl,
    deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.jobs.stop();
      await stopSweeper();
      await db.destroy();
    },
  };
}
