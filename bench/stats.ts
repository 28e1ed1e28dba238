// Small numeric helpers shared by the benchmarks.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
  samples: number[];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export function summarise(values: number[]): Summary {
  return {
    n: values.length,
    median: r2(median(values)),
    min: r2(Math.min(...values)),
    max: r2(Math.max(...values)),
    mean: r2(values.reduce((a, b) => a + b, 0) / values.length),
    samples: values.map(r2),
  };
}

/** Milliseconds taken by `work`. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const MiB = 1024 * 1024;
