// Emote variant serving (issue 5): requests per second for a cached 128 px emote from the built server's /cdn/,
// public (200), private with a signed URL (200) and the 304 path (If-None-Match), next to a plain node:http
// static file server serving the same bytes from the same file with the same headers, measured in the same run.
//
// Both servers and the load generator are separate processes (so each is measured the same way): the load
// generator is plain Node (node:http, keep-alive Agent, a fixed number of requests in flight) and also reads each
// server's CPU time from /proc at the start and end of every measured window, so the table shows server CPU per
// request as well as requests per second. The cases are rotated over several rounds and the median is reported.
// Client and servers share the machine's cores (2 here), so req/s also depends on how they split them: see the notes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { api } from '../test/helpers/server.ts';
import { photoLikeRgb } from './images.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { complete, putBytes, readyByLog, startBenchServer, type BenchServer, type CreatedUpload } from './server-process.ts';
import { median } from './stats.ts';

const CONCURRENCY = Number(process.env.BENCH_SERVING_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_SERVING_ROUNDS ?? 3);
const MEASURE_MS = Number(process.env.BENCH_SERVING_SECONDS ?? 4) * 1000;
/** Warm-up before each measured window: longer the first time a case runs (JIT, page cache, connections). */
const FIRST_WARMUP_MS = 2000;
const WARMUP_MS = 500;
const TARGET_RATIO = 0.8;

