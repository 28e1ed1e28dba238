// Runs a TensorFlow Lite network (as compact-model.ts reads it) on the CPU, in plain TypeScript: the operators a
// BlazeFace-class network is made of (convolutions, depthwise convolutions, additions, ReLU, max pooling,
// channel padding, reshape, concatenation), float32, NHWC, batch 1. Small enough to ship in a lazily loaded
// chunk and to run the same way in a browser worker and in Node.
//
// The graph is planned once: every operator becomes a step with its buffers and sizes resolved, and a 1×1
// convolution followed by ADD (of a tensor, or of a channel-PAD of one) and RELU becomes one step, which adds the
// residual and clamps while its output is still in cache, instead of three more passes over memory (BlazeFace's
// every block ends so). The arithmetic is in kernels.ts.
import { activate, add, convolve, depthwise, maxPool, NONE, padInput, primeKernels, relu, type Geometry, type Source } from './kernels.ts';
import type { TfliteModel, TfliteOperator } from './tflite-model.ts';

// Padding and ActivationFunctionType (schema.fbs).
const PADDING_SAME = 0;
const ACTIVATION_NONE = 0;
const ACTIVATION_RELU = 1;
const ACTIVATION_RELU6 = 3;

type Shape = number[];

const sizeOf = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/** Where a strided window starts: TensorFlow's SAME padding puts the odd pixel at the bottom/right. */
function padBefore(padding: number, input: number, output: number, stride: number, kernel: number): number {
  if (padding !== PADDING_SAME) return 0;
  return Math.floor(Math.max((output - 1) * stride + kernel - input, 0) / 2);
}

