// Peak RSS of a real server process while 20 clients PUT ~5 MiB each at once through the presigned URL, and
// while it then processes all 20; the reference is the same process's idle RSS just before.
import { availableParallelism } from 'node:os';
import { api } from '../test/helpers/server.ts';
import { figure, round, type Figure } from './report.ts';
import type { BenchImage } from './images.ts';
import { complete, createUpload, memoryStatus, putBytes, readyByLog, resetPeak, sampleRss, startBenchServer } from './server-process.ts';
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
