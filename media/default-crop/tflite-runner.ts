// Runs a TensorFlow Lite network (as compact-model.ts reads it) on the CPU, in plain TypeScript: the operators a
// BlazeFace-class network is made of (convolutions, depthwise convolutions, additions, ReLU, max pooling,
// channel padding, reshape, concatenation), float32, NHWC, batch 1. Small enough to ship in a lazily loaded
// chunk and to run the same way in a browser worker and in Node.
import type { TfliteModel, TfliteOperator } from './tflite-model.ts';

// Padding and ActivationFunctionType (schema.fbs).
const PADDING_SAME = 0;
const ACTIVATION_RELU = 1;
const ACTIVATION_RELU6 = 3;

type Shape = number[];

const sizeOf = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

function activate(data: Float32Array, activation = 0) {
  if (activation === ACTIVATION_RELU) for (let i = 0; i < data.length; i++) data[i] = Math.max(0, data[i]!);
  else if (activation === ACTIVATION_RELU6) for (let i = 0; i < data.length; i++) data[i] = Math.min(6, Math.max(0, data[i]!));
}

/** Where a strided window starts: TensorFlow's SAME padding puts the odd pixel at the bottom/right. */
function padBefore(padding: number, input: number, output: number, stride: number, kernel: number): number {
  if (padding !== PADDING_SAME) return 0;
  return Math.floor(Math.max((output - 1) * stride + kernel - input, 0) / 2);
}

interface Run {
  shape(tensor: number): Shape;
  value(tensor: number): Float32Array;
}

/**
 * out[p][c] = bias[c] + Σk input[p][k] · weights[c][k] for `pixels` rows: the network's bulk of work. Two pixels
 * by four output channels at a time, so each value read takes part in several products.
 */
function pointwise(input: Float32Array, weights: Float32Array, bias: Float32Array | null, out: Float32Array, pixels: number, inC: number, outC: number) {
  let p = 0;
  for (; p + 1 < pixels; p += 2) {
    const a = p * inC;
    const b = a + inC;
    const to = p * outC;
    let c = 0;
    for (; c + 3 < outC; c += 4) {
      const w0 = c * inC;
      const w1 = w0 + inC;
      const w2 = w1 + inC;
      const w3 = w2 + inC;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0; // prettier-ignore
      for (let k = 0; k < inC; k++) {
        const va = input[a + k]!;
        const vb = input[b + k]!;
        const k0 = weights[w0 + k]!;
        const k1 = weights[w1 + k]!;
        const k2 = weights[w2 + k]!;
        const k3 = weights[w3 + k]!;
        a0 += va * k0;
        a1 += va * k1;
        a2 += va * k2;
        a3 += va * k3;
        b0 += vb * k0;
        b1 += vb * k1;
        b2 += vb * k2;
        b3 += vb * k3;
      }
      const bias0 = bias ? bias[c]! : 0;
      const bias1 = bias ? bias[c + 1]! : 0;
      const bias2 = bias ? bias[c + 2]! : 0;
      const bias3 = bias ? bias[c + 3]! : 0;
      out[to + c] = a0 + bias0;
      out[to + c + 1] = a1 + bias1;
      out[to + c + 2] = a2 + bias2;
      out[to + c + 3] = a3 + bias3;
      out[to + outC + c] = b0 + bias0;
      out[to + outC + c + 1] = b1 + bias1;
      out[to + outC + c + 2] = b2 + bias2;
      out[to + outC + c + 3] = b3 + bias3;
    }
    for (; c < outC; c++) {
      const w = c * inC;
      let sa = bias ? bias[c]! : 0;
      let sb = sa;
      for (let k = 0; k < inC; k++) {
        sa += input[a + k]! * weights[w + k]!;
        sb += input[b + k]! * weights[w + k]!;
      }
      out[to + c] = sa;
      out[to + outC + c] = sb;
    }
  }
  for (; p < pixels; p++) {
    const from = p * inC;
    for (let c = 0; c < outC; c++) {
      let sum = bias ? bias[c]! : 0;
      const w = c * inC;
      for (let k = 0; k < inC; k++) sum += input[from + k]! * weights[w + k]!;
      out[p * outC + c] = sum;
    }
  }
}

let scratchBuffer = new Float32Array(0);
/** A reused buffer of at least `size` values (runs are sequential). */
function scratch(size: number): Float32Array {
  if (scratchBuffer.length < size) scratchBuffer = new Float32Array(size);
  return scratchBuffer;
}

