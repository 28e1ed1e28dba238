// Starts the real avatar-server as a child process on 127.0.0.1 with a port it picks itself,
// and gives tests small helpers to talk to it over HTTP. With AVATAR_TEST_DATABASE=postgres every server gets
// a fresh database on the test PostgreSQL instead of a SQLite file, and with AVATAR_TEST_STORAGE=s3 a bucket
// of its own on the test S3 server instead of the data dir's folder (npm run test:server:scale-out: both).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logText, parseLogLine, type LogRecord } from './log-lines.ts';
import { testPostgres } from './postgres.ts';
import { createBucket, listBucket, readBucketObject, writeBucketObject, serverStorageEnv, sharedS3 } from './s3-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cliSource = join(root, 'server', 'cli.ts');

/** The database engine this test run puts servers on. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = process.env.AVATAR_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** PostgreSQL databases of this process's servers, by data dir: a restart on the same dir finds its data. */
const databases = new Map<string, string>();

/** The DATABASE_URL for a server on `dataDir` in this run (null: SQLite in the data dir). */
async function databaseFor(dataDir: string): Promise<string | null> {
  if (TEST_DATABASE !== 'postgres') return null;
  let url = databases.get(dataDir);
  if (!url) {
    url = await (await testPostgres()).createDatabase();
    databases.set(dataDir, url);
  }
  return url;
}

/** The object storage this test run puts servers on. */
export const TEST_STORAGE: 'local' | 's3' = process.env.AVATAR_TEST_STORAGE === 's3' ? 's3' : 'local';

/** S3 buckets of this process's servers, by data dir: processes on one data dir (started together too) share one. */
const buckets = new Map<string, Promise<string>>();

/** The storage settings for a server on `dataDir` in this run (none: the data dir's folder). */
async function storageEnvFor(dataDir: string): Promise<Record<string, string>> {
  if (TEST_STORAGE !== 's3') return {};
  const s3 = sharedS3();
  let created = buckets.get(dataDir);
  if (!created) {
    const name = `t-${randomBytes(8).toString('hex')}`;
    created = createBucket(s3, name).then(() => name);
    buckets.set(dataDir, created);
  }
  const bucket = await created;
  return serverStorageEnv(s3, bucket);
}

/** The env that puts a server on `dataDir` on this run's database and storage (none: SQLite and the folder). */
export async function backendEnvFor(dataDir: string): Promise<Record<string, string>> {
  const databaseUrl = await databaseFor(dataDir);
  return { ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...(await storageEnvFor(dataDir)) };
}

/** Drops what backendEnvFor made for `dataDir` (its PostgreSQL database; a bucket goes with the S3 server). */
export async function releaseBackend(dataDir: string): Promise<void> {
  const database = databases.get(dataDir);
  if (!database) return;
  databases.delete(dataDir);
  await (await testPostgres()).dropDatabase(database);
}

/** The objects a test server stored, seen from outside it, whichever storage it runs on. */
export interface StoredObjects {
  kind: 'local' | 's3';
  /** Every key starting with `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** An object's bytes, or null when there is none. */
  read(key: string): Promise<Buffer | null>;
  /** Stores an object behind the server's back (say, what a killed process left half-written). */
  write(key: string, bytes: Uint8Array): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Where the handed-out URLs of public variants start: this server's /cdn/, or the bucket. */
  publicBase: string;
  /** The object key a handed-out variant URL (public or signed) reads. */
  keyOfUrl(url: string): string;
  /** The status of a successful PUT to an upload_url: the server's 204, or the bucket's 200. */
  putStatus: 204 | 200;
}

