// Configuration from flags and environment. The CLI is the only caller; everything else receives a Config.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { AVATAR_SIZES, CROPPED_MAX } from '../media/variants.ts';
import type { TokenSettings } from './access/tokens.ts';
import { parseSecret } from './webhooks/sign.ts';
import { checkWebhookUrl, parseWebhookUrl, WebhookUrlError } from './webhooks/target.ts';

/** Where objects live: the data dir's folder (default), or an S3-compatible bucket. */
export type StorageSettings =
  | { kind: 'local' }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      /** Absent: the AWS SDK's default chain (AWS_* env, profile, instance role). */
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
      /** Base URL of the CDN in front of the bucket; the bucket's own URL when unset. */
      cdnUrl: string | undefined;
    };

export interface Config {
  storage: StorageSettings;
  host: string;
  port: number;
  dataDir: string;
  dev: boolean;
  jwtSecret: string;
  /** How user tokens are verified: the shared secret, and the identity provider's keys when configured. */
  tokens: TokenSettings;
  adminKey: string;
  /** Base for every URL the server hands out; null means "the address we listen on". */
  publicUrl: string | null;
  /** Origins allowed to make authenticated cross-origin calls; '*' allows any. */
  allowedOrigins: string[];
  maxAvatarBytes: number;
  maxEmoteBytes: number;
  maxPixels: number;
  maxFrames: number;
  /** Emotes per user, and their total original bytes (emotes in the trash do not count). */
  emoteQuota: number;
  emoteQuotaBytes: number;
  /** Days an emote stays in the trash before it is purged. */
  emoteTrashDays: number;
  /**
   * AVATAR_ORIGINALS_RETENTION_DAYS: days an upload's original is kept once the upload is not (or no longer) the
   * avatar; null (the default): kept as long as the upload. Its variants stay; only recrop needs the original.
   */
  originalsRetentionDays: number | null;
  /** Lifetime of a private emote's signed URL. */
  emoteUrlTtlSeconds: number;
  /** Square avatar sizes besides 'cropped', largest first. */
  avatarSizes: number[];
  /** AVATAR_DEFAULT_CROP: an avatar uploaded without a crop gets the face-aware square (smart) or the centred one. */
  defaultCrop: 'smart' | 'center';
  uploadRateLimitPerMinute: number;
  /** Avatar and emote changes a user may make per minute (each one is a webhook event). */
  changeRateLimitPerMinute: number;
  uploadUrlTtlSeconds: number;
  processingTimeoutSeconds: number;
  /**
   * How long superseded objects (and failed uploads' originals) stay before they are deleted, and how long past
   * its URL's expiry an upload that never got its bytes is kept before it is deleted with its emote.
   */
  cleanupGraceSeconds: number;
  jobConcurrency: number;
  /** DATABASE_URL: PostgreSQL (null: SQLite in dataDir), and its connection pool size. */
  databaseUrl: string | null;
  databasePoolSize: number;
  /**
   * How long a claim of a process that stopped renewing it (it died) keeps others off: a running job, and an
   * upload URL whose PUT was cut off. Renewed every third of it while the work goes on.
   */
  jobLeaseSeconds: number;
  logLevel: 'info' | 'debug';
  /** AVATAR_LOG_FORMAT: one JSON object per line (the default), or readable lines for a terminal (the default in dev mode). */
  logFormat: 'json' | 'pretty';
  /** AVATAR_METRICS_TOKEN: a Bearer token for GET /metrics besides the admin key (null: the admin key only). */
  metricsToken: string | null;
  /** AVATAR_WEBHOOK_URL: an endpoint from configuration (null: none), signed with webhookSecret (whsec_…). */
  webhookUrl: string | null;
  webhookSecret: string | null;
  /** Seconds to wait before each retry of a failed webhook delivery; its length is the number of retries. */
  webhookRetrySchedule: number[];
  /** Webhooks may go to loopback and private addresses (and over plain http, only to those): dev and tests. */
  webhookAllowPrivate: boolean;
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
  }
}

