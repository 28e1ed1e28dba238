// The server benchmarks (SPEC §7, issue 3): latency to ready, images/s, peak memory under concurrent uploads.
// In-process references are measured while no server process is busy.
import sharp from 'sharp';
import { noiseJpegUpTo, photoJpeg12mp, photoWebp1600 } from './images.ts';
import type { BenchModule, SectionResult } from './report.ts';
import { latencyBenchmark } from './server-latency.ts';
import { directUploadMemoryBenchmark, memoryBenchmark } from './server-memory.ts';
import { throughputBenchmark } from './server-throughput.ts';
import { widgetUploadBenchmark } from './widget-upload.ts';
import { CROPPED_MAX, FLOOR_SIZE, webpFor } from './server-work.ts';
import { MiB } from './stats.ts';

const LATENCY_RUNS = 7;
const THROUGHPUT_IMAGES = 8;
const MEMORY_CLIENTS = 20;
/** Issue 13 measured 30 concurrent 5 MiB multipart uploads. */
const DIRECT_UPLOAD_CLIENTS = 30;
/** The server's default AVATAR_MAX_AVATAR_BYTES; the memory test's bodies stay within it. */
const DEFAULT_MAX_AVATAR_BYTES = 5 * MiB;

function log(line: string) {
  process.stderr.write(`[bench] ${line}\n`);
}

export const serverBench: BenchModule = {
  name: 'server',
  async run(): Promise<SectionResult> {
    log('generating images');
    const jpeg = await photoJpeg12mp();
    const webp = await photoWebp1600();
    const noise = await noiseJpegUpTo(DEFAULT_MAX_AVATAR_BYTES);
    const largest = Math.max(jpeg.bytes.length, webp.bytes.length);
    // Only raised if the photo-like inputs outgrow the default limit; the memory test keeps the default.
    const env: Record<string, string> = largest > DEFAULT_MAX_AVATAR_BYTES ? { AVATAR_MAX_AVATAR_BYTES: String(largest) } : {};

    log(`latency: ${LATENCY_RUNS} runs each of ${jpeg.description} and ${webp.description}`);
    const latency = await latencyBenchmark([jpeg, webp], LATENCY_RUNS, env);
    log(`throughput: ${THROUGHPUT_IMAGES} × ${jpeg.description} at job concurrency 1 and 2`);
    const throughput = await throughputBenchmark(jpeg, THROUGHPUT_IMAGES, env);
    log(`widget-like upload: ${LATENCY_RUNS} runs, served as uploaded and encoded again`);
    const widget = await widgetUploadBenchmark(LATENCY_RUNS);
    log(`memory: ${MEMORY_CLIENTS} concurrent PUTs of ${noise.description} (${noise.bytes.length} bytes)`);
    const memory = await memoryBenchmark(noise, MEMORY_CLIENTS);
    log(`memory: ${DIRECT_UPLOAD_CLIENTS} concurrent one-request uploads, raw then multipart`);
    const direct = await directUploadMemoryBenchmark(noise, DIRECT_UPLOAD_CLIENTS);

    return {
      name: 'server',
      figures: [...latency.figures, ...widget.figures, ...throughput.figures, ...memory.figures, ...direct.figures],
      notes: [
        `inputs: ${jpeg.description} ${jpeg.bytes.length} bytes; ${webp.description} ${webp.bytes.length} bytes; ${noise.description} ${noise.bytes.length} bytes`,
        ...latency.notes,
        ...widget.notes,
        ...throughput.notes,
        ...memory.notes,
        ...direct.notes,
      ],
      details: {
        webp_options: { floor: webpFor(FLOOR_SIZE), cropped: webpFor(CROPPED_MAX), '512': webpFor(512), '64': webpFor(64) },
        sharp: { version: sharp.versions.sharp, vips: sharp.versions.vips, concurrency: sharp.concurrency() },
        latency: latency.details,
        widget_upload: widget.details,
        throughput: throughput.details,
        memory: memory.details,
        direct_uploads: direct.details,
      },
    };
  },
};
