// IEEE 754 half precision, the model files' storage for most constants: widened to float32 to run, and (by the
// compact model's writer) narrowed from it.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** `count` halves (little-endian) from `start` of `view`, as float32: the sign stays, the exponent is rebiased, the fraction widened. */
export function halvesToFloats(view: DataView, start: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    const h = view.getUint16(start + 2 * i, true);
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = (sign ? -1 : 1) * 2 ** -24 * fraction; // zero and subnormals
    else if (exponent === 31) bits[i] = sign | 0x7f800000 | (fraction << 13); // infinities and NaN
    else bits[i] = sign | ((exponent + 112) << 23) | (fraction << 13);
  }
  return out;
}

/** The half nearest to `value` as a float32 (ties to even), as its 16 bits; exact for any value a half can hold. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const fraction = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (fraction ? 0x200 : 0); // infinities and NaN
  if (exponent >= 31) return sign | 0x7c00; // too large: infinity
  // Normal halves keep 10 of the 23 fraction bits; subnormal ones (exponent ≤ 0) fewer, the implicit 1 included.
  const significand = exponent > 0 ? fraction : fraction | 0x800000;
  const shift = exponent > 0 ? 13 : 14 - exponent;
  if (shift > 24) return sign; // too small: zero
  let half = (exponent > 0 ? exponent << 10 : 0) | (significand >>> shift);
  const rest = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

/** The value of the half `bits`. */
export function halfToFloat(bits: number): number {
  const view = new DataView(new ArrayBuffer(2));
  view.setUint16(0, bits, true);
  return halvesToFloats(view, 0, 1)[0]!;
}
