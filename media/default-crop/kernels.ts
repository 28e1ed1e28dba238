// The arithmetic of tflite-runner.ts: float32 NHWC loops over plain typed arrays and sizes, each written for the
// one shape of work it gets (so the engine compiles each to tight, monomorphic code). Every value is summed in
// the same order, in double, and rounded to float32 at the same steps as when each operator was a pass of its
// own, so fusing them (a convolution with the addition and ReLU after it) changes no output, not even its bits.

/** No residual input: an empty array, so the kernels always see a Float32Array. */
export const NONE = new Float32Array(0);

/**
 * ReLU without a branch: a comparison's branch is mispredicted about half the time on activations, which made
 * ReLU passes cost five times a copy. Exact for finite values: v + |v| is 2v or +0, and halving is exact.
 */
const positivePart = (v: number) => (v + Math.abs(v)) * 0.5;

/**
 * After a convolution has stored `rows` pixels of `outC` values from `at`: adds the residual branch's values
 * (its `resC` ≤ outC channels, the rest being the zeros a channel PAD adds) and applies ReLU. Each value was
 * already rounded to float32 when stored, as TensorFlow Lite's ADD reads it; the sum is rounded when stored
 * again, and ReLU commutes with that rounding.
 */
function finish(out: Float32Array, at: number, rows: number, outC: number, residual: Float32Array, resAt: number, resC: number, relu: boolean) {
  for (let r = 0; r < rows; r++, at += outC, resAt += resC) {
    for (let c = 0; c < resC; c++) out[at + c] = out[at + c]! + residual[resAt + c]!;
    if (relu) for (let c = 0; c < outC; c++) out[at + c] = positivePart(out[at + c]!);
  }
}

