// Variant serving (issue 13 point 9): requests per second from the built server's /cdn/ for a public 128 px emote
// (200), a private one through its signed URL (200), the 304 path (If-None-Match) and a 256 px avatar variant (200),
// each next to references measured in the same run on the same paths: node:http answering the same bytes from
// memory with the same headers, and nginx serving the same files with the same headers when it is installed.
//
// The load generator is wrk when installed (bench/serving-load.ts), else a Node client. Every server is its own
// process; each measured window also reads the server's CPU time and the whole machine's from /proc, so the table
// shows server CPU per request and the notes say how busy the rest of the machine was. Cases and servers are
// rotated over a few rounds and the median is reported. Target: ≥ 0.8× node:http for every case.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { api } from '../test/helpers/server.ts';
import { photoLikeRgb } from './images.ts';
import { figure, round, type BenchModule, type Figure, type SectionResult } from './report.ts';
import { nodeLoad, wrkAvailable, wrkLoad, type LoadGenerator, type LoadResult } from './serving-load.ts';
import { findNginx, startNginx, startNodeReference, type ReferenceServer, type ServedObject } from './serving-references.ts';
import { complete, createUpload, putBytes, readyByLog, startBenchServer, type BenchServer, type CreatedUpload } from './server-process.ts';
import { median } from './stats.ts';

const CONNECTIONS = Number(process.env.BENCH_SERVING_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_SERVING_ROUNDS ?? 5);
/** Whole seconds (wrk's -d); short windows and more rounds pair runs more closely on a shared machine. */
const MEASURE_MS = Number(process.env.BENCH_SERVING_SECONDS ?? 1) * 1000;
/** Warm-up before each measured window: longer the first time a pair runs (JIT, caches, connections). */
const FIRST_WARMUP_MS = 1000;
const WARMUP_MS = Number(process.env.BENCH_SERVING_WARMUP_MS ?? 0);
/** BENCH_SERVING_LOAD=node uses the Node client even when wrk is installed. */
const FORCE_NODE_CLIENT = process.env.BENCH_SERVING_LOAD === 'node';
const TARGET_RATIO = 0.8;

