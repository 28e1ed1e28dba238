// What the app is built from. createApp(deps) never reads env, opens files or starts timers by itself.
import type { RateLimiter } from './access/rate-limit.ts';
import type { Tokens } from './access/tokens.ts';
import type { ReadSigner, UploadSigner } from './access/url-signing.ts';
import type { VariantAccessCache } from './cdn/access.ts';
import type { Config } from './config.ts';
import type { Db } from './db/index.ts';
import type { FaceDetectionPool } from './images/face-detection-pool.ts';
import type { Storage } from './storage/index.ts';
import type { Logger } from './telemetry/log.ts';
import type { Metrics } from './telemetry/metrics.ts';
import type { FileSettledSignal } from './uploads/file-settled.ts';
import type { UploadReservations } from './uploads/reservations.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';
import type { JobQueue } from './work/job-queue.ts';

export interface Deps {
  config: Config;
  db: Db;
  storage: Storage;
  jobs: JobQueue;
  /** Threads that find the default crop's faces off the event loop (as many as jobs run at once, started when needed). */
  faceDetection: FaceDetectionPool;
  /** Wakes GET /v1/files/{id}?wait=N when a file is ready or failed (in every process on PostgreSQL). */
  fileSettled: FileSettledSignal;
  /** Who may read a variant through /cdn, kept briefly: forget() after changing an emote's visibility. */
  variantAccess: VariantAccessCache;
  /** Sends recorded webhook events: call kick() after committing a transaction that recorded some. */
  webhooks: WebhookDispatcher;
  /** Verifies user tokens (HS256 secret, and the identity provider's keys when configured) and signs ours. */
  tokens: Tokens;
  signer: UploadSigner;
  /** Signs read URLs of private objects. */
  readSigner: ReadSigner;
  /** Per-user limit on creating uploads and other image work (shared by all processes on PostgreSQL). */
  uploadLimiter: RateLimiter;
  /** Per-user limit on avatar and emote changes (set, remove, rename, publish, delete, restore): each sends webhooks. */
  changeLimiter: RateLimiter;
  /** Originals being written by a PUT: one writer per upload (across processes on PostgreSQL). */
  uploadReservations: UploadReservations;
  /** The server's log (telemetry/log.ts): JSON lines, or pretty ones in a terminal. */
  log: Logger;
  /** What GET /metrics shows (telemetry/metrics.ts). */
  metrics: Metrics;
  /** Unix seconds. */
  clock: () => number;
  /** Base URL for URLs handed out (AVATAR_PUBLIC_URL, else the address the server listens on). */
  baseUrl: () => string;
}

export const unixNow = () => Math.floor(Date.now() / 1000);