const MiB = 1024 * 1024;

export const HELP = `Usage: avatar-server [options]

Options (each also has an environment variable):
  --port N          port to listen on, 0 = any free port        (PORT, default 8787)
  --host HOST       interface to listen on                      (AVATAR_HOST, default 127.0.0.1)
  --data-dir DIR    SQLite file and stored objects              (AVATAR_DATA_DIR, default ./data)
  --dev             dev mode: generated secrets, POST /v1/dev/token (AVATAR_DEV=1)
  --help            show this help

Other settings are environment variables; see README.md ("Configuration").`;

export interface CliArgs {
  help: boolean;
  flags: Record<string, string>;
}

export function parseArgs(argv: string[]): CliArgs {
  const flags: Record<string, string> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--dev') flags.dev = '1';
    else if (arg === '--port' || arg === '--host' || arg === '--data-dir') {
      const value = argv[++i];
      if (value === undefined) throw new ConfigError(arg, 'needs a value');
      flags[arg.slice(2)] = value;
    } else if (/^--(port|host|data-dir)=/.test(arg)) {
      const [name, value] = arg.slice(2).split(/=(.*)/s) as [string, string];
      flags[name] = value;
    } else throw new ConfigError(arg, 'unknown option (see --help)');
  }
  return { help, flags };
}

type Env = Record<string, string | undefined>;

/** Reads an env variable, treating the empty string as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A whole number, or null when unset. */
function optionalInteger(name: string, raw: string | undefined, min: number, max: number): number | null {
  return raw === undefined ? null : integer(name, raw, 0, min, max);
}

function bool(name: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(name: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return raw.replace(/\/+$/, '');
}

function origins(name: string, raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((origin) => {
    if (origin === '*') return origin;
    const parsed = url(name, origin)!;
    return new URL(parsed).origin;
  });
}

function storageSettings(env: Env): StorageSettings {
  const kind = read(env, 'AVATAR_STORAGE') ?? 'local';
  if (kind === 'local') return { kind };
  if (kind !== 's3') throw new ConfigError('AVATAR_STORAGE', `must be "local" or "s3", got "${kind}"`);
  const bucket = read(env, 'AVATAR_S3_BUCKET');
  if (!bucket) throw new ConfigError('AVATAR_S3_BUCKET', 'is required with AVATAR_STORAGE=s3');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('AVATAR_S3_BUCKET', `is not a valid bucket name: "${bucket}"`);
  const accessKeyId = read(env, 'AVATAR_S3_ACCESS_KEY_ID');
  const secretAccessKey = read(env, 'AVATAR_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId === undefined ? 'AVATAR_S3_ACCESS_KEY_ID' : 'AVATAR_S3_SECRET_ACCESS_KEY', 'must be set together with its pair (or neither, for the AWS default credentials)');
  }
  return {
    kind,
    bucket,
    region: read(env, 'AVATAR_S3_REGION') ?? 'us-east-1',
    endpoint: url('AVATAR_S3_ENDPOINT', read(env, 'AVATAR_S3_ENDPOINT')) ?? undefined,
    forcePathStyle: bool('AVATAR_S3_FORCE_PATH_STYLE', read(env, 'AVATAR_S3_FORCE_PATH_STYLE')),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    cdnUrl: url('AVATAR_CDN_URL', read(env, 'AVATAR_CDN_URL')) ?? undefined,
  };
}

function sizes(name: string, raw: string | undefined): number[] {
  const extra = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => integer(name, s, 0, 16, CROPPED_MAX));
  return [...new Set([...AVATAR_SIZES, ...extra])].sort((a, b) => b - a);
}

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000];