function log(line: string) {
  process.stderr.write(`[bench] serving: ${line}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// The reference: a plain node:http static file server. Per request it does what a static file server does for a
// file it may not assume unchanged: compare If-None-Match, else stat for the length and stream the file with
// fs.createReadStream. Headers are the ones our /cdn/ sent for the same object (passed in as JSON), so both send
// the same response bytes apart from Date.
const REFERENCE_SERVER = `
import http from 'node:http';
import fs from 'node:fs';
const file = process.env.REF_FILE;
const ok = JSON.parse(process.env.REF_HEADERS_200);
const notModified = JSON.parse(process.env.REF_HEADERS_304);
const etag = ok.etag;
const server = http.createServer((req, res) => {
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((tag) => tag.trim().replace(/^W\\//, '') === etag)) {
    res.writeHead(304, notModified);
    res.end();
    return;
  }
  fs.stat(file, (err, stat) => {
    if (err) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { ...ok, 'content-length': stat.size });
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

// ---------------------------------------------------------------------------------------------------------------
// The load generator. Commands arrive over IPC: { url, headers, status, bytes, pid, concurrency, warmupMs, measureMs }.
// Every request's response is read to the end and checked (status; for 200 the body length). Requests completed
// inside the measured window are counted; the server's CPU time (all its threads, /proc/<pid>/task/*/schedstat)
// and the client's own are sampled at the window's edges.
const LOAD_CLIENT = `
import http from 'node:http';
import fs from 'node:fs';

function cpuMs(pid) {
  let total = 0, main = 0;
  for (const tid of fs.readdirSync('/proc/' + pid + '/task')) {
    try {
      const ms = Number(fs.readFileSync('/proc/' + pid + '/task/' + tid + '/schedstat', 'utf8').split(' ')[0]) / 1e6;
      total += ms;
      if (tid === String(pid)) main = ms;
    } catch {}
  }
  return { total, main };
}
/** Busy jiffies (USER_HZ, 100/s) of the whole machine, steal excluded. */
function machineBusy() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\\n')[0].trim().split(/\\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6];
}
const ownCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function run(job) {
  const target = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const options = { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, headers: job.headers };
  let phase = 'warmup';
  let done = 0, bad = 0, errors = 0;
  const latencies = [];
  const firstBad = [];
  const one = () => new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(options, (res) => {
      let length = 0;
      res.on('data', (chunk) => { length += chunk.length; });
      res.on('end', () => {
        const good = res.statusCode === job.status && (job.status !== 200 || length === job.bytes);
        if (phase === 'measure') {
          done++;
          latencies.push(performance.now() - started);
          if (!good) { bad++; if (firstBad.length < 3) firstBad.push(res.statusCode + ' ' + length); }
        }
        resolve();
      });
      res.on('error', () => { if (phase === 'measure') errors++; resolve(); });
    });
    req.on('error', (e) => { if (phase === 'measure') { errors++; if (firstBad.length < 3) firstBad.push(String(e)); } resolve(); });
  });
  const loop = async () => { while (phase !== 'stop') await one(); };
  const loops = Array.from({ length: job.concurrency }, loop);
  await new Promise((r) => setTimeout(r, job.warmupMs));
  phase = 'measure';
  const t0 = performance.now(), s0 = cpuMs(job.pid), c0 = ownCpuMs(), m0 = machineBusy();
  await new Promise((r) => setTimeout(r, job.measureMs));
  const t1 = performance.now(), s1 = cpuMs(job.pid), c1 = ownCpuMs(), m1 = machineBusy();
  const measured = done;
  phase = 'stop';
  await Promise.all(loops);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
  return {
    requests: measured, elapsedMs: t1 - t0, bad, errors, firstBad,
    serverCpuMs: s1.total - s0.total, serverMainCpuMs: s1.main - s0.main, clientCpuMs: c1 - c0, machineBusyMs: (m1 - m0) * 10, p50Ms: pct(0.5), p99Ms: pct(0.99),
  };
}

process.on('message', (job) => {
  run(job).then((result) => process.send(result), (e) => process.send({ failed: String(e && e.stack || e) }));
});
process.send({ ready: true });
`;

interface Case {
  id: 'ours_public_200' | 'ours_private_200' | 'ours_304' | 'plain_200' | 'plain_304';
  label: string;
  url: string;
  headers: Record<string, string>;
  status: number;
  pid: number;
}

interface RunResult {
  requests: number;
  elapsedMs: number;
  bad: number;
  errors: number;
  firstBad: string[];
  serverCpuMs: number;
  /** The server's main (event-loop) thread only; the rest is libuv's thread pool (fs) and V8's helpers (GC). */
  serverMainCpuMs: number;
  clientCpuMs: number;
  /** Whole machine, every process. */
  machineBusyMs: number;
  p50Ms: number;
  p99Ms: number;
}

interface Sample {
  round: number;
  rps: number;
  server_cpu_us_per_req: number;
  server_main_thread_cpu_us_per_req: number;
  /** Cores the server kept busy during the window (all its threads), its main thread, the load client, the machine. */
  server_cores: number;
  server_main_thread_cores: number;
  client_cores: number;
  machine_cores: number;
  /** machine − server − client: other processes (anything above ~0.05 means the figure is skewed). */
  other_cores: number;
  p50_ms: number;
  p99_ms: number;
}

function startChild(source: string, env: Record<string, string>, ipc: boolean): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', source], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startReference(file: string, headers200: Record<string, string>, headers304: Record<string, string>) {
  const child = startChild(REFERENCE_SERVER, { REF_FILE: file, REF_HEADERS_200: JSON.stringify(headers200), REF_HEADERS_304: JSON.stringify(headers304) }, false);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reference server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`reference server exited (${code}): ${out}`)));
  });
  return { child, url };
}

async function startLoadClient() {
  const child = startChild(LOAD_CLIENT, {}, true);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`load client exited (${code})`)));
  });
  const measure = (job: Record<string, unknown>) =>
    new Promise<RunResult>((resolve, reject) => {
      child.once('message', (message: RunResult & { failed?: string }) => (message.failed ? reject(new Error(message.failed)) : resolve(message)));
      child.send(job);
    });
  return { child, measure };
}

