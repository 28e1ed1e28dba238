// Cartoon (config) avatars (issue 10): POST /v1/users/me/avatar/config → 200 with every variant served, timed
// from the client over HTTP against the built server, next to its floor measured in the same run: sharp
// rasterizing the same SVG once at 1600 px plus one 1600 px WebP encode, in-process. The in-process pipeline
// (the same SVG → every variant) is shown too, so HTTP, database and storage costs can be told apart.
import sharp from 'sharp';
import { encoderSettings } from '../media/variants.ts';
import { CARTOON_DEFAULTS, type CartoonConfig } from '../server/avatars/cartoon/options.ts';
import { renderCartoonSvg } from '../server/avatars/cartoon/render.ts';
import { CARTOON_SIDE, renderSvgVariants } from '../server/images/pipeline.ts';
import { figure, round, type BenchModule, type SectionResult } from './report.ts';
import { startBenchServer } from './server-process.ts';
import { AVATAR_SIZES, LIMITS } from './server-work.ts';
import { summarise, timed } from './stats.ts';

const RUNS = Number(process.env.BENCH_CARTOON_RUNS ?? 9);
const TARGET_RATIO = 1.3;

/** The request of the system we replace, verbatim. */
const VERBATIM: CartoonConfig = {
  ...CARTOON_DEFAULTS,
  topType: 'LongHairMiaWallace', accessoriesType: 'Medal04', hairColor: 'Blonde', facialHairType: 'Blank',
  clotheType: 'ShirtVNeck', eyeType: 'StarStruck06', eyebrowType: 'UpDownNatural', mouthType: 'Default',
  skinColor: 'Tanned', clotheColor: 'Blue01', facialHairColor: 'Black', background: 'blank', frame: 'Blank',
};

function log(line: string) {
  process.stderr.write(`[bench] cartoon: ${line}\n`);
}

/** FLOOR: rasterize the SVG once at 1600 px and encode one 1600 px WebP with the pipeline's options. */
async function floor(svg: string): Promise<number> {
  const webp = await sharp(Buffer.from(svg)).webp(encoderSettings('avatar', 'webp', CARTOON_SIDE * CARTOON_SIDE)).toBuffer();
  return webp.length;
}

async function repeat(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  await work(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timed(work));
  return samples;
}

export const cartoonBench: BenchModule = {
  name: 'cartoon',
  async run(): Promise<SectionResult> {
    const svg = renderCartoonSvg(VERBATIM, CARTOON_SIDE);
    log(`floor and in-process pipeline, ${RUNS} runs each`);
    const floorMs = summarise(await repeat(RUNS, () => floor(svg)));
    const pipelineMs = summarise(await repeat(RUNS, () => renderSvgVariants(svg, AVATAR_SIZES, LIMITS)));
    const renderMs = summarise(await repeat(RUNS, async () => renderCartoonSvg(VERBATIM, CARTOON_SIDE)));

    log(`POST /v1/users/me/avatar/config, ${RUNS} runs`);
    const server = await startBenchServer({});
    let httpMs;
    try {
      const token = server.token('cartoon-bench');
      const post = async () => {
        const res = await fetch(`${server.url}/v1/users/me/avatar/config`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ data: VERBATIM }),
        });
        const body = (await res.json()) as { avatar?: { urls?: Record<string, string> } };
        if (res.status !== 200 || !body.avatar?.urls?.['1600']) throw new Error(`config request failed: ${res.status} ${JSON.stringify(body)}`);
      };
      httpMs = summarise(await repeat(RUNS, post));
    } finally {
      await server.stop();
    }

    const reference = { label: 'floor: rasterize the SVG at 1600 px + one 1600 px WebP', value: floorMs.median, unit: 'ms' };
    const ratio = httpMs.median / floorMs.median;
    return {
      name: 'cartoon',
      figures: [
        figure({
          id: 'cartoon_config_request_ms',
          label: 'cartoon: config request → 200, every variant served (median)',
          value: round(httpMs.median),
          unit: 'ms',
          reference: { ...reference, value: round(floorMs.median) },
          target: `≤ ${TARGET_RATIO}× floor`,
          ok: ratio <= TARGET_RATIO,
          note: `${RUNS} runs, min ${round(httpMs.min)} max ${round(httpMs.max)} ms; floor min ${round(floorMs.min)} max ${round(floorMs.max)} ms`,
        }),
        figure({
          id: 'cartoon_pipeline_ms',
          label: 'cartoon: in-process SVG → every variant (median)',
          value: round(pipelineMs.median),
          unit: 'ms',
          reference: { ...reference, value: round(floorMs.median) },
        }),
      ],
      notes: [
        `cartoon: drawing the SVG itself (options → markup) takes ${round(renderMs.median, 2)} ms; variants: cropped (= 1600, one encode shared), ${AVATAR_SIZES.join(', ')}; ` +
          `the SVG is ${Buffer.byteLength(svg)} bytes`,
      ],
      details: { runs: RUNS, floor_ms: floorMs, pipeline_ms: pipelineMs, svg_render_ms: renderMs, http_ms: httpMs },
    };
  },
};