function retrySchedule(name: string, raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_WEBHOOK_RETRY_SCHEDULE;
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length > 20 || parts.some((s) => !/^\d{1,9}$/.test(s) || Number(s) < 1 || Number(s) > 7 * 24 * 3600)) {
    throw new ConfigError(name, `must be up to 20 comma-separated whole numbers of seconds from 1 to 604800, got "${raw}"`);
  }
  return parts.map(Number);
}

function webhookSettings(env: Env, dev: boolean) {
  const allowRaw = read(env, 'AVATAR_WEBHOOK_ALLOW_PRIVATE');
  const webhookAllowPrivate = allowRaw === undefined ? dev : bool('AVATAR_WEBHOOK_ALLOW_PRIVATE', allowRaw);
  const webhookUrl = read(env, 'AVATAR_WEBHOOK_URL') ?? null;
  const webhookSecret = read(env, 'AVATAR_WEBHOOK_SECRET') ?? null;
  if (webhookUrl !== null) {
    try {
      parseWebhookUrl(webhookUrl, { allowPrivate: webhookAllowPrivate });
    } catch (err) {
      if (err instanceof WebhookUrlError) throw new ConfigError('AVATAR_WEBHOOK_URL', err.message);
      throw err;
    }
    if (webhookSecret === null) throw new ConfigError('AVATAR_WEBHOOK_SECRET', 'is required with AVATAR_WEBHOOK_URL: whsec_ followed by the base64 of 24 to 64 random bytes');
  }
  if (webhookSecret !== null) {
    const key = parseSecret(webhookSecret);
    if (typeof key === 'string') throw new ConfigError('AVATAR_WEBHOOK_SECRET', key);
  }
  return {
    webhookUrl,
    webhookSecret,
    webhookRetrySchedule: retrySchedule('AVATAR_WEBHOOK_RETRY_SCHEDULE', read(env, 'AVATAR_WEBHOOK_RETRY_SCHEDULE')),
    webhookAllowPrivate,
  };
}

/**
 * The checks of the configuration that need the network, run by the CLI before anything else starts: a configured
 * webhook URL whose host resolves to an address deliveries would be refused (https://localhost in production) stops
 * start-up now instead of failing every delivery. A host that does not resolve yet may well later (DNS at boot):
 * that is only a warning, returned as one line.
 */
export async function checkConfigTargets(config: Config): Promise<string | null> {
  if (config.webhookUrl === null) return null;
  try {
    await checkWebhookUrl(config.webhookUrl, { allowPrivate: config.webhookAllowPrivate });
    return null;
  } catch (err) {
    if (!(err instanceof WebhookUrlError)) throw err;
    if (err.kind === 'forbidden') throw new ConfigError('AVATAR_WEBHOOK_URL', err.message);
    return `AVATAR_WEBHOOK_URL: ${err.message}; deliveries will fail until it does`;
  }
}

/** DATABASE_URL: a postgres:// (or postgresql://) URL with a host, or unset for SQLite. */
function postgresUrl(name: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let parsed: URL | null = null;
  try {
    parsed = new URL(raw);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
    throw new ConfigError(name, 'must be a postgres:// URL (or unset for SQLite)');
  }
  if (!parsed.hostname) throw new ConfigError(name, 'must name a host: postgres://USER:PASSWORD@HOST:PORT/DATABASE');
  return raw;
}

interface DevSecrets { jwtSecret: string; adminKey: string }

/** Dev mode keeps generated secrets in the data dir so tokens survive a restart. */
function devSecrets(dataDir: string): DevSecrets {
  const path = join(dataDir, 'dev-secrets.json');
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<DevSecrets>;
    if (saved.jwtSecret && saved.adminKey) return { jwtSecret: saved.jwtSecret, adminKey: saved.adminKey };
  } catch {
    // first start: generate below
  }
  const secrets = { jwtSecret: randomBytes(32).toString('hex'), adminKey: randomBytes(24).toString('hex') };
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  } catch (err) {
    throw new ConfigError('--data-dir/AVATAR_DATA_DIR', `${dataDir} cannot be used: ${(err as Error).message}`);
  }
  return secrets;
}