/** A convolution's sizes (NHWC input and output, kernel from its weights), strides and SAME padding. */
function convolution(op: TfliteOperator, run: Run) {
  const [, inH = 1, inW = 1, inC = 1] = run.shape(op.inputs[0]!);
  const [, outH = 1, outW = 1, outC = 1] = run.shape(op.outputs[0]!);
  const [, kH = 1, kW = 1] = run.shape(op.inputs[1]!);
  const { padding = PADDING_SAME, strideW = 1, strideH = 1 } = op.options;
  return {
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH,
    kW,
    strideW,
    strideH,
    padTop: padBefore(padding, inH, outH, strideH, kH),
    padLeft: padBefore(padding, inW, outW, strideW, kW),
    input: run.value(op.inputs[0]!),
    weights: run.value(op.inputs[1]!),
    bias: op.inputs[2]! >= 0 ? run.value(op.inputs[2]!) : null,
  };
}

function conv2d(op: TfliteOperator, run: Run, out: Float32Array) {
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideW, strideH, padTop, padLeft, input, weights, bias } = convolution(op, run);
  if (kH === 1 && kW === 1 && strideW === 1 && strideH === 1) pointwise(input, weights, bias, out, outH * outW, inC, outC);
  else {
    // im2col: every output pixel's receptive field becomes one row laid out as the weights are ([ky][kx][in]),
    // zeros where the window hangs over the edge; the convolution is then one pointwise product.
    const patchSize = kH * kW * inC;
    const patches = scratch(outH * outW * patchSize);
    for (let y = 0, to = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        for (let ky = 0; ky < kH; ky++) {
          const iy = y * strideH + ky - padTop;
          for (let kx = 0; kx < kW; kx++) {
            const ix = x * strideW + kx - padLeft;
            const inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
            const from = (iy * inW + ix) * inC;
            for (let k = 0; k < inC; k++, to++) patches[to] = inside ? input[from + k]! : 0;
          }
        }
      }
    }
    pointwise(patches, weights, bias, out, outH * outW, patchSize, outC);
  }
  activate(out, op.options.activation);
}

function depthwiseConv2d(op: TfliteOperator, run: Run, out: Float32Array) {
  const { inH, inW, inC: channels, outH, outW, outC, kH, kW, strideW, strideH, padTop, padLeft, input, weights, bias } = convolution(op, run);
  if (outC !== channels) throw new Error('DEPTHWISE_CONV_2D with a depth multiplier is not supported');
  for (let y = 0; y < outH; y++) {
    const top = y * strideH - padTop;
    for (let x = 0; x < outW; x++) {
      const at = (y * outW + x) * channels;
      const left = x * strideW - padLeft;
      if (kH === 3 && kW === 3 && top >= 0 && top + 3 <= inH && left >= 0 && left + 3 <= inW) {
        // Inside the image (nearly every pixel): the nine taps of each channel summed at once.
        const r0 = (top * inW + left) * channels;
        const r1 = r0 + inW * channels;
        const r2 = r1 + inW * channels;
        const c1 = channels;
        const c2 = 2 * channels;
        for (let c = 0; c < channels; c++) {
          out[at + c] =
            (bias ? bias[c]! : 0) +
            input[r0 + c]! * weights[c]! + input[r0 + c1 + c]! * weights[c1 + c]! + input[r0 + c2 + c]! * weights[c2 + c]! +
            input[r1 + c]! * weights[3 * c1 + c]! + input[r1 + c1 + c]! * weights[4 * c1 + c]! + input[r1 + c2 + c]! * weights[5 * c1 + c]! +
            input[r2 + c]! * weights[6 * c1 + c]! + input[r2 + c1 + c]! * weights[7 * c1 + c]! + input[r2 + c2 + c]! * weights[8 * c1 + c]!; // prettier-ignore
        }
        continue;
      }
      for (let c = 0; c < channels; c++) out[at + c] = bias ? bias[c]! : 0;
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
  }
  activate(out, op.options.activation);
}

function maxPool2d(op: TfliteOperator, run: Run, out: Float32Array) {
  const [, inH, inW, channels] = run.shape(op.inputs[0]!) as [number, number, number, number];
  const [, outH, outW] = run.shape(op.outputs[0]!) as [number, number, number, number];
  const input = run.value(op.inputs[0]!);
  const { padding = PADDING_SAME, strideW = 1, strideH = 1, filterW: kW = 1, filterH: kH = 1 } = op.options;
  const padTop = padBefore(padding, inH, outH, strideH, kH);
  const padLeft = padBefore(padding, inW, outW, strideW, kW);
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
          for (let c = 0; c < channels; c++) out[at + c] = Math.max(out[at + c]!, input[from + c]!);
        }
      }
    }
  }
  activate(out, op.options.activation);
}

