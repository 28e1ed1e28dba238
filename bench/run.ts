// `npm run bench`: runs every benchmark module, prints one table (each figure next to a reference measured in
// the same run) and then one JSON object with every figure, also written to .bench/results.json.
// Benchmarks are not tests: nothing here fails the process for a missed target.
// A browser module (widget size, client processing, main-thread blocking) is added by listing it in MODULES.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compactJson, formatTable, toJson, type BenchModule, type SectionResult } from './report.ts';
import { avatarPageBench } from './avatar-page.ts';
import { browserBench } from './browser.ts';
import { cartoonBench } from './cartoon.ts';
import { cartoonPreviewBench } from './cartoon-preview.ts';
import { defaultCropBench } from './default-crop.ts';
import { fairnessBench } from './fairness.ts';
import { limitsBench } from './limits.ts';
import { mediaFormatsBench } from './media-formats.ts';
import { scaleOutBench } from './scale-out.ts';
import { serverBench } from './server.ts';
import { servingBench } from './serving.ts';
import { webhooksBench } from './webhooks.ts';

const MODULES: BenchModule[] = [serverBench, cartoonBench, cartoonPreviewBench, defaultCropBench, servingBench, webhooksBench, fairnessBench, scaleOutBench, limitsBench, mediaFormatsBench, avatarPageBench, browserBench];
/** BENCH_ONLY=serving (or a comma-separated list of module names) runs only those modules. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);

/** Busy CPU ticks of the whole machine, and of this process plus its reaped children (the servers). Linux only. */
function cpuTicks(): { machine: number; ours: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    const machine = fields.reduce((a, b) => a + b, 0) - idle;
    // Fields after "(comm)": state is field 3, utime/stime/cutime/cstime are fields 14–17.
    const self = readFileSync('/proc/self/stat', 'utf8');
    const after = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    const ours = after[11]! + after[12]! + after[13]! + after[14]!;
    return { machine, ours };
  } catch {
    return null;
  }
}

/** Average number of cores other processes kept busy between two cpuTicks() readings `ms` apart. */
function otherCores(a: ReturnType<typeof cpuTicks>, b: ReturnType<typeof cpuTicks>, ms: number): number | null {
  if (!a || !b) return null;
  const ticksPerSecond = 100; // USER_HZ
  const others = b.machine - a.machine - (b.ours - a.ours);
  return Math.max(0, Math.round((others / ticksPerSecond / (ms / 1000)) * 100) / 100);
}

async function idleCheck(): Promise<number | null> {
  const a = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return otherCores(a, cpuTicks(), 1000);
}

async function main() {
  const started = performance.now();
  const loadBefore = loadavg();
  const busyBefore = await idleCheck();
  const ticksAtStart = cpuTicks();
  const measuringFrom = performance.now();
  const sections: SectionResult[] = [];
  const modules = ONLY?.length ? MODULES.filter((m) => ONLY.includes(m.name)) : MODULES;
  if (ONLY?.length && modules.length !== ONLY.length) throw new Error(`BENCH_ONLY=${ONLY.join(',')}: modules are ${MODULES.map((m) => m.name).join(', ')}`);
  for (const module of modules) {
    const moduleStart = performance.now();
    sections.push(await module.run());
    process.stderr.write(`[bench] ${module.name} done in ${((performance.now() - moduleStart) / 1000).toFixed(1)} s\n`);
  }
  const busyDuring = otherCores(ticksAtStart, cpuTicks(), performance.now() - measuringFrom);
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memory_gb: Math.round(totalmem() / 1e8) / 10,
    // Other processes on the machine skew every figure: CPU they kept busy just before and after, and the load average.
    // Average cores other processes kept busy: in the second before, and during the whole benchmark.
    cores_busy_with_other_processes: { before: busyBefore, during: busyDuring },
    load_average_1m: { before: Math.round(loadBefore[0]! * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 },
    duration_s: Math.round((performance.now() - started) / 100) / 10,
  };
  const json = toJson(sections, meta);
  console.log(formatTable(sections));
  console.log(
    `machine: ${meta.cores} cores; busy with other processes: ${busyBefore ?? '?'} cores just before, ${busyDuring ?? '?'} on average during the run; ` +
      `load average (1 min) ${meta.load_average_1m.before} before, ${meta.load_average_1m.after} after; ${meta.duration_s} s`,
  );
  if ((busyBefore ?? 0) > 0.2 || (busyDuring ?? 0) > 0.2) {
    console.log('WARNING: other processes were using the CPU; every figure (and the parallel ones most) is skewed. Re-run on an idle machine.');
  }
  console.log('');
  console.log(compactJson(json));
  const dir = fileURLToPath(new URL('../.bench/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}results.json`, `${compactJson(json)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
