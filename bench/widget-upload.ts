// complete → ready for what the widget uploads (issue 18 §3, issue 19 #9): a 1600×1600 WebP cropped whole, which
// the server serves as it is as its 1600 px (and cropped) variant. Next to it, in the same run and in rotating
// order: the same bytes with a crop 1 px smaller, which the server must encode again (what every upload cost
// before), and the floor for this input (decode + one 1600 px WebP, in-process). Readiness is learnt by long-poll.
import { api } from '../test/helpers/server.ts';
import { widgetWebp1600, type BenchImage } from './images.ts';
import { figure, round, type Figure } from './report.ts';
import { complete, createUpload, putBytes, startBenchServer, type BenchServer } from './server-process.ts';
import { floor } from './server-work.ts';
import { summarise, timed } from './stats.ts';

async function completeToReady(server: BenchServer, image: BenchImage, user: string, side: number): Promise<number> {
  const upload = await createUpload(server, server.token(user), image.bytes, image.mime, { x: 0, y: 0, w: side });
  await putBytes(upload, image.bytes);
  const start = performance.now();
  await complete(server, upload);
  for (;;) {
    const res = await api(server, 'GET', `/v1/files/${upload.fileId}?wait=30`, { token: upload.token });
    if (res.json?.processing_state === 'ready') return performance.now() - start;
    if (res.status !== 200 || res.json?.processing_state === 'failed') throw new Error(`file ${upload.fileId}: ${res.status} ${res.text}`);
  }
}

export async function widgetUploadBenchmark(runs: number): Promise<{ figures: Figure[]; notes: string[]; details: Record<string, unknown> }> {
  const image = await widgetWebp1600();
  const server = await startBenchServer({ AVATAR_JOB_CONCURRENCY: '1' });
  const samples: Record<'reused' | 'encoded' | 'floor', number[]> = { reused: [], encoded: [], floor: [] };
  try {
    const methods = {
      reused: (i: number) => completeToReady(server, image, `widget-${i}`, image.width),
      encoded: (i: number) => completeToReady(server, image, `widget-cut-${i}`, image.width - 1),
      floor: () => timed(() => floor({ bytes: image.bytes, mime: image.mime, width: image.width, height: image.height })),
    };
    const names = Object.keys(methods) as Array<keyof typeof methods>;
    for (const name of names) await methods[name](-1); // warm-up
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + run) % names.length]!;
        samples[name].push(await methods[name](run));
      }
    }
  } finally {
    await server.stop();
  }
  const [reused, encoded, floorMs] = [summarise(samples.reused), summarise(samples.encoded), summarise(samples.floor)];
  return {
    figures: [
      figure({
        id: 'e2e_widget1600_ms',
        label: `${image.description}: complete → ready, served as uploaded`,
        value: reused.median,
        unit: 'ms',
        reference: { label: 'same bytes cropped 1 px smaller, encoded again (same run)', value: encoded.median, unit: 'ms' },
        note: `median of ${runs}; the floor for this input (decode + one 1600 px WebP, in-process) ${round(floorMs.median)} ms; ${image.bytes.length} bytes uploaded`,
      }),
    ],
    notes: [`widget-like upload: ${image.description}, ${image.bytes.length} bytes, cropped whole (its 1600 and cropped variants are the upload itself)`],
    details: { runs, reused_ms: samples.reused.map((v) => round(v)), encoded_again_ms: samples.encoded.map((v) => round(v)), floor_ms: samples.floor.map((v) => round(v)) },
  };
}
