// The throughput floor in a process of its own (issue 19 #9: "in another process in the same run"), as the server
// is one: `node --import tsx bench/floor-process.ts IMAGE_FILE MIME WIDTH HEIGHT COUNT PARALLEL` decodes the image
// and makes one 1600 px WebP of it (server-work.ts floor()), COUNT times, PARALLEL at once, after one warm-up, with
// libvips' cache off as in the server, and prints {"images_per_s"} as one JSON line.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { floor, type Input } from './server-work.ts';

const [file, mime, width, height, count, parallel] = process.argv.slice(2);
if (!file || !mime || !width || !height || !count || !parallel) {
  console.error('usage: floor-process.ts IMAGE_FILE MIME WIDTH HEIGHT COUNT PARALLEL');
  process.exit(2);
}
sharp.cache(false);
const input: Input = { bytes: readFileSync(file), mime, width: Number(width), height: Number(height) };
const total = Number(count);
await floor(input);
let next = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: Number(parallel) }, async () => {
    while (next < total) {
      next++;
      await floor(input);
    }
  }),
);
console.log(JSON.stringify({ images_per_s: (total * 1000) / (performance.now() - start) }));