/** A 256×256 photo-like PNG: its 128 px WebP variant is a few KB, like a real emote. */
async function emoteSource(): Promise<Buffer> {
  const raw = await photoLikeRgb(256, 256, 6, 5);
  return sharp(raw, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
}

async function createEmote(server: BenchServer, token: string, bytes: Buffer, shortcode: string, isPublic: boolean) {
  const created = await api(server, 'POST', '/v1/uploads', {
    token,
    json: { upload_type: 'emote', filename: `${shortcode}.png`, content_type: 'image/png', size_bytes: bytes.byteLength, shortcode, public: isPublic },
  });
  if (created.status !== 201) throw new Error(`create emote upload: ${created.status} ${created.text}`);
  const upload: CreatedUpload = { fileId: created.json.file_id, uploadUrl: created.json.upload_url, headers: created.json.upload_headers, token };
  await putBytes(upload, bytes);
  await complete(server, upload);
  return { upload, emoteId: created.json.emote_id as string };
}

async function emoteUrl(server: BenchServer, token: string, emoteId: string) {
  const res = await api(server, 'GET', `/v1/emotes/${emoteId}/url?size=128`, { token });
  if (res.status !== 200) throw new Error(`GET emote url: ${res.status} ${res.text}`);
  return res.json as { url: string; expires_at: number | null };
}

/** Response headers worth copying to the reference (everything but the per-connection and per-response ones). */
function copyableHeaders(headers: Headers): Record<string, string> {
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!skip.has(name)) out[name] = value;
  });
  return out;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

