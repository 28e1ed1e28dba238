// Peak RSS of a real server process while 20 clients PUT ~5 MiB each at once through the presigned URL, and
// while it then processes all 20; the reference is the same process's idle RSS just before. And (issue 13) peak
// RSS and /healthz latency under concurrent one-request uploads, multipart next to raw bodies.
import { availableParallelism } from 'node:os';
import { api } from '../test/helpers/server.ts';
import { figure, round, type Figure } from './report.ts';
import type { BenchImage } from './images.ts';
import { complete, createUpload, jobFinished, memoryStatus, putBytes, readyByLog, resetPeak, sampleRss, startBenchServer, type BenchServer } from './server-process.ts';
import { sleep } from './stats.ts';

const TARGET_MB = 250;

export async function memoryBenchmark(image: BenchImage, clients: number) {
  const server = await startBenchServer({});
  try {
    // Let start-up settle, touch the HTTP stack once, settle again.
    await sleep(1000);
    await api(server, 'GET', '/healthz');
    await sleep(500);
    const idle = memoryStatus(server.pid);

    const uploads = await Promise.all(Array.from({ length: clients }, (_, i) => createUpload(server, server.token(`mem-${i}`), image.bytes, image.mime)));
    const beforePut = memoryStatus(server.pid);

    const canReset = resetPeak(server.pid);
    let stopSampling = sampleRss(server.pid);
    const putStart = performance.now();
    await Promise.all(uploads.map((upload) => putBytes(upload, image.bytes)));
    const putMs = performance.now() - putStart;
    const putSampled = stopSampling();
    const duringPut = memoryStatus(server.pid);
    const peakPut = canReset ? Math.max(duringPut.hwmMb, putSampled.maxRssMb) : putSampled.maxRssMb;

    if (canReset) resetPeak(server.pid);
    stopSampling = sampleRss(server.pid);
    const processStart = performance.now();
    await Promise.all(uploads.map((upload) => complete(server, upload)));
    // Readiness from the jobs' log lines (then checked over HTTP), so no polling adds to the load.
    await readyByLog(server, uploads);
    const processMs = performance.now() - processStart;
    const processSampled = stopSampling();
    const afterProcess = memoryStatus(server.pid);
    const peakProcess = canReset ? Math.max(afterProcess.hwmMb, processSampled.maxRssMb) : processSampled.maxRssMb;

    const bodiesMb = (clients * image.bytes.length) / 1e6;
    const reference = { label: 'idle RSS after start', value: round(idle.rssMb), unit: 'MB' };
    const figures: Figure[] = [
      figure({
        id: 'peak_rss_uploads_mb',
        label: `peak RSS, ${clients} concurrent PUTs of ${(image.bytes.length / 1048576).toFixed(2)} MiB`,
        value: round(peakPut),
        unit: 'MB',
        reference,
        target: `< ${TARGET_MB} MB`,
        ok: peakPut < TARGET_MB,
        note:
          `${round(peakPut - idle.rssMb)} MB above idle for ${round(bodiesMb)} MB of bodies in flight` +
          (peakPut - idle.rssMb > bodiesMb * 0.8 ? ' — as much as the bodies: they are being held in memory, not streamed' : '') +
          `; all ${clients} PUTs took ${round(putMs)} ms (${round(bodiesMb / (putMs / 1000))} MB/s)`,
      }),
      figure({
        id: 'peak_rss_processing_mb',
        label: `peak RSS, processing those ${clients} (job concurrency ${availableParallelism()})`,
        value: round(peakProcess),
        unit: 'MB',
        reference,
        note: `complete all → all ready in ${round(processMs)} ms; RSS afterwards ${round(afterProcess.rssMb)} MB`,
      }),
    ];
    const notes = [
      `peaks are VmHWM from /proc/<pid>/status${canReset ? ', reset to the current RSS (clear_refs 5) before each phase' : ' (could not reset: sampled VmRSS only)'}, ` +
        `and never below the largest VmRSS sample (every 5 ms: ${putSampled.samples} during PUTs, ${processSampled.samples} during processing); MB = 10^6 bytes`,
      `startup peak (VmHWM at idle) ${round(idle.hwmMb)} MB; RSS after creating the uploads ${round(beforePut.rssMb)} MB; ` +
        `during the PUTs ${round((peakPut - idle.rssMb) / clients, 2)} MB per upload in flight above idle (a body is ${round(image.bytes.length / 1e6, 2)} MB)`,
    ];
    return {
      figures,
      notes,
      details: {
        image: { description: image.description, bytes: image.bytes.length },
        clients,
        job_concurrency: availableParallelism(),
        hwm_reset: canReset,
        idle_rss_mb: round(idle.rssMb),
        startup_hwm_mb: round(idle.hwmMb),
        rss_before_put_mb: round(beforePut.rssMb),
        peak_rss_put_mb: round(peakPut),
        sampled_max_rss_put_mb: round(putSampled.maxRssMb),
        put_ms: round(putMs),
        peak_rss_processing_mb: round(peakProcess),
        sampled_max_rss_processing_mb: round(processSampled.maxRssMb),
        processing_ms: round(processMs),
        rss_after_processing_mb: round(afterProcess.rssMb),
      },
    };
  } finally {
    await server.stop();
  }
}

