// A real avatar-server process for the benchmarks: the built CLI (dist/server/cli.js, as `npx avatar-server`
// runs it; `npm run bench` builds first), on 127.0.0.1 with --port 0 and a temporary data dir, always stopped.
// Plus the HTTP steps of the upload flow and the child's memory figures from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logText } from '../test/helpers/log-lines.ts';
import { api, signJwt } from '../test/helpers/server.ts';
import { sleep } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'server', 'cli.js');

export interface LogLine {
  at: number;
  text: string;
}

export interface BenchServer {
  url: string;
  pid: number;
  dataDir: string;
  proc: ChildProcess;
  /** Every line printed, with performance.now() at arrival. */
  lines: LogLine[];
  /** Arrival time of the first line matching `pattern`, if seen. */
  lineTime(pattern: RegExp): number | undefined;
  /** Arrival time of the first line matching `pattern`, waiting for it if need be. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<number>;
  token(userId: string): string;
  stop(): Promise<void>;
}

const live = new Set<{ proc: ChildProcess; dataDir: string }>();

// Never leave a server behind, whatever happens to the benchmark.
process.on('exit', () => {
  for (const { proc, dataDir } of live) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

/** `dataDir`: start on an existing data dir (e.g. to restart), which is then left in place on stop. */
export async function startBenchServer(env: Record<string, string>, opts: { dataDir?: string; jwtSecret?: string; nodeArgs?: string[] } = {}): Promise<BenchServer> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm run bench does)`);
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'avatar-bench-')));
  const jwtSecret = opts.jwtSecret ?? randomBytes(32).toString('hex');
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), cli, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AVATAR_JWT_SECRET: jwtSecret,
      AVATAR_ADMIN_KEY: randomBytes(24).toString('hex'),
      // Debug logging gives "job started/finished" lines, used to split end-to-end time.
      AVATAR_LOG_LEVEL: 'debug',
      AVATAR_LOG_FORMAT: 'json',
      AVATAR_UPLOAD_RATE_LIMIT: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A data dir we were given is not ours to remove.
  const entry = { proc, dataDir: opts.dataDir === undefined ? dataDir : '' };
  live.add(entry);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const lines: LogLine[] = [];
  let pending = '';
  let onLine: ((line: string) => void) | null = null;
  const waiters = new Set<{ pattern: RegExp; resolve: (at: number) => void }>();
  const onData = (chunk: Buffer) => {
    const at = performance.now();
    const parts = (pending + chunk.toString('utf8')).split('\n');
    pending = parts.pop()!;
    for (const raw of parts) {
      if (!raw) continue;
      const text = logText(raw);
      lines.push({ at, text });
      if (process.env.AVATAR_BENCH_VERBOSE) process.stderr.write(`[server ${proc.pid}] ${text}\n`);
      onLine?.(text);
      for (const waiter of waiters) {
        if (waiter.pattern.test(text)) {
          waiters.delete(waiter);
          waiter.resolve(at);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    if (entry.dataDir) await rm(entry.dataDir, { recursive: true, force: true });
    live.delete(entry);
  };

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${lines.map((l) => l.text).join('\n')}`)), 20_000);
      const seen = (text: string) => {
        const match = /^listening on (http:\/\/\S+)$/.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      onLine = seen;
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`server exited before listening:\n${lines.map((l) => l.text).join('\n')}`));
      });
    });
    onLine = null;
    return {
      url,
      pid: proc.pid!,
      dataDir,
      proc,
      lines,
      lineTime: (pattern) => lines.find((line) => pattern.test(line.text))?.at,
      waitForLine(pattern, timeoutMs = 120_000) {
        const seen = lines.find((line) => pattern.test(line.text));
        if (seen) return Promise.resolve(seen.at);
        return new Promise<number>((resolve, reject) => {
          const waiter = {
            pattern,
            resolve: (at: number) => {
              clearTimeout(timer);
              resolve(at);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no server line matching ${pattern} in ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      token: (userId) => signJwt(jwtSecret, { sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface CreatedUpload {
  fileId: string;
  uploadUrl: string;
  headers: Record<string, string>;
  token: string;
}

/** `crop`: the square to crop, as the widget sends it (none: the server's default crop). */
export async function createUpload(server: BenchServer, token: string, bytes: Uint8Array, contentType: string, crop?: { x: number; y: number; w: number }): Promise<CreatedUpload> {
  const cropFields = crop ? { crop_x: crop.x, crop_y: crop.y, crop_w: crop.w, crop_h: crop.w } : {};
  const created = await api(server, 'POST', '/v1/uploads', {
    token,
    json: { upload_type: 'profile_pic', filename: 'bench', content_type: contentType, size_bytes: bytes.byteLength, ...cropFields },
  });
  if (created.status !== 201) throw new Error(`create upload: ${created.status} ${created.text}`);
  return { fileId: created.json.file_id, uploadUrl: created.json.upload_url, headers: created.json.upload_headers, token };
}

export async function putBytes(upload: CreatedUpload, bytes: Uint8Array): Promise<void> {
  // A view of the same memory (no copy), typed as fetch wants it.
  const body = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  const res = await fetch(upload.uploadUrl, { method: 'PUT', headers: upload.headers, body });
  const text = await res.text();
  // The server's own PUT answers 204; an S3 presigned PUT (AVATAR_STORAGE=s3) answers 200.
  if (res.status !== 204 && res.status !== 200) throw new Error(`PUT: ${res.status} ${text}`);
}

export async function complete(server: BenchServer, upload: CreatedUpload): Promise<void> {
  const done = await api(server, 'POST', `/v1/uploads/${upload.fileId}/complete`, { token: upload.token });
  if (done.status !== 202) throw new Error(`complete: ${done.status} ${done.text}`);
}

/** GET /v1/files/{id}: 'ready' | 'processing' | …; throws on 'failed'. */
export async function fileState(server: BenchServer, upload: CreatedUpload): Promise<string> {
  const res = await api(server, 'GET', `/v1/files/${upload.fileId}`, { token: upload.token });
  if (res.status !== 200) throw new Error(`GET file: ${res.status} ${res.text}`);
  const state = res.json.processing_state as string;
  if (state === 'failed') throw new Error(`file ${upload.fileId} failed: ${JSON.stringify(res.json.error)}`);
  return state;
}

export interface ReadyTimes {
  /** performance.now() when each upload's 'ready' response arrived, by file id. */
  readyAt: Map<string, number>;
  polls: number;
}

/**
 * Polls the uploads one request at a time (never more than one in flight, to load the server as little as
 * possible), sleeping `intervalMs` after each pass, until all are ready.
 */
export async function pollUntilReady(server: BenchServer, uploads: CreatedUpload[], intervalMs: number, timeoutMs = 120_000): Promise<ReadyTimes> {
  const readyAt = new Map<string, number>();
  const deadline = performance.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    for (const upload of uploads) {
      if (readyAt.has(upload.fileId)) continue;
      const state = await fileState(server, upload);
      polls++;
      if (state === 'ready') readyAt.set(upload.fileId, performance.now());
    }
    if (readyAt.size === uploads.length) return { readyAt, polls };
    if (performance.now() > deadline) throw new Error(`uploads not ready after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

export interface MemoryStatus {
  /** Resident set size now, MB (10^6 bytes). */
  rssMb: number;
  /** Peak resident set size since start or the last resetPeak, MB. */
  hwmMb: number;
}

function kbField(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${name} in /proc status`);
  return Number(match[1]);
}

export function memoryStatus(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: (kbField(status, 'VmRSS') * 1024) / 1e6, hwmMb: (kbField(status, 'VmHWM') * 1024) / 1e6 };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, own processes). False when not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the largest sample and the count. */
export function sampleRss(pid: number, everyMs = 5): () => { maxRssMb: number; samples: number } {
  let maxRssMb = 0;
  let samples = 0;
  const tick = () => {
    try {
      maxRssMb = Math.max(maxRssMb, memoryStatus(pid).rssMb);
      samples++;
    } catch {
      // the process may be gone; the caller notices elsewhere
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => {
    clearInterval(timer);
    tick();
    return { maxRssMb, samples };
  };
}

// The server's debug log marks each render job; "finished" is printed after the job's commit, so the file is
// already 'ready' when it appears. Detecting readiness from it puts no polling load on the server.
export const jobStarted = (fileId: string) => new RegExp(`^job started \\S+ ${fileId}$`);
export const jobFinished = (fileId: string) => new RegExp(`^job finished \\S+ ${fileId}( |$)`);

/**
 * Arrival time of the first line matching `pattern` on any of `servers` (processes sharing one database: any of
 * them may run a job), and which printed it. Looks every few ms, so no waiter is left on the others.
 */
export async function waitForLineOnAny(servers: BenchServer[], pattern: RegExp, timeoutMs = 120_000): Promise<{ at: number; server: BenchServer }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const server of servers) {
      const at = server.lineTime(pattern);
      if (at !== undefined) return { at, server };
    }
    if (performance.now() > deadline) throw new Error(`no server line matching ${pattern} in ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** Waits for every upload's "job finished" line, then checks over HTTP that each is 'ready'. Returns the last line's arrival. */
export async function readyByLog(server: BenchServer, uploads: CreatedUpload[], timeoutMs = 120_000): Promise<number> {
  const times = await Promise.all(uploads.map((upload) => server.waitForLine(jobFinished(upload.fileId), timeoutMs)));
  for (const upload of uploads) {
    const state = await fileState(server, upload);
    if (state !== 'ready') throw new Error(`file ${upload.fileId} is '${state}' after its job finished`);
  }
  return Math.max(...times);
}

export interface CpuTimes {
  /** CPU time of every thread of the process so far, ms. */
  totalMs: number;
  /** CPU time of the main (event-loop) thread so far, ms. */
  mainMs: number;
}

/** From /proc/<pid>/task/<tid>/schedstat (nanoseconds on CPU). Threads that already exited are not counted. */
export function cpuTimes(pid: number): CpuTimes {
  let totalMs = 0;
  let mainMs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns: number;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // the thread ended meanwhile
    }
    totalMs += ns / 1e6;
    if (tid === String(pid)) mainMs = ns / 1e6;
  }
  return { totalMs, mainMs };
}
