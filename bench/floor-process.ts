// The throughput floor in a process of its own (issue 19 #9: "in another process in the same run"), as the server
// is one: `node --import tsx bench/floor-process.ts IMAGE_FILE MIME WIDTH HEIGHT COUNT PARALLEL [WORK]` decodes the
// image and makes one 1600 px WebP of it (server-work.ts floor()), COUNT times, PARALLEL at once, after one warm-up,
// with libvips' cache off as in the server, and prints {"images_per_s"} as one JSON line. WORK `pipeline`: the
// server's own image work instead (probe, one decode, every variant: server-work.ts pipeline()), to tell how much
// of the gap to the floor is that work and how much the rest of the server (bench/server-throughput.ts).
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { floor, pipeline, type Input } from './server-work.ts';

const [file, mime, width, height, count, parallel, work = 'floor'] = process.argv.slice(2);
if (!file || !mime || !width || !height || !count || !parallel || !['floor', 'pipeline'].includes(work)) {
  console.error('usage: floor-process.ts IMAGE_FILE MIME WIDTH HEIGHT COUNT PARALLEL [floor|pipeline]');
  process.exit(2);
}
sharp.cache(false);
const input: Input = { bytes: readFileSync(file), mime, width: Number(width), height: Number(height) };
const total = Number(count);
const once = work === 'pipeline' ? pipeline : floor;
await once(input);
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: Number(parallel) }, async () => {
    while (next < total) {
      next++;
      await once(input);
    }
  }),
);
console.log(JSON.stringify({ images_per_s: (total * 1000) / (performance.now() - start) }));
