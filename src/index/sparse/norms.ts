/**
 * Lucene's one-byte document-length norm (`SmallFloat.intToByte4` / `byte4ToInt`, Lucene 7+).
 *
 * Lengths 0..23 are stored exactly; larger lengths keep their 4 most significant bits (a tiny
 * float with a 3-bit mantissa and an implicit leading one), rounded down. Decoding therefore
 * never returns more than the original length.
 */
import { RalmError } from '../../core/errors.js';

/** Encodes a non-negative long (< 2^53) with 4 significant bits: 3 explicit mantissa bits and the shift. */
function longToInt4(value: number): number {
  // number of significant bits of `value`
  let bitLength = 0;
  let v = value;
  while (v >= 1) {
    bitLength++;
    v = Math.floor(v / 2);
  }
  if (bitLength < 4) return value; // subnormal: stored as is
  const shift = bitLength - 4;
  const top = Math.floor(value / 2 ** shift); // the 4 most significant bits, 8..15
  return (top & 0x07) | ((shift + 1) << 3);
}

/** Inverse of `longToInt4`. */
function int4ToLong(encoded: number): number {
  const mantissa = encoded & 0x07;
  const shift = (encoded >>> 3) - 1;
  if (shift === -1) return mantissa;
  return (mantissa | 0x08) * 2 ** shift;
}

/** longToInt4(2^31 - 1) = 231, so 255 - 231 = 24 byte values are free to store small lengths exactly. */
const FREE_VALUES = 255 - longToInt4(2 ** 31 - 1);

/**
 * Encodes a document length (0 ≤ length ≤ 2^31 - 1) into Lucene's norm byte.
 *
 * @example
 * ```ts
 * intToByte4(10);  // 10 (exact below 24)
 * intToByte4(100); // 57; byte4ToInt(57) === 96
 * ```
 */
export function intToByte4(length: number): number {
  if (!Number.isInteger(length) || length < 0 || length > 2 ** 31 - 1) {
    throw new RalmError('INVALID_ARGUMENT', `document length must be an integer in 0..2147483647, got ${length}`);
  }
  if (length < FREE_VALUES) return length;
  return FREE_VALUES + longToInt4(length - FREE_VALUES);
}

/**
 * Decodes a norm byte (0..255) written by `intToByte4` into the (approximate, never larger) length.
 *
 * @example
 * ```ts
 * byte4ToInt(intToByte4(100)); // 96
 * ```
 */
export function byte4ToInt(norm: number): number {
  const i = norm & 0xff;
  if (i < FREE_VALUES) return i;
  return FREE_VALUES + int4ToLong(i - FREE_VALUES);
}

/**
 * `LENGTH_TABLE[norm]` = `byte4ToInt(norm)` as a Java float (Lucene's BM25Similarity.LENGTH_TABLE).
 *
 * @example
 * ```ts
 * LENGTH_TABLE[45]; // 96
 * ```
 */
export const LENGTH_TABLE: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let i = 0; i < 256; i++) table[i] = Math.fround(byte4ToInt(i));
  return table;
})();

/** Precomputed encodings for lengths below this bound (the common case while indexing). */
const SMALL_LENGTHS = 4096;
const SMALL_NORMS: Uint8Array = (() => {
  const table = new Uint8Array(SMALL_LENGTHS);
  for (let i = 0; i < SMALL_LENGTHS; i++) table[i] = intToByte4(i);
  return table;
})();

/** `intToByte4` with a table lookup for common lengths (internal). */
export function encodeLength(length: number): number {
  return length < SMALL_LENGTHS ? SMALL_NORMS[length]! : intToByte4(length);
}