export const servingBench: BenchModule = {
  name: 'serving',
  async run(): Promise<SectionResult> {
    const server = await startBenchServer({});
    let reference: Awaited<ReturnType<typeof startReference>> | null = null;
    let client: Awaited<ReturnType<typeof startLoadClient>> | null = null;
    try {
      log('creating a public and a private emote');
      const token = server.token('bench-emotes');
      const source = await emoteSource();
      const pub = await createEmote(server, token, source, 'bench_public', true);
      const priv = await createEmote(server, token, source, 'bench_private', false);
      await readyByLog(server, [pub.upload, priv.upload]);
      const publicUrl = await emoteUrl(server, token, pub.emoteId);
      const privateUrl = await emoteUrl(server, token, priv.emoteId);
      if (publicUrl.expires_at !== null || privateUrl.expires_at === null) throw new Error('expected an unsigned public URL and a signed private one');

      // The bytes as served, checked against the object on disk; the reference serves that same file.
      const key = new URL(publicUrl.url).pathname.slice('/cdn/'.length);
      const file = join(server.dataDir, 'objects', key);
      const onDisk = await readFile(file);
      const first = await fetch(publicUrl.url);
      const served = new Uint8Array(await first.arrayBuffer());
      if (first.status !== 200 || sha(served) !== sha(onDisk)) throw new Error(`/cdn/ served ${first.status} ${served.byteLength} bytes, not the ${onDisk.byteLength}-byte object`);
      const etag = first.headers.get('etag');
      if (!etag) throw new Error('/cdn/ sent no ETag');
      const revalidated = await fetch(publicUrl.url, { headers: { 'if-none-match': etag } });
      await revalidated.arrayBuffer();
      if (revalidated.status !== 304) throw new Error(`If-None-Match gave ${revalidated.status}, not 304`);
      const privateFirst = await fetch(privateUrl.url);
      await privateFirst.arrayBuffer();
      if (privateFirst.status !== 200) throw new Error(`signed private URL gave ${privateFirst.status}`);
      const unsigned = await fetch(privateUrl.url.split('?')[0]!);
      await unsigned.arrayBuffer();
      if (unsigned.status !== 403) throw new Error(`the private emote without its signature gave ${unsigned.status}, not 403`);

      const headers200 = copyableHeaders(first.headers);
      const headers304 = copyableHeaders(revalidated.headers);
      reference = await startReference(file, headers200, headers304);
      const plainFirst = await fetch(reference.url);
      const plainBytes = new Uint8Array(await plainFirst.arrayBuffer());
      if (plainFirst.status !== 200 || sha(plainBytes) !== sha(onDisk)) throw new Error('the reference server did not serve the same bytes');

      const ourPid = server.pid;
      const plainPid = reference.child.pid!;
      const inm = { 'if-none-match': etag };
      const cases: Case[] = [
        { id: 'ours_public_200', label: 'ours /cdn/ public 200', url: publicUrl.url, headers: {}, status: 200, pid: ourPid },
        { id: 'plain_200', label: 'plain node:http 200', url: reference.url, headers: {}, status: 200, pid: plainPid },
        { id: 'ours_private_200', label: 'ours /cdn/ private (signed) 200', url: privateUrl.url, headers: {}, status: 200, pid: ourPid },
        { id: 'ours_304', label: 'ours /cdn/ public 304', url: publicUrl.url, headers: inm, status: 304, pid: ourPid },
        { id: 'plain_304', label: 'plain node:http 304', url: reference.url, headers: inm, status: 304, pid: plainPid },
      ];

      client = await startLoadClient();
      const samples = new Map<Case['id'], Sample[]>(cases.map((c) => [c.id, []]));
      const problems: string[] = [];
      log(`${ROUNDS} rounds × ${cases.length} cases × ${MEASURE_MS / 1000} s, ${CONCURRENCY} requests in flight, ${onDisk.byteLength}-byte object`);
      for (let r = 0; r < ROUNDS; r++) {
        // Rotate the order every round so no case always follows the same one.
        const order = cases.map((_, i) => cases[(i + r) % cases.length]!);
        for (const c of order) {
          const result = await client.measure({
            url: c.url,
            headers: c.headers,
            status: c.status,
            bytes: onDisk.byteLength,
            pid: c.pid,
            concurrency: CONCURRENCY,
            warmupMs: r === 0 ? FIRST_WARMUP_MS : WARMUP_MS,
            measureMs: MEASURE_MS,
          });
          if (result.bad || result.errors) problems.push(`${c.id} round ${r + 1}: ${result.bad} wrong responses, ${result.errors} errors (${result.firstBad.join('; ')})`);
          const seconds = result.elapsedMs / 1000;
          const sample: Sample = {
            round: r + 1,
            rps: round(result.requests / seconds, 0),
            server_cpu_us_per_req: round((result.serverCpuMs * 1000) / Math.max(1, result.requests), 1),
            server_main_thread_cpu_us_per_req: round((result.serverMainCpuMs * 1000) / Math.max(1, result.requests), 1),
            server_cores: round(result.serverCpuMs / result.elapsedMs, 2),
            server_main_thread_cores: round(result.serverMainCpuMs / result.elapsedMs, 2),
            client_cores: round(result.clientCpuMs / result.elapsedMs, 2),
            machine_cores: round(result.machineBusyMs / result.elapsedMs, 2),
            other_cores: round(Math.max(0, result.machineBusyMs - result.serverCpuMs - result.clientCpuMs) / result.elapsedMs, 2),
            p50_ms: round(result.p50Ms, 2),
            p99_ms: round(result.p99Ms, 2),
          };
          samples.get(c.id)!.push(sample);
          log(
            `round ${r + 1} ${c.id}: ${sample.rps} req/s; server ${sample.server_cpu_us_per_req} µs CPU/req (main thread ${sample.server_main_thread_cpu_us_per_req}); ` +
              `cores busy: server ${sample.server_cores} (main thread ${sample.server_main_thread_cores}), client ${sample.client_cores}, others ${sample.other_cores}`,
          );
        }
      }

      const med = (id: Case['id'], field: keyof Sample) => round(median(samples.get(id)!.map((s) => s[field])), field === 'rps' ? 0 : 2);
      const rps = (id: Case['id']) => med(id, 'rps');
      const cpu = (id: Case['id']) => med(id, 'server_cpu_us_per_req');
      const plain200 = { label: 'plain node:http 200, same file', value: rps('plain_200'), unit: 'req/s' };
      const plain304 = { label: 'plain node:http 304', value: rps('plain_304'), unit: 'req/s' };
      const target = `≥ ${TARGET_RATIO}× plain`;
      const rpsFigure = (id: Case['id'], label: string, reference: typeof plain200): Figure => {
        const value = rps(id);
        return figure({
          id: `${id}_rps`,
          label,
          value,
          unit: 'req/s',
          reference,
          target,
          ok: value >= TARGET_RATIO * reference.value,
          note: `median of ${ROUNDS}; p50 latency ${med(id, 'p50_ms')} ms (plain ${med(reference === plain200 ? 'plain_200' : 'plain_304', 'p50_ms')} ms); server ${med(id, 'server_cores')} cores busy, load client ${med(id, 'client_cores')}`,
        });
      };
      const cpuFigure = (id: Case['id'], label: string, ref: Case['id'], refLabel: string): Figure =>
        figure({ id: `${id}_server_cpu_us_per_req`, label, value: cpu(id), unit: 'µs CPU/req', reference: { label: refLabel, value: cpu(ref), unit: 'µs CPU/req' } });

      const figures: Figure[] = [
        rpsFigure('ours_public_200', 'cached 128 px emote, public: req/s', plain200),
        rpsFigure('ours_private_200', 'cached 128 px emote, private signed URL: req/s', plain200),
        rpsFigure('ours_304', 'cached 128 px emote, 304 (If-None-Match): req/s', plain304),
        cpuFigure('ours_public_200', 'server CPU per public 200', 'plain_200', 'plain 200'),
        cpuFigure('ours_private_200', 'server CPU per private 200', 'plain_200', 'plain 200'),
        cpuFigure('ours_304', 'server CPU per 304', 'plain_304', 'plain 304'),
      ];
      const cores = availableParallelism();
      const notes = [
        `object: ${key.split('/').pop()} (${onDisk.byteLength} bytes WebP); ${CONCURRENCY} requests in flight on keep-alive connections (node:http Agent), ` +
          `${ROUNDS} rounds of ${MEASURE_MS / 1000} s per case after ${FIRST_WARMUP_MS / 1000} s (later ${WARMUP_MS / 1000} s) warm-up, order rotated each round; medians`,
        `the load client, our server and the plain server are separate processes sharing this machine's ${cores} cores, so req/s depends on how ` +
          `they split them: during the public 200 windows our server kept ${med('ours_public_200', 'server_cores')} cores busy (main thread ` +
          `${med('ours_public_200', 'server_main_thread_cores')}) and the client ${med('ours_public_200', 'client_cores')}; against the plain server the client used ` +
          `${med('plain_200', 'client_cores')} (200) and ${med('plain_304', 'client_cores')} (304), so the plain figures are partly client-bound and ` +
          `the ratios are if anything flattering; server CPU per request (all threads, from /proc/<pid>/task/*/schedstat) compares the servers directly`,
        `server main-thread CPU per request (the part that limits one process): public 200 ${med('ours_public_200', 'server_main_thread_cpu_us_per_req')} µs, ` +
          `private 200 ${med('ours_private_200', 'server_main_thread_cpu_us_per_req')} µs, 304 ${med('ours_304', 'server_main_thread_cpu_us_per_req')} µs; ` +
          `plain 200 ${med('plain_200', 'server_main_thread_cpu_us_per_req')} µs, plain 304 ${med('plain_304', 'server_main_thread_cpu_us_per_req')} µs`,
        `the plain server compares If-None-Match, else stats the file and streams it with fs.createReadStream, with the headers our /cdn/ sent ` +
          `(${Object.keys(headers200).join(', ')})`,
        ...problems.map((p) => `PROBLEM: ${p}`),
      ];
      const busiest = Math.max(...[...samples.values()].flat().map((sample) => sample.other_cores));
      if (busiest > 0.1) {
        notes.push(`WARNING: other processes kept up to ${busiest} cores busy during some measured windows (other_cores in details): those samples are skewed`);
      }
      return {
        name: 'serving',
        figures,
        notes,
        details: {
          object_bytes: onDisk.byteLength,
          concurrency: CONCURRENCY,
          rounds: ROUNDS,
          measure_s: MEASURE_MS / 1000,
          cores,
          headers_200: headers200,
          headers_304: headers304,
          samples: Object.fromEntries(samples),
          problems,
        },
      };
    } finally {
      if (client) await stopChild(client.child);
      if (reference) await stopChild(reference.child);
      await server.stop();
    }
  },
};