function log(line: string) {
  process.stderr.write(`[bench] serving: ${line}\n`);
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** A 256×256 photo-like PNG: its 128 px WebP variant is a few KB, like a real emote. */
async function emoteSource(): Promise<Buffer> {
  const raw = await photoLikeRgb(256, 256, 6, 5);
  return sharp(raw, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
}

/** A 1024×1024 photo-like JPEG: its 256 px variant is what a profile picture in a list fetches. */
async function avatarSource(): Promise<Buffer> {
  const raw = await photoLikeRgb(1024, 1024, 6, 7);
  return sharp(raw, { raw: { width: 1024, height: 1024, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
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

async function getJson(server: BenchServer, path: string, token?: string) {
  const res = await api(server, 'GET', path, token ? { token } : {});
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.json;
}

/** Response headers worth copying to the references (everything but the per-connection and per-response ones). */
function copyableHeaders(headers: Headers): Record<string, string> {
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!skip.has(name)) out[name] = value;
  });
  return out;
}

/**
 * Checks what `base` serves for one object: the bytes on disk with an ETag, and 304 for that ETag. Returns the
 * headers of both answers.
 */
async function checkServed(base: string, pathAndQuery: string, onDisk: Buffer, who: string) {
  const first = await fetch(base + pathAndQuery);
  const served = new Uint8Array(await first.arrayBuffer());
  if (first.status !== 200 || sha(served) !== sha(onDisk)) throw new Error(`${who} served ${first.status} with ${served.byteLength} bytes for ${pathAndQuery}, not the ${onDisk.byteLength}-byte object`);
  const etag = first.headers.get('etag');
  if (!etag) throw new Error(`${who} sent no ETag for ${pathAndQuery}`);
  const revalidated = await fetch(base + pathAndQuery, { headers: { 'if-none-match': etag } });
  await revalidated.arrayBuffer();
  if (revalidated.status !== 304) throw new Error(`${who}: If-None-Match gave ${revalidated.status}, not 304, for ${pathAndQuery}`);
  return { etag, headers200: copyableHeaders(first.headers), headers304: copyableHeaders(revalidated.headers) };
}

interface Case {
  id: 'public_200' | 'private_200' | 'public_304' | 'avatar256_200';
  label: string;
  /** Path and query, the same on every server. */
  target: string;
  headers: Record<string, string>;
  status: number;
  bodyBytes: number;
}

type ServerId = 'ours' | 'node' | 'nginx';

interface Sample {
  round: number;
  rps: number;
  bytes_per_response: number;
  server_cpu_us_per_req: number;
  server_main_thread_cpu_us_per_req: number;
  /** Cores kept busy during the window: the server (all threads), its main thread, the load generator, the machine. */
  server_cores: number;
  server_main_thread_cores: number;
  client_cores: number;
  machine_cores: number;
  /** machine − server − load generator: other processes (anything above ~0.1 means the figure is skewed). */
  other_cores: number;
  p50_ms: number;
  p99_ms: number;
}

function sampleOf(round_: number, r: LoadResult): Sample {
  const per = (ms: number) => round((ms * 1000) / Math.max(1, r.requests), 1);
  const cores = (ms: number) => round(ms / r.elapsedMs, 2);
  return {
    round: round_,
    rps: round(r.rps, 0),
    bytes_per_response: round(r.bytesPerResponse, 0),
    server_cpu_us_per_req: per(r.serverCpuMs),
    server_main_thread_cpu_us_per_req: per(r.serverMainCpuMs),
    server_cores: cores(r.serverCpuMs),
    server_main_thread_cores: cores(r.serverMainCpuMs),
    client_cores: cores(r.clientCpuMs),
    machine_cores: cores(r.machineBusyMs),
    other_cores: cores(Math.max(0, r.machineBusyMs - r.serverCpuMs - r.clientCpuMs)),
    p50_ms: round(r.p50Ms, 2),
    p99_ms: round(r.p99Ms, 2),
  };
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

export const servingBench: BenchModule = {
  name: 'serving',
  async run(): Promise<SectionResult> {
    const server = await startBenchServer({});
    const references: ReferenceServer[] = [];
    let load: LoadGenerator | null = null;
    try {
      log('creating a public and a private emote and an avatar');
      const token = server.token('bench-serving');
      const [emoteBytes, avatarBytes] = await Promise.all([emoteSource(), avatarSource()]);
      const pub = await createEmote(server, token, emoteBytes, 'bench_public', true);
      const priv = await createEmote(server, token, emoteBytes, 'bench_private', false);
      const avatar = await createUpload(server, token, avatarBytes, 'image/jpeg');
      await putBytes(avatar, avatarBytes);
      await complete(server, avatar);
      await readyByLog(server, [pub.upload, priv.upload, avatar]);
      const publicUrl = (await getJson(server, `/v1/emotes/${pub.emoteId}/url?size=128`, token)) as { url: string; expires_at: number | null };
      const privateUrl = (await getJson(server, `/v1/emotes/${priv.emoteId}/url?size=128`, token)) as { url: string; expires_at: number | null };
      const avatarUrl = ((await getJson(server, '/v1/users/bench-serving/avatar?size=256')) as { url: string }).url;
      if (publicUrl.expires_at !== null || privateUrl.expires_at === null) throw new Error('expected an unsigned public URL and a signed private one');

      // What /cdn/ serves, checked against the objects on disk; the references serve the same files with these headers.
      const objects: Array<ServedObject & { bytes: Buffer; target: string }> = [];
      for (const url of [publicUrl.url, privateUrl.url, avatarUrl]) {
        const { pathname, search } = new URL(url);
        const file = join(server.dataDir, 'objects', pathname.slice('/cdn/'.length));
        const bytes = await readFile(file);
        const served = await checkServed(server.url, pathname + search, bytes, '/cdn/');
        objects.push({ path: pathname, file, bytes, target: pathname + search, ...served });
      }
      const [publicObject, privateObject, avatarObject] = objects as [typeof objects[0], typeof objects[0], typeof objects[0]];
      const unsigned = await fetch(server.url + privateObject.path);
      await unsigned.arrayBuffer();
      if (unsigned.status !== 403) throw new Error(`the private emote without its signature gave ${unsigned.status}, not 403`);

      const servers = new Map<ServerId, { name: string; url: string; pid: number }>([['ours', { name: 'ours (/cdn/)', url: server.url, pid: server.pid }]]);
      const node = await startNodeReference(objects);
      references.push(node);
      servers.set('node', node);
      const nginxBinary = findNginx();
      let nginxSkipped: string | null = null;
      if ('path' in nginxBinary) {
        try {
          const nginx = await startNginx(nginxBinary.path, objects);
          references.push(nginx);
          servers.set('nginx', nginx);
        } catch (error) {
          nginxSkipped = `nginx did not start: ${error instanceof Error ? error.message : String(error)}`;
        }
      } else {
        nginxSkipped = nginxBinary.missing;
      }
      if (nginxSkipped) log(`skipping nginx: ${nginxSkipped}`);
      for (const [id, ref] of servers) {
        if (id === 'ours') continue;
        for (const o of objects) await checkServed(ref.url, o.target, o.bytes, ref.name);
      }

      const useWrk = !FORCE_NODE_CLIENT && wrkAvailable();
      const loadSkipped = useWrk ? null : FORCE_NODE_CLIENT ? 'BENCH_SERVING_LOAD=node' : 'wrk is not installed (apt-get install wrk)';
      if (loadSkipped) log(`load from the Node client: ${loadSkipped}`);
      load = useWrk ? wrkLoad() : await nodeLoad();

      const inm = { 'if-none-match': publicObject.etag };
      const cases: Case[] = [
        { id: 'public_200', label: 'public 128 px emote, 200', target: publicObject.target, headers: {}, status: 200, bodyBytes: publicObject.bytes.byteLength },
        { id: 'private_200', label: 'private 128 px emote, signed URL, 200', target: privateObject.target, headers: {}, status: 200, bodyBytes: privateObject.bytes.byteLength },
        { id: 'public_304', label: 'public 128 px emote, 304 (If-None-Match)', target: publicObject.target, headers: inm, status: 304, bodyBytes: 0 },
        { id: 'avatar256_200', label: '256 px avatar variant, 200', target: avatarObject.target, headers: {}, status: 200, bodyBytes: avatarObject.bytes.byteLength },
      ];
      const pairs = cases.flatMap((c) => [...servers.keys()].map((s) => ({ c, s })));
      const samples = new Map<string, Sample[]>(pairs.map(({ c, s }) => [`${c.id}/${s}`, []]));
      const problems: string[] = [];
      log(`${ROUNDS} rounds × ${pairs.length} runs × ${MEASURE_MS / 1000} s with ${load.describe(CONNECTIONS)}`);
      for (let r = 0; r < ROUNDS; r++) {
        // Rotate the cases every round and reverse every other one, so no run always follows the same one and
        // ours runs before its references as often as after them.
        const rotated = pairs.map((_, i) => pairs[(i + r * servers.size) % pairs.length]!);
        const order = r % 2 ? rotated.reverse() : rotated;
        for (const { c, s } of order) {
          const target = servers.get(s)!;
          const result = await load.measure({
            url: target.url + c.target,
            headers: c.headers,
            status: c.status,
            bodyBytes: c.bodyBytes,
            serverPid: target.pid,
            connections: CONNECTIONS,
            warmupMs: r === 0 ? FIRST_WARMUP_MS : WARMUP_MS,
            measureMs: MEASURE_MS,
          });
          if (result.wrong || result.errors || result.problems.length) problems.push(`${c.id} on ${s}, round ${r + 1}: ${result.problems.join('; ') || `${result.wrong} wrong, ${result.errors} errors`}`);
          const sample = sampleOf(r + 1, result);
          samples.get(`${c.id}/${s}`)!.push(sample);
          log(
            `round ${r + 1} ${c.id} ${s}: ${sample.rps} req/s, ${sample.bytes_per_response} B/response; server ${sample.server_cpu_us_per_req} µs CPU/req; ` +
              `cores busy: server ${sample.server_cores} (main thread ${sample.server_main_thread_cores}), load ${sample.client_cores}, others ${sample.other_cores}`,
          );
        }
      }

      const med = (c: Case['id'], s: ServerId, field: keyof Sample) => {
        const list = samples.get(`${c}/${s}`);
        return list ? round(median(list.map((x) => x[field])), field === 'rps' || field === 'bytes_per_response' ? 0 : 2) : NaN;
      };
      /**
       * Ours ÷ a reference, as the median of the per-round ratios: the two runs of a round are back to back, so they
       * share whatever else the machine was doing then, which the medians of each side separately do not.
       */
      const pairedRatio = (c: Case['id'], ref: ServerId) => {
        const ours = samples.get(`${c}/ours`) ?? [];
        const theirs = new Map((samples.get(`${c}/${ref}`) ?? []).map((x) => [x.round, x.rps]));
        return round(median(ours.filter((x) => theirs.get(x.round)).map((x) => x.rps / theirs.get(x.round)!)), 3);
      };
      const hasNginx = servers.has('nginx');
      const figures: Figure[] = [];
      for (const c of cases) {
        const ours = med(c.id, 'ours', 'rps');
        const nodeRef = { label: 'node:http, same bytes from memory', value: med(c.id, 'node', 'rps'), unit: 'req/s' };
        const ratio = pairedRatio(c.id, 'node');
        figures.push(
          figure({
            id: `${c.id}_rps`,
            label: `${c.label}: req/s${loadSkipped ? ' (Node client, not wrk)' : ''}`,
            value: ours,
            unit: 'req/s',
            reference: nodeRef,
            ratio,
            target: `≥ ${TARGET_RATIO}× node:http`,
            ok: ratio >= TARGET_RATIO,
            note:
              `${CONNECTIONS} connections, ${c.bodyBytes} body bytes, ${med(c.id, 'ours', 'bytes_per_response')} B/response read; ` +
              `p50 ${med(c.id, 'ours', 'p50_ms')} ms (node:http ${med(c.id, 'node', 'p50_ms')} ms); ` +
              `server ${med(c.id, 'ours', 'server_cores')} cores busy, load generator ${med(c.id, 'ours', 'client_cores')}, others ${med(c.id, 'ours', 'other_cores')}`,
          }),
        );
        if (hasNginx) {
          figures.push(
            figure({
              id: `${c.id}_vs_nginx_rps`,
              label: `${c.label}: req/s vs nginx${loadSkipped ? ' (Node client, not wrk)' : ''}`,
              value: ours,
              unit: 'req/s',
              reference: { label: 'nginx, same file (1 worker)', value: med(c.id, 'nginx', 'rps'), unit: 'req/s' },
              ratio: pairedRatio(c.id, 'nginx'),
            }),
          );
        }
      }
      for (const c of cases) {
        figures.push(
          figure({
            id: `${c.id}_server_cpu_us_per_req`,
            label: `server CPU per request, ${c.label}`,
            value: med(c.id, 'ours', 'server_cpu_us_per_req'),
            unit: 'µs CPU/req',
            reference: { label: 'node:http', value: med(c.id, 'node', 'server_cpu_us_per_req'), unit: 'µs CPU/req' },
          }),
        );
      }

      const cores = availableParallelism();
      // The closing-note figures, wrk style: connections, bytes, req/s of each server and the ratios.
      const wrkStyle = cases.map((c) => {
        const ours = med(c.id, 'ours', 'rps');
        const nodeRps = med(c.id, 'node', 'rps');
        const nginxRps = hasNginx ? med(c.id, 'nginx', 'rps') : NaN;
        return (
          `${c.label}: -c${CONNECTIONS}, ${c.bodyBytes} B body (${med(c.id, 'ours', 'bytes_per_response')} B/response read from ours, ` +
          `${med(c.id, 'node', 'bytes_per_response')} from node:http${hasNginx ? `, ${med(c.id, 'nginx', 'bytes_per_response')} from nginx` : ''}): ` +
          `ours ${thousands(ours)} req/s, node:http ${thousands(nodeRps)} (ours ${pairedRatio(c.id, 'node').toFixed(2)}×)` +
          (hasNginx ? `, nginx ${thousands(nginxRps)} (ours ${pairedRatio(c.id, 'nginx').toFixed(2)}×)` : '')
        );
      });
      const notes = [
        ...(loadSkipped ? [`WARNING: wrk not used (${loadSkipped}): the load comes from a Node client, which needs about as much CPU as the servers, so every req/s figure is partly client-bound`] : []),
        `load: ${load.describe(CONNECTIONS)}; ${ROUNDS} rounds of ${MEASURE_MS / 1000} s per server and case, order rotated each round, ` +
          `${FIRST_WARMUP_MS / 1000} s warm-up the first time; req/s are medians, ratios the median of each round's ratio (back-to-back runs). Every server is one process${hasNginx ? ' (nginx: one worker)' : ''} on this machine's ${cores} cores, beside the load generator`,
        ...wrkStyle,
        `node:http reference: the same files read into memory at start, the same If-None-Match rules, writeHead with the headers our /cdn/ sent ` +
          `(${Object.keys(publicObject.headers200).join(', ')}) and end(bytes)`,
        hasNginx
          ? 'nginx reference: the same files under the same paths, our headers via add_header (its own ETag off), 304 for our ETag; it also sends Server and Last-Modified'
          : `nginx: skipped (${nginxSkipped})`,
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
          load_generator: load.name,
          connections: CONNECTIONS,
          rounds: ROUNDS,
          measure_s: MEASURE_MS / 1000,
          cores,
          servers: Object.fromEntries([...servers].map(([id, s]) => [id, s.name])),
          skipped: { nginx: nginxSkipped, wrk: loadSkipped },
          objects: Object.fromEntries(cases.map((c) => [c.id, { target: c.target, body_bytes: c.bodyBytes }])),
          headers_200: publicObject.headers200,
          headers_304: publicObject.headers304,
          samples: Object.fromEntries(samples),
          problems,
        },
      };
    } finally {
      if (load) await load.close();
      for (const ref of references) await ref.stop();
      await server.stop();
    }
  },
};