function add(op: TfliteOperator, run: Run, out: Float32Array) {
  const a = run.value(op.inputs[0]!);
  const b = run.value(op.inputs[1]!);
  if (a.length !== out.length || b.length !== out.length) throw new Error('ADD with broadcasting is not supported');
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
  activate(out, op.options.activation);
}

function relu(op: TfliteOperator, run: Run, out: Float32Array) {
  const input = run.value(op.inputs[0]!);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, input[i]!);
}

/** Zero padding of an NHWC tensor (the network uses it to widen the channels of a residual branch). */
function pad(op: TfliteOperator, run: Run, out: Float32Array) {
  const inShape = run.shape(op.inputs[0]!);
  const outShape = run.shape(op.outputs[0]!);
  const paddings = run.value(op.inputs[1]!);
  const input = run.value(op.inputs[0]!);
  out.fill(0);
  const [, inH = 1, inW = 1, inC = 1] = inShape;
  const [, , outW = 1, outC = 1] = outShape;
  const [top, left, front] = [paddings[2]!, paddings[4]!, paddings[6]!];
  for (let y = 0; y < inH; y++) {
    for (let x = 0; x < inW; x++) {
      const from = (y * inW + x) * inC;
      const to = ((y + top) * outW + (x + left)) * outC + front;
      for (let c = 0; c < inC; c++) out[to + c] = input[from + c]!;
    }
  }
}

/** Concatenation along an axis: copies blocks of `inner` values from each input in turn. */
function concatenation(op: TfliteOperator, run: Run, out: Float32Array) {
  const outShape = run.shape(op.outputs[0]!);
  const axis = ((op.options.axis ?? 0) + outShape.length) % outShape.length;
  const outer = sizeOf(outShape.slice(0, axis));
  let offset = 0;
  const blocks = op.inputs.map((tensor) => ({ data: run.value(tensor), inner: sizeOf(run.shape(tensor).slice(axis)) }));
  const stride = blocks.reduce((sum, block) => sum + block.inner, 0);
  for (const { data, inner } of blocks) {
    for (let o = 0; o < outer; o++) out.set(data.subarray(o * inner, (o + 1) * inner), o * stride + offset);
    offset += inner;
  }
}

const KERNELS: Record<string, (op: TfliteOperator, run: Run, out: Float32Array) => void> = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwiseConv2d,
  MAX_POOL_2D: maxPool2d,
  ADD: add,
  RELU: relu,
  PAD: pad,
  CONCATENATION: concatenation,
};

/**
 * A model ready to run: one buffer per computed tensor allocated once and reused by every run. Not reentrant:
 * one run at a time.
 */
export class TfliteRunner {
  private readonly values: Array<Float32Array | null>;

  constructor(private readonly model: TfliteModel) {
    const { tensors, operators } = model;
    this.values = tensors.map((tensor) => tensor.data);
    for (const op of operators) {
      if (!KERNELS[op.op] && op.op !== 'RESHAPE') throw new Error(`operator ${op.op} is not supported`);
      // RESHAPE shares its input's buffer (same values, another shape).
      if (op.op !== 'RESHAPE') this.values[op.outputs[0]!] = new Float32Array(sizeOf(tensors[op.outputs[0]!]!.shape));
    }
  }

  /** The input tensor's shape, e.g. [1, 128, 128, 3]. */
  get inputShape(): number[] {
    return this.model.tensors[this.model.inputs[0]!]!.shape;
  }

  /** The buffer to write the input into before run(). */
  get input(): Float32Array {
    const index = this.model.inputs[0]!;
    return (this.values[index] ??= new Float32Array(sizeOf(this.model.tensors[index]!.shape)));
  }

  /** Runs every operator; returns the outputs in the model's order (views on reused buffers). */
  run(): Float32Array[] {
    const run: Run = {
      shape: (tensor) => this.model.tensors[tensor]!.shape,
      value: (tensor) => {
        const value = this.values[tensor];
        if (!value) throw new Error(`tensor ${tensor} has no value`);
        return value;
      },
    };
    void this.input;
    for (const op of this.model.operators) {
      if (op.op === 'RESHAPE') {
        this.values[op.outputs[0]!] = run.value(op.inputs[0]!);
        continue;
      }
      KERNELS[op.op]!(op, run, this.values[op.outputs[0]!]!);
    }
    return this.model.outputs.map((tensor) => run.value(tensor));
  }
}