export function loadConfig(flags: Record<string, string>, env: Env): Config {
  const dev = bool(flags.dev ? '--dev' : 'AVATAR_DEV', flags.dev ?? read(env, 'AVATAR_DEV'));
  if (dev && env.NODE_ENV === 'production') throw new ConfigError('--dev', 'dev mode is refused when NODE_ENV=production');
  const port = integer(flags.port !== undefined ? '--port' : 'PORT', flags.port ?? read(env, 'PORT'), 8787, 0, 65535);
  const host = flags.host ?? read(env, 'AVATAR_HOST') ?? '127.0.0.1';
  const dataDir = resolve(flags['data-dir'] ?? read(env, 'AVATAR_DATA_DIR') ?? './data');

  const databaseUrl = postgresUrl('DATABASE_URL', read(env, 'DATABASE_URL'));
  const webhooks = webhookSettings(env, dev);
  const storage = storageSettings(env);

  let jwtSecret = read(env, 'AVATAR_JWT_SECRET');
  let adminKey = read(env, 'AVATAR_ADMIN_KEY');
  if (dev && (!jwtSecret || !adminKey)) {
    const generated = devSecrets(dataDir);
    jwtSecret ??= generated.jwtSecret;
    adminKey ??= generated.adminKey;
  }
  if (!jwtSecret) throw new ConfigError('AVATAR_JWT_SECRET', 'is required (at least 32 characters), or run with --dev');
  if (jwtSecret.length < 32) throw new ConfigError('AVATAR_JWT_SECRET', 'must be at least 32 characters');
  if (!adminKey) throw new ConfigError('AVATAR_ADMIN_KEY', 'is required (at least 16 characters), or run with --dev');
  if (adminKey.length < 16) throw new ConfigError('AVATAR_ADMIN_KEY', 'must be at least 16 characters');

  const userClaim = read(env, 'AVATAR_JWT_USER_CLAIM') ?? 'sub';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(userClaim)) throw new ConfigError('AVATAR_JWT_USER_CLAIM', `must be a claim name, got "${userClaim}"`);
  const tokens: TokenSettings = {
    jwtSecret,
    jwksUrl: url('AVATAR_JWT_JWKS_URL', read(env, 'AVATAR_JWT_JWKS_URL')) ?? undefined,
    issuer: read(env, 'AVATAR_JWT_ISSUER'),
    audience: read(env, 'AVATAR_JWT_AUDIENCE'),
    userClaim,
    jwksCooldownSeconds: integer('AVATAR_JWT_JWKS_COOLDOWN_SECONDS', read(env, 'AVATAR_JWT_JWKS_COOLDOWN_SECONDS'), 30, 0, 3600),
  };

  const logLevel = read(env, 'AVATAR_LOG_LEVEL') ?? 'info';
  if (logLevel !== 'info' && logLevel !== 'debug') throw new ConfigError('AVATAR_LOG_LEVEL', 'must be info or debug');
  const logFormat = read(env, 'AVATAR_LOG_FORMAT') ?? (dev ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new ConfigError('AVATAR_LOG_FORMAT', `must be json or pretty, got "${logFormat}"`);
  const metricsToken = read(env, 'AVATAR_METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16) throw new ConfigError('AVATAR_METRICS_TOKEN', 'must be at least 16 characters');

  const defaultCrop = read(env, 'AVATAR_DEFAULT_CROP') ?? 'smart';
  if (defaultCrop !== 'smart' && defaultCrop !== 'center') throw new ConfigError('AVATAR_DEFAULT_CROP', `must be smart or center, got "${defaultCrop}"`);

  const allowedOrigins = origins('AVATAR_ALLOWED_ORIGINS', read(env, 'AVATAR_ALLOWED_ORIGINS'));
  return {
    host,
    port,
    dataDir,
    dev,
    storage,
    jwtSecret,
    tokens,
    adminKey,
    publicUrl: url('AVATAR_PUBLIC_URL', read(env, 'AVATAR_PUBLIC_URL')),
    allowedOrigins: allowedOrigins.length === 0 && dev ? ['*'] : allowedOrigins,
    maxAvatarBytes: integer('AVATAR_MAX_AVATAR_BYTES', read(env, 'AVATAR_MAX_AVATAR_BYTES'), 5 * MiB, 1, 1024 * MiB),
    maxEmoteBytes: integer('AVATAR_MAX_EMOTE_BYTES', read(env, 'AVATAR_MAX_EMOTE_BYTES'), 1 * MiB, 1, 1024 * MiB),
    maxPixels: integer('AVATAR_MAX_PIXELS', read(env, 'AVATAR_MAX_PIXELS'), 40_000_000, 1),
    maxFrames: integer('AVATAR_MAX_FRAMES', read(env, 'AVATAR_MAX_FRAMES'), 200, 1),
    emoteQuota: integer('AVATAR_EMOTE_QUOTA', read(env, 'AVATAR_EMOTE_QUOTA'), 50, 0),
    emoteQuotaBytes: integer('AVATAR_EMOTE_QUOTA_BYTES', read(env, 'AVATAR_EMOTE_QUOTA_BYTES'), 10 * MiB, 0),
    emoteTrashDays: integer('AVATAR_EMOTE_TRASH_DAYS', read(env, 'AVATAR_EMOTE_TRASH_DAYS'), 30, 0, 3650),
    originalsRetentionDays: optionalInteger('AVATAR_ORIGINALS_RETENTION_DAYS', read(env, 'AVATAR_ORIGINALS_RETENTION_DAYS'), 0, 36500),
    emoteUrlTtlSeconds: integer('AVATAR_EMOTE_URL_TTL_SECONDS', read(env, 'AVATAR_EMOTE_URL_TTL_SECONDS'), 3600, 10, 7 * 24 * 3600),
    avatarSizes: sizes('AVATAR_AVATAR_SIZES', read(env, 'AVATAR_AVATAR_SIZES')),
    defaultCrop,
    uploadRateLimitPerMinute: integer('AVATAR_UPLOAD_RATE_LIMIT', read(env, 'AVATAR_UPLOAD_RATE_LIMIT'), 30, 1),
    changeRateLimitPerMinute: integer('AVATAR_CHANGE_RATE_LIMIT', read(env, 'AVATAR_CHANGE_RATE_LIMIT'), 60, 1),
    uploadUrlTtlSeconds: integer('AVATAR_UPLOAD_URL_TTL_SECONDS', read(env, 'AVATAR_UPLOAD_URL_TTL_SECONDS'), 600, 1, 7 * 24 * 3600),
    processingTimeoutSeconds: integer('AVATAR_PROCESSING_TIMEOUT_SECONDS', read(env, 'AVATAR_PROCESSING_TIMEOUT_SECONDS'), 30, 1, 3600),
    cleanupGraceSeconds: integer('AVATAR_CLEANUP_GRACE_SECONDS', read(env, 'AVATAR_CLEANUP_GRACE_SECONDS'), 300, 0),
    jobConcurrency: integer('AVATAR_JOB_CONCURRENCY', read(env, 'AVATAR_JOB_CONCURRENCY'), availableParallelism(), 1, 64),
    databaseUrl,
    // The sweepers hold one connection for their lock while they work on another (db/dialect.ts runAlone).
    databasePoolSize: integer('AVATAR_DATABASE_POOL_SIZE', read(env, 'AVATAR_DATABASE_POOL_SIZE'), 10, 2, 1000),
    jobLeaseSeconds: integer('AVATAR_JOB_LEASE_SECONDS', read(env, 'AVATAR_JOB_LEASE_SECONDS'), 60, 1, 3600),
    logLevel,
    logFormat,
    metricsToken,
    ...webhooks,
  };
}