function storedObjects(serverUrl: string, dataDir: string, env: Record<string, string>): StoredObjects {
  const keyAfter = (base: string) => (url: string) => {
    assert.ok(url.startsWith(base), `${url} starts with ${base}`);
    return decodeURIComponent(url.slice(base.length).split('?')[0]!);
  };
  if (env.AVATAR_STORAGE === 's3') {
    const s3 = {
      endpoint: env.AVATAR_S3_ENDPOINT!,
      region: env.AVATAR_S3_REGION!,
      credentials: { accessKeyId: env.AVATAR_S3_ACCESS_KEY_ID!, secretAccessKey: env.AVATAR_S3_SECRET_ACCESS_KEY! },
    };
    const bucket = env.AVATAR_S3_BUCKET!;
    return {
      kind: 's3',
      keys: (prefix = '') => listBucket(s3, bucket, prefix),
      read: (key) => readBucketObject(s3, bucket, key),
      write: (key, bytes) => writeBucketObject(s3, bucket, key, bytes),
      exists: async (key) => (await listBucket(s3, bucket, key)).includes(key),
      publicBase: `${s3.endpoint}/${bucket}/`,
      keyOfUrl: keyAfter(`${s3.endpoint}/${bucket}/`),
      putStatus: 200,
    };
  }
  const root = join(dataDir, 'objects');
  return {
    kind: 'local',
    keys: async (prefix = '') => (await listFiles(root)).filter((key) => key.startsWith(prefix)),
    read: (key) => readFile(join(root, key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    }),
    write: async (key, bytes) => {
      await mkdir(dirname(join(root, key)), { recursive: true });
      await writeFile(join(root, key), bytes);
    },
    exists: (key) => access(join(root, key)).then(() => true, () => false),
    publicBase: `${serverUrl}/cdn/`,
    keyOfUrl: keyAfter(`${serverUrl}/cdn/`),
    putStatus: 204,
  };
}