/** A convolution's geometry: NHWC sizes, the kernel's, strides and where SAME padding starts the windows. */
export interface Geometry {
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** Where a convolution reads its input: zero-padded so every window is inside (see padInput). */
export interface Source {
  data: Float32Array;
  /** Values from one input row to the next. */
  rowStride: number;
  /** Values from one window to the next along a row, and from one row of windows to the next. */
  xStride: number;
  yStride: number;
  /** Each window is kH runs of `run` values (kW pixels × channels), rowStride apart. */
  kH: number;
  run: number;
}

/**
 * out[p][c] = Σk window(p)[k] · weights[c][k] + bias[c] for every output pixel p (then `finish`): the network's
 * bulk of work, for 1×1 convolutions (a window is one pixel's channels) and larger ones alike (a window is kH
 * runs of the padded input, summed in the weights' [ky][kx][in] order, as one long dot product would be).
 * Three pixels by four output channels at a time, so each value read takes part in several products and the
 * twelve sums stay in registers (measured: 10% faster than two by four; four by four runs out of registers).
 */
export function convolve(
  src: Source,
  weights: Float32Array,
  bias: Float32Array,
  out: Float32Array,
  outW: number,
  pixels: number,
  outC: number,
  residual: Float32Array,
  resC: number,
  relu: boolean,
) {
  const { data: input, rowStride, xStride, yStride, kH, run } = src;
  const size = kH * run;
  const epilogue = resC > 0 || relu;
  let p = 0;
  for (; p + 2 < pixels; p += 3) {
    const a = windowStart(p, outW, xStride, yStride);
    const b = windowStart(p + 1, outW, xStride, yStride);
    const d = windowStart(p + 2, outW, xStride, yStride);
    const to = p * outC;
    let c = 0;
    for (; c + 3 < outC; c += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, d0 = 0, d1 = 0, d2 = 0, d3 = 0; // prettier-ignore
      for (let ky = 0; ky < kH; ky++) {
        const w0 = c * size + ky * run;
        const w1 = w0 + size;
        const w2 = w1 + size;
        const w3 = w2 + size;
        const row = ky * rowStride;
        const ra = a + row;
        const rb = b + row;
        const rd = d + row;
        for (let k = 0; k < run; k++) {
          const k0 = weights[w0 + k]!;
          const k1 = weights[w1 + k]!;
          const k2 = weights[w2 + k]!;
          const k3 = weights[w3 + k]!;
          const va = input[ra + k]!;
          a0 += va * k0;
          a1 += va * k1;
          a2 += va * k2;
          a3 += va * k3;
          const vb = input[rb + k]!;
          b0 += vb * k0;
          b1 += vb * k1;
          b2 += vb * k2;
          b3 += vb * k3;
          const vd = input[rd + k]!;
          d0 += vd * k0;
          d1 += vd * k1;
          d2 += vd * k2;
          d3 += vd * k3;
        }
      }
      const bias0 = bias[c]!;
      const bias1 = bias[c + 1]!;
      const bias2 = bias[c + 2]!;
      const bias3 = bias[c + 3]!;
      let t = to + c;
      out[t] = a0 + bias0;
      out[t + 1] = a1 + bias1;
      out[t + 2] = a2 + bias2;
      out[t + 3] = a3 + bias3;
      t += outC;
      out[t] = b0 + bias0;
      out[t + 1] = b1 + bias1;
      out[t + 2] = b2 + bias2;
      out[t + 3] = b3 + bias3;
      t += outC;
      out[t] = d0 + bias0;
      out[t + 1] = d1 + bias1;
      out[t + 2] = d2 + bias2;
      out[t + 3] = d3 + bias3;
    }
    for (; c < outC; c++) {
      out[to + c] = dot(src, a, weights, c * size) + bias[c]!;
      out[to + outC + c] = dot(src, b, weights, c * size) + bias[c]!;
      out[to + 2 * outC + c] = dot(src, d, weights, c * size) + bias[c]!;
    }
    if (epilogue) finish(out, to, 3, outC, residual, p * resC, resC, relu);
  }
  for (; p < pixels; p++) {
    const from = windowStart(p, outW, xStride, yStride);
    for (let c = 0; c < outC; c++) out[p * outC + c] = dot(src, from, weights, c * size) + bias[c]!;
    if (epilogue) finish(out, p * outC, 1, outC, residual, p * resC, resC, relu);
  }
}

/** Where output pixel p's window starts in the (padded) input. A function of its own, not a closure made per call:
 * a fresh closure each call made the compiled code bail out on the next call ("wrong call target"). */
function windowStart(p: number, outW: number, xStride: number, yStride: number): number {
  return Math.floor(p / outW) * yStride + (p % outW) * xStride;
}

/** One window (from `at`) times one output channel's weights (from `w`), summed in the same order. */
function dot(src: Source, at: number, weights: Float32Array, w: number): number {
  const { data: input, rowStride, kH, run } = src;
  let sum = 0;
  for (let ky = 0, x = at; ky < kH; ky++, x += rowStride, w += run) for (let k = 0; k < run; k++) sum += input[x + k]! * weights[w + k]!;
  return sum;
}

/**
 * Copies an NHWC input into `padded`, whose zero border (set once, never written) is the SAME padding of a
 * convolution of geometry `g`: every window is then inside, and read as runs of kW pixels × channels.
 */
export function padInput(input: Float32Array, g: Geometry, padded: Float32Array, paddedW: number) {
  const { inH, inW, inC, padTop, padLeft } = g;
  const run = inW * inC;
  for (let y = 0; y < inH; y++) padded.set(input.subarray(y * run, (y + 1) * run), ((y + padTop) * paddedW + padLeft) * inC);
}

/**
 * Depthwise convolution (depth multiplier 1), any kernel. 3×3 windows wholly inside the input are summed at once
 * in double: at stride 1 one channel at a time along a row, so its nine weights stay in registers and each step
 * reads one new column of three values; at other strides two neighbours at a time, sharing the weights' reads.
 * The others (at the edges) tap by tap, each partial sum rounded to float32 as it is stored: the same bits as
 * before any of this was made faster.
 */
export function depthwise(input: Float32Array, weights: Float32Array, bias: Float32Array, out: Float32Array, g: Geometry) {
  const { inH, inW, inC: channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const c1 = channels;
  const c2 = 2 * channels;
  const next = strideW * channels;
  const rowStride = inW * channels;
  for (let y = 0; y < outH; y++) {
    const top = y * strideH - padTop;
    const rowsInside = kH === 3 && kW === 3 && top >= 0 && top + 3 <= inH;
    if (rowsInside && strideW === 1) {
      // Windows inside for x in [from, to); the edges tap by tap.
      const from = Math.min(outW, padLeft);
      const to = Math.max(from, Math.min(outW, inW - 2 + padLeft));
      for (let x = 0; x < from; x++) tapByTap(input, weights, bias, out, g, x, y);
      for (let x = to; x < outW; x++) tapByTap(input, weights, bias, out, g, x, y);
      if (to === from) continue;
      for (let c = 0; c < channels; c++) {
        const k0 = weights[c]!, k1 = weights[c1 + c]!, k2 = weights[c2 + c]!; // prettier-ignore
        const k3 = weights[3 * c1 + c]!, k4 = weights[4 * c1 + c]!, k5 = weights[5 * c1 + c]!; // prettier-ignore
        const k6 = weights[6 * c1 + c]!, k7 = weights[7 * c1 + c]!, k8 = weights[8 * c1 + c]!; // prettier-ignore
        const b = bias[c]!;
        let i = (top * inW + from - padLeft) * channels + c;
        let p0 = input[i]!, q0 = input[i + rowStride]!, s0 = input[i + 2 * rowStride]!; // prettier-ignore
        i += channels;
        let p1 = input[i]!, q1 = input[i + rowStride]!, s1 = input[i + 2 * rowStride]!; // prettier-ignore
        for (let x = from, o = (y * outW + from) * channels + c; x < to; x++, o += channels) {
          i += channels;
          const p2 = input[i]!, q2 = input[i + rowStride]!, s2 = input[i + 2 * rowStride]!; // prettier-ignore
          out[o] = b + p0 * k0 + p1 * k1 + p2 * k2 + q0 * k3 + q1 * k4 + q2 * k5 + s0 * k6 + s1 * k7 + s2 * k8;
          p0 = p1;
          p1 = p2;
          q0 = q1;
          q1 = q2;
          s0 = s1;
          s1 = s2;
        }
      }
      continue;
    }
    for (let x = 0; x < outW; x++) {
      const at = (y * outW + x) * channels;
      const left = x * strideW - padLeft;
      if (!rowsInside || left < 0 || left + 3 > inW) {
        tapByTap(input, weights, bias, out, g, x, y);
        continue;
      }
      const r0 = (top * inW + left) * channels;
      const r1 = r0 + rowStride;
      const r2 = r1 + rowStride;
      const pair = x + 1 < outW && left + strideW + 3 <= inW;
      for (let c = 0; c < channels; c++) {
        const k0 = weights[c]!, k1 = weights[c1 + c]!, k2 = weights[c2 + c]!; // prettier-ignore
        const k3 = weights[3 * c1 + c]!, k4 = weights[4 * c1 + c]!, k5 = weights[5 * c1 + c]!; // prettier-ignore
        const k6 = weights[6 * c1 + c]!, k7 = weights[7 * c1 + c]!, k8 = weights[8 * c1 + c]!; // prettier-ignore
        const b = bias[c]!;
        out[at + c] =
          b +
          input[r0 + c]! * k0 + input[r0 + c1 + c]! * k1 + input[r0 + c2 + c]! * k2 +
          input[r1 + c]! * k3 + input[r1 + c1 + c]! * k4 + input[r1 + c2 + c]! * k5 +
          input[r2 + c]! * k6 + input[r2 + c1 + c]! * k7 + input[r2 + c2 + c]! * k8; // prettier-ignore
        if (!pair) continue;
        const s0 = r0 + next + c, s1 = r1 + next + c, s2 = r2 + next + c; // prettier-ignore
        out[at + c1 + c] =
          b +
          input[s0]! * k0 + input[s0 + c1]! * k1 + input[s0 + c2]! * k2 +
          input[s1]! * k3 + input[s1 + c1]! * k4 + input[s1 + c2]! * k5 +
          input[s2]! * k6 + input[s2 + c1]! * k7 + input[s2 + c2]! * k8; // prettier-ignore
      }
      if (pair) x++;
    }
  }
}

/** One output pixel of a depthwise convolution, tap by tap (windows reaching past the edge, other kernels). */
function tapByTap(input: Float32Array, weights: Float32Array, bias: Float32Array, out: Float32Array, g: Geometry, x: number, y: number) {
  const { inH, inW, inC: channels, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const at = (y * outW + x) * channels;
  const top = y * strideH - padTop;
  const left = x * strideW - padLeft;
  for (let c = 0; c < channels; c++) out[at + c] = bias[c]!;
  for (let ky = 0; ky < kH; ky++) {
    const iy = top + ky;
    if (iy < 0 || iy >= inH) continue;
    for (let kx = 0; kx < kW; kx++) {
      const ix = left + kx;
      if (ix < 0 || ix >= inW) continue;
      const from = (iy * inW + ix) * channels;
      const w = (ky * kW + kx) * channels;
      for (let c = 0; c < channels; c++) out[at + c]! += input[from + c]! * weights[w + c]!;
    }
  }
}

/**
 * The larger of two float32 values ≥ 0 without a branch (see positivePart): exact once stored as float32, the
 * double arithmetic's error being far below half a float32 step. Not for values of opposite signs: (1e-10, -1)
 * is not exact.
 */
const maxOfNonNegative = (a: number, b: number) => (a + b + Math.abs(a - b)) * 0.5;

/**
 * Max pooling, any window; windows reaching past the edge take the maximum of what is inside. An input known to
 * be ≥ 0 (a ReLU's output) pooled 2×2 at stride 2 and inside takes the branchless path: a comparison of
 * activations is mispredicted about half the time.
 */
export function maxPool(input: Float32Array, out: Float32Array, g: Geometry, nonNegative: boolean) {
  const { inH, inW, inC: channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  if (nonNegative && kH === 2 && kW === 2 && strideH === 2 && strideW === 2 && padTop === 0 && padLeft === 0 && 2 * outH <= inH && 2 * outW <= inW) {
    const row = inW * channels;
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        const at = (y * outW + x) * channels;
        const from = (2 * y * inW + 2 * x) * channels;
        for (let c = 0; c < channels; c++) {
          const i = from + c;
          out[at + c] = maxOfNonNegative(maxOfNonNegative(input[i]!, input[i + channels]!), maxOfNonNegative(input[i + row]!, input[i + row + channels]!));
        }
      }
    }
    return;
  }
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const at = (y * outW + x) * channels;
      for (let c = 0; c < channels; c++) out[at + c] = -Infinity;
      for (let ky = 0; ky < kH; ky++) {
        const iy = y * strideH + ky - padTop;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kW; kx++) {
          const ix = x * strideW + kx - padLeft;
          if (ix < 0 || ix >= inW) continue;
          const from = (iy * inW + ix) * channels;
          for (let c = 0; c < channels; c++) {
            const v = input[from + c]!;
            if (v > out[at + c]!) out[at + c] = v;
          }
        }
      }
    }
  }
}