/** A multipart/form-data body as a browser or `curl -F avatar=@photo.jpg` sends it, built once and shared by every client. */
function multipartBody(image: BenchImage, boundary: string): Buffer {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="photo.jpg"\r\nContent-Type: ${image.mime}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), image.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}

/** Answers /healthz one request after another until stopped; returns every latency (ms). */
function probeHealth(server: BenchServer): () => Promise<number[]> {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - start);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return latencies;
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

interface DirectUploadRun {
  idleMb: number;
  peakMb: number;
  uploadMs: number;
  health: number[];
}

/** `clients` one-request uploads at once (POST /v1/users/me/avatar) on a fresh server, with /healthz probed throughout. */
async function directUploadRun(image: BenchImage, clients: number, kind: 'raw' | 'multipart'): Promise<DirectUploadRun> {
  // One job at a time: processing starts as each upload arrives, and this measures what the uploads cost.
  const server = await startBenchServer({ AVATAR_JOB_CONCURRENCY: '1' });
  try {
    await sleep(1000);
    await api(server, 'GET', '/healthz');
    await sleep(500);
    const idle = memoryStatus(server.pid);
    const boundary = 'benchBoundary0123456789';
    const body = kind === 'raw' ? image.bytes : multipartBody(image, boundary);
    const contentType = kind === 'raw' ? image.mime : `multipart/form-data; boundary=${boundary}`;
    const view = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
    const tokens = Array.from({ length: clients }, (_, i) => server.token(`direct-${kind}-${i}`));

    const canReset = resetPeak(server.pid);
    const stopSampling = sampleRss(server.pid);
    const stopProbe = probeHealth(server);
    const start = performance.now();
    const fileIds = await Promise.all(
      tokens.map(async (token) => {
        const res = await fetch(`${server.url}/v1/users/me/avatar`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: view });
        const text = await res.text();
        if (res.status !== 202) throw new Error(`${kind} upload: ${res.status} ${text}`);
        return (JSON.parse(text) as { file_id: string }).file_id;
      }),
    );
    const uploadMs = performance.now() - start;
    const health = await stopProbe();
    const sampled = stopSampling();
    const status = memoryStatus(server.pid);
    // Let processing finish before the server stops (its jobs are not what is measured here).
    await Promise.all(fileIds.map((id) => server.waitForLine(jobFinished(id))));
    return { idleMb: idle.rssMb, peakMb: canReset ? Math.max(status.hwmMb, sampled.maxRssMb) : sampled.maxRssMb, uploadMs, health };
  } finally {
    await server.stop();
  }
}

/**
 * Issue 13: peak RSS and /healthz latency while `clients` one-request uploads of ~5 MiB arrive at once, as
 * multipart/form-data, next to the same load as raw image bodies (the reference, measured in the same run).
 */
export async function directUploadMemoryBenchmark(image: BenchImage, clients: number) {
  const raw = await directUploadRun(image, clients, 'raw');
  const multipart = await directUploadRun(image, clients, 'multipart');
  const mib = (image.bytes.length / 1048576).toFixed(2);
  const rawMax = Math.max(...raw.health);
  const multipartMax = Math.max(...multipart.health);
  const figures: Figure[] = [
    figure({
      id: 'peak_rss_direct_multipart_mb',
      label: `peak RSS, ${clients} concurrent multipart POST /v1/users/me/avatar of ${mib} MiB`,
      value: round(multipart.peakMb),
      unit: 'MB',
      reference: { label: `same load as raw image bodies`, value: round(raw.peakMb), unit: 'MB' },
      target: `< ${TARGET_MB} MB`,
      ok: multipart.peakMb < TARGET_MB,
      note: `${round(multipart.peakMb - multipart.idleMb)} MB above idle (raw: ${round(raw.peakMb - raw.idleMb)} MB); all uploads answered in ${round(multipart.uploadMs)} ms (raw: ${round(raw.uploadMs)} ms)`,
    }),
    figure({
      id: 'healthz_max_during_direct_multipart_ms',
      label: `slowest /healthz during those ${clients} multipart uploads`,
      value: round(multipartMax),
      unit: 'ms',
      reference: { label: 'same during the raw uploads', value: round(rawMax), unit: 'ms' },
      note: `p50 ${round(percentile(multipart.health, 50), 2)} ms, p95 ${round(percentile(multipart.health, 95), 2)} ms over ${multipart.health.length} probes (raw: p50 ${round(percentile(raw.health, 50), 2)}, p95 ${round(percentile(raw.health, 95), 2)} ms over ${raw.health.length})`,
    }),
  ];
  const summary = (run: DirectUploadRun) => ({
    idle_rss_mb: round(run.idleMb),
    peak_rss_mb: round(run.peakMb),
    upload_ms: round(run.uploadMs),
    healthz_ms: { n: run.health.length, p50: round(percentile(run.health, 50), 2), p95: round(percentile(run.health, 95), 2), max: round(Math.max(...run.health), 2) },
  });
  return {
    figures,
    notes: [
      'one-request uploads: each case on a fresh server with AVATAR_JOB_CONCURRENCY=1 (processing starts as uploads arrive, ' +
        'one image at a time, in both cases alike); peak RSS from the first request to the last 202; /healthz probed one request at a time throughout',
    ],
    details: { clients, raw: summary(raw), multipart: summary(multipart) },
  };
}
