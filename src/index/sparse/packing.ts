/**
 * Block postings codec (internal). A block holds up to `BLOCK_SIZE` postings of one term:
 *
 *   u8  docWidth   bits per doc gap (0..24, or 32 for raw little-endian u32 values)
 *   u8  freqWidth  bits per frequency (same convention)
 *   ⌈count × docWidth / 8⌉ bytes   doc gaps minus one, bit-packed least significant bit first
 *   ⌈count × freqWidth / 8⌉ bytes  frequencies minus one, bit-packed the same way
 *
 * A gap is the distance to the previous doc of the term (the first doc of a term counts from -1),
 * so a term present in every document packs with width 0, as do frequencies that are all 1.
 */

/** Postings per block. */
export const BLOCK_SIZE = 128;

/** Bit width used to store values up to `max` (0..24, else 32). */
export function widthFor(max: number): number {
  const width = 32 - Math.clz32(max); // bits of max (0 for 0)
  return width > 24 ? 32 : width;
}

/** Bytes taken by `count` values of `width` bits. */
export function packedLength(count: number, width: number): number {
  return Math.ceil((count * width) / 8);
}

/** Packs `count` values (each < 2^width) from `values[from..]`, minus `subtract`, at `out[offset]`; returns the end offset. */
export function pack(values: ArrayLike<number>, from: number, count: number, subtract: ArrayLike<number> | number, width: number, out: Uint8Array, offset: number): number {
  let p = offset;
  if (width === 0) return p;
  if (width === 32) {
    for (let i = 0; i < count; i++) {
      const v = (values[from + i]! - (typeof subtract === 'number' ? subtract : subtract[from + i]!)) >>> 0;
      out[p++] = v & 0xff;
      out[p++] = (v >>> 8) & 0xff;
      out[p++] = (v >>> 16) & 0xff;
      out[p++] = v >>> 24;
    }
    return p;
  }
  let accumulator = 0;
  let bits = 0;
  for (let i = 0; i < count; i++) {
    const v = values[from + i]! - (typeof subtract === 'number' ? subtract : subtract[from + i]!);
    accumulator |= v << bits;
    bits += width;
    while (bits >= 8) {
      out[p++] = accumulator & 0xff;
      accumulator >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[p++] = accumulator & 0xff;
  return p;
}

/**
 * Decodes `count` doc ids packed as gaps minus one into `out`, starting after `previousDoc`.
 * Returns the offset after the packed bytes.
 */
export function unpackDocs(bytes: Uint8Array, offset: number, count: number, width: number, previousDoc: number, out: Int32Array): number {
  let p = offset;
  let doc = previousDoc;
  if (width === 0) {
    for (let i = 0; i < count; i++) out[i] = ++doc;
    return p;
  }
  if (width === 32) {
    for (let i = 0; i < count; i++) {
      doc += 1 + ((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0);
      out[i] = doc;
      p += 4;
    }
    return p;
  }
  if (width === 8) {
    for (let i = 0; i < count; i++) {
      doc += 1 + bytes[p++]!;
      out[i] = doc;
    }
    return p;
  }
  const mask = (1 << width) - 1;
  let accumulator = 0;
  let bits = 0;
  for (let i = 0; i < count; i++) {
    while (bits < width) {
      accumulator |= bytes[p++]! << bits;
      bits += 8;
    }
    doc += 1 + (accumulator & mask);
    out[i] = doc;
    accumulator >>>= width;
    bits -= width;
  }
  return p;
}

/** Decodes `count` frequencies packed as value minus one into `out`; returns the offset after them. */
export function unpackFreqs(bytes: Uint8Array, offset: number, count: number, width: number, out: Int32Array): number {
  let p = offset;
  if (width === 0) {
    out.fill(1, 0, count);
    return p;
  }
  if (width === 32) {
    for (let i = 0; i < count; i++) {
      out[i] = 1 + ((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0);
      p += 4;
    }
    return p;
  }
  const mask = (1 << width) - 1;
  let accumulator = 0;
  let bits = 0;
  for (let i = 0; i < count; i++) {
    while (bits < width) {
      accumulator |= bytes[p++]! << bits;
      bits += 8;
    }
    out[i] = 1 + (accumulator & mask);
    accumulator >>>= width;
    bits -= width;
  }
  return p;
}
