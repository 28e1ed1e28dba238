// Reads the parts of a TensorFlow Lite model file that running it needs: its tensors (shape, constant data)
// and its operators in order. A .tflite file is a FlatBuffer (schema: tensorflow/lite/schema/schema.fbs); this
// reads the few tables and fields the face detector's model uses, straight from the bytes, with no library.
// Weights stored as float16 (what DEQUANTIZE turns into float32) are widened once here. The widget never reads
// a .tflite: it gets the compact model (compact-model.ts) made from one by this reader.
import { halvesToFloats } from './float16.ts';

export interface TfliteTensor {
  shape: number[];
  /** Constant contents (weights, biases, paddings) as float32; null for tensors computed while running. */
  data: Float32Array | null;
}

/** The options the runner reads, by name; an absent one takes the runner's default (stride 1, SAME padding, …). */
export interface OperatorOptions {
  padding?: number;
  strideW?: number;
  strideH?: number;
  filterW?: number;
  filterH?: number;
  axis?: number;
  /** ActivationFunctionType: 0 none, 1 ReLU, 3 ReLU6. */
  activation?: number;
}

export interface TfliteOperator {
  /** The builtin operator's name in BuiltinOperator, e.g. 'CONV_2D'. */
  op: string;
  /** Tensor indices; -1 for an optional input left out (a convolution without bias). */
  inputs: number[];
  outputs: number[];
  options: OperatorOptions;
}

export interface TfliteModel {
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
}

/** BuiltinOperator codes of the operators this runtime knows (schema.fbs). */
const OPERATOR_NAMES: Record<number, string> = {
  0: 'ADD',
  2: 'CONCATENATION',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  6: 'DEQUANTIZE',
  17: 'MAX_POOL_2D',
  19: 'RELU',
  22: 'RESHAPE',
  34: 'PAD',
};

// TensorType values (schema.fbs).
const FLOAT32 = 0;
const FLOAT16 = 1;
const INT32 = 2;

export class TfliteFormatError extends Error {
  constructor(message: string) {
    super(`Not a usable TensorFlow Lite model: ${message}`);
    this.name = 'TfliteFormatError';
  }
}

/** A FlatBuffer table at `pos`: fields are looked up through its vtable; absent fields read as their default. */
class Table {
  constructor(
    private readonly view: DataView,
    readonly pos: number,
  ) {}

  has(index: number): boolean {
    return this.field(index) !== 0;
  }

  private field(index: number): number {
    const vtable = this.pos - this.view.getInt32(this.pos, true);
    const slot = 4 + 2 * index;
    if (slot >= this.view.getUint16(vtable, true)) return 0;
    const offset = this.view.getUint16(vtable + slot, true);
    return offset ? this.pos + offset : 0;
  }

  int8(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getInt8(at) : fallback;
  }

  uint8(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getUint8(at) : fallback;
  }

  int32(index: number, fallback = 0): number {
    const at = this.field(index);
    return at ? this.view.getInt32(at, true) : fallback;
  }

  /** Start and length of a vector field (elements follow the length word). */
  vector(index: number): { start: number; length: number } | null {
    const at = this.field(index);
    if (!at) return null;
    const vector = at + this.view.getUint32(at, true);
    return { start: vector + 4, length: this.view.getUint32(vector, true) };
  }

  table(index: number): Table | null {
    const at = this.field(index);
    return at ? new Table(this.view, at + this.view.getUint32(at, true)) : null;
  }

  tables(index: number): Table[] {
    const vector = this.vector(index);
    if (!vector) return [];
    return Array.from({ length: vector.length }, (_, i) => {
      const at = vector.start + 4 * i;
      return new Table(this.view, at + this.view.getUint32(at, true));
    });
  }

  int32s(index: number): number[] {
    const vector = this.vector(index);
    if (!vector) return [];
    return Array.from({ length: vector.length }, (_, i) => this.view.getInt32(vector.start + 4 * i, true));
  }
}

function constantData(view: DataView, type: number, bytes: { start: number; length: number }): Float32Array {
  if (type === FLOAT32) return new Float32Array(view.buffer.slice(view.byteOffset + bytes.start, view.byteOffset + bytes.start + bytes.length));
  if (type === FLOAT16) return halvesToFloats(view, bytes.start, bytes.length / 2);
  if (type === INT32) return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(bytes.start + 4 * i, true));
  throw new TfliteFormatError(`tensor type ${type} is not supported`);
}

/** Parses a .tflite file (its first subgraph). Throws TfliteFormatError for anything else. */
export function readTfliteModel(bytes: Uint8Array): TfliteModel {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(4, 8)) !== 'TFL3') throw new TfliteFormatError('no TFL3 identifier');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const model = new Table(view, view.getUint32(0, true));
  // OperatorCode: deprecated_builtin_code (0, int8) for codes < 127, builtin_code (3, int32) for all.
  const codes = model.tables(1).map((code) => Math.max(code.int8(0), code.int32(3)));
  const buffers = model.tables(4);
  const graph = model.tables(2)[0];
  if (!graph) throw new TfliteFormatError('no subgraph');

  const tensors = graph.tables(0).map((tensor): TfliteTensor => {
    const buffer = buffers[tensor.int32(2)];
    const bytesOf = buffer?.vector(0);
    return { shape: tensor.int32s(0), data: bytesOf && bytesOf.length > 0 ? constantData(view, tensor.uint8(1), bytesOf) : null };
  });
  const operators = graph.tables(3).map((operator): TfliteOperator => {
    const code = codes[operator.int32(0)] ?? -1;
    const op = OPERATOR_NAMES[code];
    if (!op) throw new TfliteFormatError(`operator ${code} is not supported`);
    const options = operator.table(4);
    return { op, inputs: operator.int32s(1), outputs: operator.int32s(2), options: options ? readOptions(op, options) : {} };
  });
  return { tensors, operators, inputs: graph.int32s(1), outputs: graph.int32s(2) };
}

type OptionField = [name: keyof OperatorOptions, index: number, width: 'byte' | 'int32'];

/**
 * The option fields of each operator's options table (schema.fbs) that the runner reads: their index in the
 * table and width (the Padding and ActivationFunctionType enums are one byte; strides, sizes and axis int32).
 */
const OPTION_FIELDS: Record<string, OptionField[]> = {
  CONV_2D: [['padding', 0, 'byte'], ['strideW', 1, 'int32'], ['strideH', 2, 'int32'], ['activation', 3, 'byte']],
  DEPTHWISE_CONV_2D: [['padding', 0, 'byte'], ['strideW', 1, 'int32'], ['strideH', 2, 'int32'], ['activation', 4, 'byte']],
  MAX_POOL_2D: [['padding', 0, 'byte'], ['strideW', 1, 'int32'], ['strideH', 2, 'int32'], ['filterW', 3, 'int32'], ['filterH', 4, 'int32'], ['activation', 5, 'byte']],
  ADD: [['activation', 0, 'byte']],
  CONCATENATION: [['axis', 0, 'int32'], ['activation', 1, 'byte']],
};

/** The fields of OPTION_FIELDS present in an operator's options table. */
function readOptions(op: string, table: Table): OperatorOptions {
  const options: OperatorOptions = {};
  for (const [name, index, width] of OPTION_FIELDS[op] ?? []) {
    if (table.has(index)) options[name] = width === 'byte' ? table.int8(index) : table.int32(index);
  }
  return options;
}
