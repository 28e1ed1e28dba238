// The face detector's model as the widget and the server both run it: made once from the packaged .tflite by
// compactModel() (at build time for the widget, at start-up on the server: the same bytes, so both run the very
// same weights), and read by readCompactModel(), which is all the widget's chunk carries of it.
//
// The conversion keeps the network and changes how its weights are stored: each convolution filter becomes int8
// with one scale per output channel (the .tflite stores float16, twice the bytes, which compress poorly); biases
// and other constants stay float16, exactly; DEQUANTIZE steps are folded away. Measured on the evaluation set
// (bench/default-crop.ts) the crops hold the faces as the float16 model's do.
//
// Layout: "CMD1", the header's length (uint32 LE), the header (JSON: CompactHeader), then the int8 filters, the
// scales (float16) and the other constants (float16), each section one run of bytes, which compresses best.
import { floatToHalf, halfToFloat, halvesToFloats } from './float16.ts';
import { readTfliteModel, type TfliteModel, type TfliteOperator } from './tflite-model.ts';

const MAGIC = 'CMD1';
const LEVELS = 127;

/** Where a constant tensor's values are, in elements of its section. */
type Constant = { int8: number; scales: number; axis: number } | { float16: number };

interface CompactHeader {
  inputs: number[];
  outputs: number[];
  tensors: Array<{ shape: number[]; data?: Constant }>;
  operators: TfliteOperator[];
  /** Elements in each section: int8 filter values, their scales, other float16 constants. */
  sections: { int8: number; scales: number; float16: number };
}

export class CompactModelError extends Error {
  constructor(message: string) {
    super(`Not a usable compact face model: ${message}`);
    this.name = 'CompactModelError';
  }
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The network of `model` without its DEQUANTIZE steps, the tensors it no longer uses dropped and renumbered. */
function foldDequantize(model: TfliteModel): TfliteModel {
  const constantOf = new Map(model.operators.filter((op) => op.op === 'DEQUANTIZE').map((op) => [op.outputs[0]!, op.inputs[0]!]));
  const kept: number[] = [];
  const numbers = new Map<number, number>();
  const renumber = (tensor: number) => {
    if (tensor < 0) return tensor;
    const source = constantOf.get(tensor) ?? tensor;
    if (!numbers.has(source)) numbers.set(source, kept.push(source) - 1);
    return numbers.get(source)!;
  };
  const inputs = model.inputs.map(renumber);
  const operators = model.operators.filter((op) => op.op !== 'DEQUANTIZE').map((op) => ({ ...op, inputs: op.inputs.map(renumber), outputs: op.outputs.map(renumber) }));
  const outputs = model.outputs.map(renumber);
  return { tensors: kept.map((tensor) => model.tensors[tensor]!), operators, inputs, outputs };
}

/** The smallest float16 scale at least `max / LEVELS`, so no value is clipped (0 for an all-zero channel). */
function channelScale(max: number): number {
  const target = max / LEVELS;
  let half = floatToHalf(target);
  if (halfToFloat(half) < target) half++;
  return half;
}

/**
 * The conversion: a .tflite face detection model (float16 weights, as MediaPipe ships it) → the compact model.
 * `filters: 'float16'` keeps the filters as they are (the reference the benchmark measures the int8 ones against).
 */
export function compactModel(tflite: Uint8Array, { filters = 'int8' }: { filters?: 'int8' | 'float16' } = {}): Uint8Array {
  const model = foldDequantize(readTfliteModel(tflite));
  // A filter's output channels: first in a convolution's [out, h, w, in], last in a depthwise one's [1, h, w, channels].
  const filterAxis = new Map<number, number>();
  for (const op of filters === 'int8' ? model.operators : []) {
    if (op.op === 'CONV_2D') filterAxis.set(op.inputs[1]!, 0);
    if (op.op === 'DEPTHWISE_CONV_2D') filterAxis.set(op.inputs[1]!, 3);
  }
  const int8: number[] = [];
  const scales: number[] = [];
  const float16: number[] = [];
  const tensors = model.tensors.map(({ shape, data }, index): CompactHeader['tensors'][number] => {
    if (!data) return { shape };
    const axis = filterAxis.get(index);
    if (axis === undefined) {
      const at = float16.length;
      for (const value of data) {
        const half = floatToHalf(value);
        if (halfToFloat(half) !== value) throw new CompactModelError(`constant ${value} of tensor ${index} is not a float16`);
        float16.push(half);
      }
      return { shape, data: { float16: at } };
    }
    const channels = shape[axis]!;
    const stride = sizeOf(shape.slice(axis + 1));
    const max = new Array<number>(channels).fill(0);
    data.forEach((value, i) => {
      const channel = Math.floor(i / stride) % channels;
      max[channel] = Math.max(max[channel]!, Math.abs(value));
    });
    const channelScales = max.map((value) => halfToFloat(channelScale(value)));
    const at = { int8: int8.length, scales: scales.length, axis };
    scales.push(...max.map(channelScale));
    data.forEach((value, i) => {
      const scale = channelScales[Math.floor(i / stride) % channels]!;
      int8.push(scale === 0 ? 0 : Math.max(-LEVELS, Math.min(LEVELS, Math.round(value / scale))));
    });
    return { shape, data: at };
  });
  const header: CompactHeader = { inputs: model.inputs, outputs: model.outputs, tensors, operators: model.operators, sections: { int8: int8.length, scales: scales.length, float16: float16.length } };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + int8.length + 2 * (scales.length + float16.length));
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC));
  view.setUint32(4, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const value of int8) view.setInt8(at++, value);
  for (const half of [...scales, ...float16]) view.setUint16((at += 2) - 2, half, true);
  return out;
}

/** Reads a compact model into the network the runner runs (float32 values). Throws CompactModelError for other bytes. */
export function readCompactModel(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) throw new CompactModelError(`no ${MAGIC} identifier`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerEnd = 8 + view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, headerEnd))) as CompactHeader;
  const { int8: int8Count, scales: scaleCount, float16: float16Count } = header.sections;
  if (bytes.length !== headerEnd + int8Count + 2 * (scaleCount + float16Count)) throw new CompactModelError('its sections do not fill it');
  const int8 = new Int8Array(bytes.buffer, bytes.byteOffset + headerEnd, int8Count);
  const scales = halvesToFloats(view, headerEnd + int8Count, scaleCount);
  const float16 = halvesToFloats(view, headerEnd + int8Count + 2 * scaleCount, float16Count);
  const tensors = header.tensors.map(({ shape, data }) => {
    if (!data) return { shape, data: null };
    const size = sizeOf(shape);
    if ('float16' in data) return { shape, data: float16.slice(data.float16, data.float16 + size) };
    const channels = shape[data.axis]!;
    const stride = sizeOf(shape.slice(data.axis + 1));
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = int8[data.int8 + i]! * scales[data.scales + (Math.floor(i / stride) % channels)]!;
    return { shape, data: values };
  });
  return { tensors, operators: header.operators, inputs: header.inputs, outputs: header.outputs };
}