export interface RunningServer {
  url: string;
  dataDir: string;
  /** DATABASE_URL of the server (null: SQLite, avatar.db in dataDir). */
  databaseUrl: string | null;
  jwtSecret: string;
  adminKey: string;
  /** The objects it stored: in the data dir's folder, or in its bucket. */
  objects: StoredObjects;
  proc: ChildProcess;
  /** Every line the process has printed so far (stdout and stderr), as text (log-lines.ts logText). */
  lines: string[];
  /** Every log record it has printed so far, parsed. */
  records: LogRecord[];
  /** Resolves with the first line (already printed or future) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, wait for exit; removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL, wait for exit; the data dir is kept. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  dev?: boolean;
  args?: string[];
  /** Use these instead of fresh random secrets (to restart on the same data dir). */
  jwtSecret?: string;
  adminKey?: string;
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'avatar-test-')));
  const jwtSecret = opts.jwtSecret ?? randomBytes(32).toString('hex');
  const adminKey = opts.adminKey ?? randomBytes(24).toString('hex');
  const databaseUrl = opts.env && 'DATABASE_URL' in opts.env ? opts.env.DATABASE_URL || null : await databaseFor(dataDir);
  const storageEnv = opts.env && 'AVATAR_STORAGE' in opts.env ? {} : await storageEnvFor(dataDir);
  const args = ['--import', 'tsx', cliSource, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir];
  if (opts.dev !== false) args.push('--dev');
  args.push(...(opts.args ?? []));
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AVATAR_JWT_SECRET: jwtSecret,
      AVATAR_ADMIN_KEY: adminKey,
      AVATAR_LOG_LEVEL: 'debug',
      AVATAR_LOG_FORMAT: 'json',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...storageEnv,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const records: LogRecord[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    for (const raw of chunk.toString('utf8').split('\n')) {
      if (!raw) continue;
      const record = parseLogLine(raw);
      if (record) records.push(record);
      const line = logText(raw);
      lines.push(line);
      if (process.env.AVATAR_TEST_VERBOSE) process.stderr.write(`[server] ${raw}\n`);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const waiter = waiters[i]!;
        if (waiter.pattern.test(line)) {
          waiters.splice(i, 1);
          waiter.resolve(line);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const waitForLine = (pattern: RegExp, timeoutMs = 20_000) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
      waiters.push({ pattern, resolve: (line) => { clearTimeout(timer); resolve(line); } });
      exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before ${pattern}:\n${lines.join('\n')}`)); });
    });
  };

  // A loaded machine can be slow to start a server; one that never starts must not outlive the test file.
  const listening = await waitForLine(/^listening on http:\/\/\S+$/, 60_000).catch((err: unknown) => {
    proc.kill('SIGKILL');
    throw err;
  });
  const url = listening.replace(/^listening on /, '').trim();

  return {
    url,
    dataDir,
    databaseUrl,
    jwtSecret,
    adminKey,
    objects: storedObjects(url, dataDir, { ...storageEnv, ...opts.env }),
    proc,
    lines,
    records,
    waitForLine,
    async stop({ keepData = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (!keepData && !opts.dataDir) {
        await rm(dataDir, { recursive: true, force: true });
        await releaseBackend(dataDir);
      }
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs the CLI to completion (for configuration errors and --help). A CLI that wrongly starts (and so
 * never exits) is killed after `timeoutMs` and reported.
 */
export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', cliSource, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  clearTimeout(timer);
  if (timedOut) throw new Error(`the CLI did not exit within ${timeoutMs} ms (it accepted the configuration?):\n${output}`);
  return { code, output };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  redirect?: RequestRedirect;
}

/** One HTTP request; parses JSON bodies when the response says it is JSON. */
export async function api<T = any>(server: { url: string } | string, method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const base = typeof server === 'string' ? server : server.url;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  }
  const target = path.startsWith('http') ? path : base + path;
  const res = await fetch(target, { method, headers, body, redirect: opts.redirect ?? 'manual', duplex: 'half' } as RequestInit);
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, json, text };
}

/** HS256 JWT signed with `secret`; used to forge tokens the server must refuse. */
export function signJwt(secret: string, payload: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** A valid user token for `userId`, signed with the server's secret. */
export function userToken(server: Pick<RunningServer, 'jwtSecret'>, userId: string, ttlSeconds = 3600): string {
  return signJwt(server.jwtSecret, { sub: userId, exp: Math.floor(Date.now() / 1000) + ttlSeconds });
}

export interface UploadOptions {
  contentType?: string;
  crop?: { crop_x: number; crop_y: number; crop_w: number; crop_h?: number };
  setAsAvatar?: boolean;
  filename?: string;
}

/** Creates an upload and PUTs the bytes, without completing it (the complete is what queues its job). Returns the file id. */
export async function sendImage(server: { url: string }, token: string, bytes: Uint8Array, opts: UploadOptions = {}): Promise<string> {
  const contentType = opts.contentType ?? 'image/jpeg';
  const created = await api(server, 'POST', '/v1/uploads', {
    token,
    json: {
      upload_type: 'profile_pic',
      filename: opts.filename ?? 'photo',
      content_type: contentType,
      size_bytes: bytes.byteLength,
      ...opts.crop,
      ...(opts.setAsAvatar === undefined ? {} : { set_as_avatar: opts.setAsAvatar }),
    },
  });
  if (created.status !== 201) throw new Error(`create upload: ${created.status} ${created.text}`);
  const put = await fetch(created.json.upload_url, { method: 'PUT', headers: created.json.upload_headers, body: new Uint8Array(bytes) });
  if (!put.ok) throw new Error(`PUT: ${put.status} ${await put.text()}`);
  return created.json.file_id;
}

/** Completes an upload whose bytes were sent (202), starting its processing. */
export async function completeUpload(server: { url: string }, token: string, fileId: string): Promise<void> {
  const done = await api(server, 'POST', `/v1/uploads/${fileId}/complete`, { token });
  if (done.status !== 202) throw new Error(`complete: ${done.status} ${done.text}`);
}

/** Creates an upload, PUTs the bytes and completes it. Returns the file id (processing may still be running). */
export async function uploadImage(server: { url: string }, token: string, bytes: Uint8Array, opts: UploadOptions = {}): Promise<string> {
  const fileId = await sendImage(server, token, bytes, opts);
  await completeUpload(server, token, fileId);
  return fileId;
}

/** Polls a condition until it holds (no fixed sleeps: short polls, bounded total time). */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the file's processing has ended and returns GET /v1/files/{id}. */
export async function waitForFile(server: { url: string }, token: string, fileId: string, timeoutMs = 30_000): Promise<any> {
  return waitUntil(async () => {
    const res = await api(server, 'GET', `/v1/files/${fileId}`, { token });
    return res.json && ['ready', 'failed'].includes(res.json.processing_state) ? res.json : undefined;
  }, `file ${fileId} to finish processing`, timeoutMs);
}

// ---- Assertions and file-system helpers shared by the server tests ----

/** Asserts an error response: `status`, and a body that is exactly {"error":{"code","message"}} with `code`. */
export function expectError(res: ApiResponse, status: number, code: string): void {
  const context = `${res.status} ${res.text}`;
  assert.equal(res.status, status, context);
  assert.equal(res.json?.error?.code, code, context);
  expectErrorShape(res);
}

/** The documented error body and nothing else: `{"error": {"code", "message"}}` as JSON, a non-empty message. */
export function expectErrorShape(res: ApiResponse): void {
  const context = `${res.status} ${res.text}`;
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, context);
  assert.deepEqual(Object.keys(res.json ?? {}), ['error'], context);
  assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message'], context);
  assert.equal(typeof res.json.error.code, 'string', context);
  assert.equal(typeof res.json.error.message, 'string', context);
  assert.ok(res.json.error.message.length > 0, context);
}

/** One binary GET (api() reads bodies as text, which would mangle image bytes). */
export async function fetchBytes(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Every regular file under `dir`, as '/'-separated paths relative to it ([] when `dir` does not exist). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}