/** Zero padding of an NHWC tensor (the network uses it to widen the channels of a residual branch). */
function pad(input: Float32Array, inShape: Shape, paddings: Float32Array, out: Float32Array, outShape: Shape) {
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
function concatenation(blocks: Array<{ data: Float32Array; inner: number }>, outer: number, out: Float32Array) {
  const stride = blocks.reduce((sum, block) => sum + block.inner, 0);
  let offset = 0;
  for (const { data, inner } of blocks) {
    for (let o = 0; o < outer; o++) out.set(data.subarray(o * inner, (o + 1) * inner), o * stride + offset);
    offset += inner;
  }
}

/** How a 1×1 convolution's output goes on: ADD of a residual (maybe channel-padded), then ReLU, as one step. */
interface Tail {
  output: number;
  residual: number | null;
  relu: boolean;
  /** The operators the step does the work of. */
  absorbed: number[];
}

/**
 * A model ready to run: one buffer per computed tensor allocated once and reused by every run. Not reentrant:
 * one run at a time.
 */
export class TfliteRunner {
  private readonly values: Array<Float32Array | null>;
  private readonly steps: Array<() => void> = [];
  /** Tensors a ReLU produced (or a pooling of one): ≥ 0, which max pooling can use. */
  private readonly nonNegative = new Set<number>();

  constructor(private readonly model: TfliteModel) {
    const { tensors, operators } = model;
    this.values = tensors.map((tensor) => tensor.data);
    for (const index of model.inputs) this.values[index] ??= new Float32Array(sizeOf(tensors[index]!.shape));
    const readers = new Map<number, number[]>();
    const producer = new Map<number, number>();
    operators.forEach((op, i) => {
      for (const tensor of op.inputs) readers.set(tensor, [...(readers.get(tensor) ?? []), i]);
      producer.set(op.outputs[0]!, i);
    });
    for (const tensor of model.outputs) readers.set(tensor, [...(readers.get(tensor) ?? []), -1]);
    /** The one operator reading `tensor`, if only one does. */
    const onlyReader = (tensor: number) => {
      const list = readers.get(tensor) ?? [];
      return list.length === 1 && list[0]! >= 0 ? operators[list[0]!]! : null;
    };
    /** A tensor computed before operator `i` (or constant, or the input). */
    const readyBefore = (tensor: number, i: number) => (producer.get(tensor) ?? -1) < i;

    const tail = (i: number): Tail | null => {
      const conv = operators[i]!;
      if ((conv.options.activation ?? ACTIVATION_NONE) !== ACTIVATION_NONE) return null;
      const next = onlyReader(conv.outputs[0]!);
      if (next?.op === 'RELU') return { output: next.outputs[0]!, residual: null, relu: true, absorbed: [operators.indexOf(next)] };
      if (next?.op !== 'ADD' || ![ACTIVATION_NONE, ACTIVATION_RELU].includes(next.options.activation ?? ACTIVATION_NONE)) return null;
      const other = next.inputs[0] === conv.outputs[0] ? next.inputs[1]! : next.inputs[0]!;
      const absorbed = [operators.indexOf(next)];
      let residual = other;
      const padOp = producer.has(other) ? operators[producer.get(other)!]! : null;
      if (padOp?.op === 'PAD' && onlyReader(other) === next) {
        // Only zeros after the last channels: the residual is the PAD's input read as the first channels.
        const paddings = this.values[padOp.inputs[1]!];
        if (paddings?.length !== 8 || paddings.some((value, k) => value !== 0 && k !== 7)) return null;
        residual = padOp.inputs[0]!;
        absorbed.push(producer.get(other)!);
      } else if (sizeOf(tensors[other]!.shape) !== sizeOf(tensors[conv.outputs[0]!]!.shape)) return null;
      if (!readyBefore(residual, i)) return null;
      const after = onlyReader(next.outputs[0]!);
      if (after?.op === 'RELU' && next.options.activation !== ACTIVATION_RELU) {
        return { output: after.outputs[0]!, residual, relu: true, absorbed: [...absorbed, operators.indexOf(after)] };
      }
      return { output: next.outputs[0]!, residual, relu: next.options.activation === ACTIVATION_RELU, absorbed };
    };

    const absorbed = new Set<number>();
    operators.forEach((op, i) => {
      if (absorbed.has(i)) return;
      if (op.op === 'RESHAPE') {
        // The same values in another shape: its input's buffer.
        this.values[op.outputs[0]!] = this.value(op.inputs[0]!);
        return;
      }
      if (op.op === 'CONV_2D') {
        const fused = tail(i);
        for (const j of fused?.absorbed ?? []) absorbed.add(j);
        this.steps.push(this.convolution(op, fused));
        return;
      }
      const out = this.allocate(op.outputs[0]!);
      const input = this.value(op.inputs[0]!);
      const activation = op.options.activation ?? ACTIVATION_NONE;
      const clamped = activation === ACTIVATION_RELU || activation === ACTIVATION_RELU6 || op.op === 'RELU';
      if (clamped || (op.op === 'MAX_POOL_2D' && this.nonNegative.has(op.inputs[0]!))) this.nonNegative.add(op.outputs[0]!);
      if (op.op === 'DEPTHWISE_CONV_2D') {
        const g = this.geometry(op, tensors[op.inputs[1]!]!.shape);
        if (g.outC !== g.inC) throw new Error('DEPTHWISE_CONV_2D with a depth multiplier is not supported');
        const [weights, bias] = [this.value(op.inputs[1]!), this.bias(op, g.outC)];
        this.steps.push(() => (depthwise(input, weights, bias, out, g), activate(out, activation)));
      } else if (op.op === 'MAX_POOL_2D') {
        const g = this.geometry(op, [1, op.options.filterH ?? 1, op.options.filterW ?? 1]);
        const nonNegative = this.nonNegative.has(op.inputs[0]!);
        this.steps.push(() => (maxPool(input, out, g, nonNegative), activate(out, activation)));
      } else if (op.op === 'ADD') {
        const other = this.value(op.inputs[1]!);
        if (input.length !== out.length || other.length !== out.length) throw new Error('ADD with broadcasting is not supported');
        this.steps.push(() => (add(input, other, out), activate(out, activation)));
      } else if (op.op === 'RELU') {
        this.steps.push(() => relu(input, out));
      } else if (op.op === 'PAD') {
        const [inShape, paddings, outShape] = [tensors[op.inputs[0]!]!.shape, this.value(op.inputs[1]!), tensors[op.outputs[0]!]!.shape];
        this.steps.push(() => pad(input, inShape, paddings, out, outShape));
      } else if (op.op === 'CONCATENATION') {
        const outShape = tensors[op.outputs[0]!]!.shape;
        const axis = ((op.options.axis ?? 0) + outShape.length) % outShape.length;
        const blocks = op.inputs.map((tensor) => ({ data: this.value(tensor), inner: sizeOf(tensors[tensor]!.shape.slice(axis)) }));
        const outer = sizeOf(outShape.slice(0, axis));
        this.steps.push(() => concatenation(blocks, outer, out));
      } else throw new Error(`operator ${op.op} is not supported`);
    });
    primeKernels();
  }

  private value(tensor: number): Float32Array {
    const value = this.values[tensor];
    if (!value) throw new Error(`tensor ${tensor} has no value`);
    return value;
  }

  private allocate(tensor: number): Float32Array {
    return (this.values[tensor] = new Float32Array(sizeOf(this.model.tensors[tensor]!.shape)));
  }

  /** The bias, or zeros for a convolution without one (adding 0 is what leaving it out computes). */
  private bias(op: TfliteOperator, channels: number): Float32Array {
    return op.inputs[2]! >= 0 ? this.value(op.inputs[2]!) : new Float32Array(channels);
  }

  /** A convolution's or pooling's sizes (NHWC input and output; the kernel's [·, kH, kW]), strides and SAME padding. */
  private geometry(op: TfliteOperator, kernel: Shape): Geometry {
    const [, inH = 1, inW = 1, inC = 1] = this.model.tensors[op.inputs[0]!]!.shape;
    const [, outH = 1, outW = 1, outC = 1] = this.model.tensors[op.outputs[0]!]!.shape;
    const [, kH = 1, kW = 1] = kernel;
    const { padding = PADDING_SAME, strideW = 1, strideH = 1 } = op.options;
    const padTop = padBefore(padding, inH, outH, strideH, kH);
    const padLeft = padBefore(padding, inW, outW, strideW, kW);
    return { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft };
  }

  /** A convolution, with what follows it when `fused`; a kernel larger than 1×1 reads a zero-padded copy of its input. */
  private convolution(op: TfliteOperator, fused: Tail | null): () => void {
    const g = this.geometry(op, this.model.tensors[op.inputs[1]!]!.shape);
    const out = this.allocate(fused?.output ?? op.outputs[0]!);
    const input = this.value(op.inputs[0]!);
    const [weights, bias] = [this.value(op.inputs[1]!), this.bias(op, g.outC)];
    const residual = fused?.residual != null ? this.value(fused.residual) : NONE;
    const resC = residual === NONE ? 0 : residual.length / (g.outH * g.outW);
    const activation = fused ? ACTIVATION_NONE : (op.options.activation ?? ACTIVATION_NONE);
    const clamp = fused ? fused.relu : activation === ACTIVATION_RELU;
    const rest = clamp ? ACTIVATION_NONE : activation;
    if (clamp || rest === ACTIVATION_RELU6) this.nonNegative.add(fused?.output ?? op.outputs[0]!);
    const { inC, outW, outC } = g;
    const pixels = g.outH * outW;
    if (g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1) {
      const src: Source = { data: input, rowStride: 0, xStride: inC, yStride: g.inW * inC, kH: 1, run: inC };
      return () => (convolve(src, weights, bias, out, outW, pixels, outC, residual, resC, clamp), activate(out, rest));
    }
    const paddedW = Math.max((outW - 1) * g.strideW + g.kW, g.padLeft + g.inW);
    const paddedH = Math.max((g.outH - 1) * g.strideH + g.kH, g.padTop + g.inH);
    const padded = new Float32Array(paddedH * paddedW * inC);
    const src: Source = { data: padded, rowStride: paddedW * inC, xStride: g.strideW * inC, yStride: g.strideH * paddedW * inC, kH: g.kH, run: g.kW * inC };
    return () => {
      padInput(input, g, padded, paddedW);
      convolve(src, weights, bias, out, outW, pixels, outC, residual, resC, clamp);
      activate(out, rest);
    };
  }

  /** The input tensor's shape, e.g. [1, 128, 128, 3]. */
  get inputShape(): number[] {
    return this.model.tensors[this.model.inputs[0]!]!.shape;
  }

  /** The buffer to write the input into before run(). */
  get input(): Float32Array {
    return this.value(this.model.inputs[0]!);
  }

  /** Runs every step; returns the outputs in the model's order (views on reused buffers). */
  run(): Float32Array[] {
    for (const step of this.steps) step();
    return this.model.outputs.map((tensor) => this.value(tensor));
  }
}