/** ReLU (activation 1) or ReLU6 (activation 3) in place. */
export function activate(data: Float32Array, activation: number) {
  if (activation === 1) {
    for (let i = 0; i < data.length; i++) data[i] = positivePart(data[i]!);
  } else if (activation === 3) {
    for (let i = 0; i < data.length; i++) data[i] = Math.min(6, Math.max(0, data[i]!));
  }
}

export function add(a: Float32Array, b: Float32Array, out: Float32Array) {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
}

export function relu(input: Float32Array, out: Float32Array) {
  for (let i = 0; i < out.length; i++) out[i] = positivePart(input[i]!);
}

/**
 * Runs every kernel, down every path, on tiny inputs, many times (~8 ms): JavaScript engines compile a loop once
 * it has run a while, and compile it again when a path it never took comes up. The network's first run on its own
 * (large layers, each kernel's other paths first met deep in one) spent most of its time in the interpreter:
 * ~80 ms in Node against ~45 ms after this. Every runner does it when it is made, so a first run without a
 * warm-up (BlazeFace.warmUp) gains too.
 */
export function primeKernels(rounds = 60) {
  const values = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7) % 11) / 5 - 1);
  const [input, weights, residual, out] = [values(7 * 5 * 4), values(6 * 9 * 4), values(7 * 5 * 4), new Float32Array(7 * 5 * 6)];
  const bias = values(6);
  const pointwiseSource: Source = { data: input, rowStride: 0, xStride: 4, yStride: 7 * 4, kH: 1, run: 4 };
  const windowSource: Source = { data: input, rowStride: 7 * 4, xStride: 2 * 4, yStride: 2 * 7 * 4, kH: 3, run: 3 * 4 };
  const geometry = (stride: number, pad: number, kernel = 3): Geometry => {
    const outH = Math.floor((5 + 2 * pad - kernel) / stride) + 1;
    const outW = Math.floor((7 + 2 * pad - kernel) / stride) + 1;
    return { inH: 5, inW: 7, inC: 4, outH, outW, outC: 4, kH: kernel, kW: kernel, strideH: stride, strideW: stride, padTop: pad, padLeft: pad };
  };
  const [same, strided, pool] = [geometry(1, 1), geometry(2, 0), geometry(2, 0, 2)];
  for (let round = 0; round < rounds; round++) {
    convolve(pointwiseSource, weights, bias, out, 7, 35, 6, residual, 4, true);
    convolve(pointwiseSource, weights, bias, out, 7, 35, 6, NONE, 0, false);
    convolve(windowSource, weights, bias, out, 3, 6, 6, NONE, 0, true);
    depthwise(input, weights, bias, out, same);
    depthwise(input, weights, bias, out, strided);
    maxPool(input, out, pool, true);
    maxPool(input, out, pool, false);
    activate(out, 1);
  }
}
