/** Argument checks shared by the dense indexes (internal). */
import { RalmError } from '../../core/errors.js';

export function checkKey(key: number): void {
  if (!Number.isSafeInteger(key) || key < 0) {
    throw new RalmError('INVALID_ARGUMENT', `vector keys must be non-negative safe integers; got ${key}`);
  }
}

export function checkDimensions(dimensions: number): void {
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RalmError('INVALID_ARGUMENT', `dimensions must be a positive integer; got ${dimensions}`);
  }
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RalmError('INVALID_ARGUMENT', `k must be a non-negative integer; got ${k}`);
}

export function checkQuery(vector: ArrayLike<number>, dimensions: number): void {
  if (vector.length !== dimensions) {
    throw new RalmError('INVALID_ARGUMENT', `query vector has ${vector.length} components; the index has ${dimensions} dimensions`);
  }
}

export function checkSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RalmError('INVALID_ARGUMENT', `seq must be a non-negative safe integer; got ${seq}`);
}

/** Returns a function giving vector i's components, checking the shape. */
export function vectorSource(keys: ArrayLike<number>, vectors: Float32Array | readonly ArrayLike<number>[], dimensions: number): (i: number) => ArrayLike<number> {
  if (vectors instanceof Float32Array) {
    if (vectors.length !== keys.length * dimensions) {
      throw new RalmError('INVALID_ARGUMENT', `a flat vector array must hold keys.length × dimensions = ${keys.length} × ${dimensions} values; got ${vectors.length}`);
    }
    return (i) => vectors.subarray(i * dimensions, (i + 1) * dimensions);
  }
  if (vectors.length !== keys.length) throw new RalmError('INVALID_ARGUMENT', `got ${keys.length} keys but ${vectors.length} vectors`);
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i]!.length !== dimensions) {
      throw new RalmError('INVALID_ARGUMENT', `vector ${i} (key ${keys[i]}) has ${vectors[i]!.length} components; the index has ${dimensions} dimensions`);
    }
  }
  return (i) => vectors[i]!;
}

/** A JSON header (u32 length + UTF-8) followed by 8-byte aligned binary sections (internal layout helper). */
export function writeSections(header: unknown, sections: Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const align = (n: number): number => (n + 7) & ~7;
  let length = align(4 + json.length);
  for (const s of sections) length = align(length + 8 + s.length);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 4);
  let p = align(4 + json.length);
  for (const s of sections) {
    view.setUint32(p, s.length >>> 0, true);
    view.setUint32(p + 4, Math.floor(s.length / 2 ** 32), true);
    out.set(s, p + 8);
    p = align(p + 8 + s.length);
  }
  return out;
}

/**
 * Reads what {@link writeSections} wrote; section bytes are copies (aligned, independent of the input buffer), or with
 * `views` the sections at those indexes are views into `payload` (no copy; for large bytes that are only passed on).
 */
export function readSections(payload: Uint8Array, source: string, views: ReadonlySet<number> = new Set()): { header: Record<string, unknown>; sections: Uint8Array[] } {
  const fail = (why: string): never => {
    throw new RalmError('FORMAT', `${source}: malformed payload (${why})`, { file: source });
  };
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload.length < 4) fail('too short');
  const jsonLength = view.getUint32(0, true);
  if (4 + jsonLength > payload.length) fail('header runs past the end');
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + jsonLength))) as Record<string, unknown>;
  } catch {
    fail('header is not JSON');
  }
  const align = (n: number): number => (n + 7) & ~7;
  const sections: Uint8Array[] = [];
  let p = align(4 + jsonLength);
  while (p < payload.length) {
    if (p + 8 > payload.length) fail('truncated section');
    const length = view.getUint32(p, true) + view.getUint32(p + 4, true) * 2 ** 32;
    if (p + 8 + length > payload.length) fail('section runs past the end');
    sections.push(views.has(sections.length) ? payload.subarray(p + 8, p + 8 + length) : payload.slice(p + 8, p + 8 + length));
    p = align(p + 8 + length);
  }
  return { header, sections };
}

export function float64Bytes(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
export function asFloat64(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}
export function asFloat32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
