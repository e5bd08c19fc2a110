/**
 * The exact vector index: every vector in one growable Float32Array, scored by a tight loop, top-k kept by a
 * bounded heap, the filter applied inside the scan. Exact by construction; the reference the HNSW index is
 * measured against, and the right choice below a few tens of thousands of vectors.
 */
import { decodeEnvelope, encodeEnvelope } from '../../core/format.js';
import { RalmError } from '../../core/errors.js';
import { assertMetric, dotProduct, squaredL2Distance, vectorNorm, type VectorMetric } from './distance.js';
import { readWholeFile, writeFileAtomic } from './files.js';
import { TopK } from './heap.js';
import type { VectorCheckpointAttributes, VectorCheckpointOptions, VectorHit, VectorIndex, VectorSearchOptions } from './types.js';
import {
  asFloat32,
  asFloat64,
  checkDimensions,
  checkK,
  checkKey,
  checkQuery,
  checkSeq,
  float32Bytes,
  float64Bytes,
  readSections,
  vectorSource,
  writeSections,
} from './validate.js';

/** Envelope format name of a persisted exact index. */
export const EXACT_VECTORS_FORMAT = 'ralm.dense.vectors';
/** Envelope version written by this build. */
export const EXACT_VECTORS_FORMAT_VERSION = 1;

/**
 * Options of {@link ExactVectorIndex}.
 *
 * @example
 * ```ts
 * const options: ExactVectorIndexOptions = { metric: 'cosine', dimensions: 256, capacity: 10_000 };
 * ```
 */
export interface ExactVectorIndexOptions {
  metric: VectorMetric;
  dimensions: number;
  /** Initial capacity in vectors (the storage grows by doubling). Default 1024. */
  capacity?: number;
}

/**
 * Exact (brute-force) vector index. Cosine scores are `dot(q, v) / (‖q‖ ‖v‖)` (0 when either norm is 0),
 * inner-product scores `dot(q, v)`, l2 scores `−‖q − v‖²`; sums in double precision. Ties go to the smaller key.
 *
 * @example
 * ```ts
 * const index = new ExactVectorIndex({ metric: 'cosine', dimensions: 2 });
 * index.add([1, 2], new Float32Array([1, 0, 0, 1]));
 * index.search(new Float32Array([1, 0.2]), { k: 1, filter: (key) => key !== 1 }); // [{ key: 2, score: 0.196… }]
 * ```
 */
export class ExactVectorIndex implements VectorIndex {
  readonly kind = 'exact' as const;
  readonly metric: VectorMetric;
  readonly dimensions: number;
  private vectors: Float32Array;
  private norms: Float64Array;
  private keys: Float64Array;
  private count = 0;
  private readonly slots = new Map<number, number>();

  constructor(options: ExactVectorIndexOptions) {
    assertMetric(options.metric);
    checkDimensions(options.dimensions);
    this.metric = options.metric;
    this.dimensions = options.dimensions;
    const capacity = Math.max(1, Math.floor(options.capacity ?? 1024));
    this.vectors = new Float32Array(capacity * this.dimensions);
    this.norms = new Float64Array(capacity);
    this.keys = new Float64Array(capacity);
  }

  /** Number of keys held. */
  get size(): number {
    return this.count;
  }

  private grow(needed: number): void {
    if (needed <= this.keys.length) return;
    const capacity = Math.max(needed, this.keys.length * 2);
    const vectors = new Float32Array(capacity * this.dimensions);
    vectors.set(this.vectors.subarray(0, this.count * this.dimensions));
    const norms = new Float64Array(capacity);
    norms.set(this.norms.subarray(0, this.count));
    const keys = new Float64Array(capacity);
    keys.set(this.keys.subarray(0, this.count));
    this.vectors = vectors;
    this.norms = norms;
    this.keys = keys;
  }

  /** Adds or replaces vectors. See {@link VectorIndex.add}. */
  add(keys: ArrayLike<number>, vectors: Float32Array | readonly ArrayLike<number>[]): void {
    const source = vectorSource(keys, vectors, this.dimensions);
    for (let i = 0; i < keys.length; i++) checkKey(keys[i]!);
    this.grow(this.count + keys.length);
    const d = this.dimensions;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let slot = this.slots.get(key);
      if (slot === undefined) {
        slot = this.count++;
        this.slots.set(key, slot);
        this.keys[slot] = key;
      }
      const vector = source(i);
      for (let j = 0; j < d; j++) {
        const value = vector[j]!;
        if (!Number.isFinite(value)) throw new RalmError('INVALID_ARGUMENT', `vector for key ${key} has a non-finite component ${value} at ${j}`);
        this.vectors[slot * d + j] = value;
      }
      this.norms[slot] = vectorNorm(this.vectors, d, slot * d);
    }
  }

  /** Removes a key (the last vector moves into its slot); returns whether it was present. */
  remove(key: number): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    const last = --this.count;
    if (slot !== last) {
      const d = this.dimensions;
      this.vectors.copyWithin(slot * d, last * d, (last + 1) * d);
      this.norms[slot] = this.norms[last]!;
      const movedKey = this.keys[last]!;
      this.keys[slot] = movedKey;
      this.slots.set(movedKey, slot);
    }
    return true;
  }

  /** Whether the key is held. */
  has(key: number): boolean {
    return this.slots.has(key);
  }

  /** The stored vector of a key (a copy), or undefined. */
  vector(key: number): Float32Array | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    return this.vectors.slice(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  /** Every key held, in storage order. */
  allKeys(): number[] {
    return Array.from(this.keys.subarray(0, this.count));
  }

  /** Exact top-k by a full scan; the filter is consulted only for hits that would enter the top k. */
  search(vector: ArrayLike<number>, options: VectorSearchOptions): VectorHit[] {
    checkQuery(vector, this.dimensions);
    checkK(options.k);
    const k = Math.min(options.k, this.count);
    if (k === 0) return [];
    const { filter } = options;
    const top = new TopK(k);
    const d = this.dimensions;
    const vectors = this.vectors;
    const keys = this.keys;
    const n = this.count;
    const query = vector instanceof Float32Array || vector instanceof Float64Array ? vector : Float64Array.from(vector);
    if (this.metric === 'l2') {
      for (let slot = 0; slot < n; slot++) {
        const score = -squaredL2Distance(query, vectors, d, 0, slot * d);
        const key = keys[slot]!;
        if (top.competitive(score, key) && (filter === undefined || filter(key))) top.offer(score, key);
      }
    } else if (this.metric === 'inner-product') {
      for (let slot = 0; slot < n; slot++) {
        const score = dotProduct(query, vectors, d, 0, slot * d);
        const key = keys[slot]!;
        if (top.competitive(score, key) && (filter === undefined || filter(key))) top.offer(score, key);
      }
    } else {
      const queryNorm = vectorNorm(query, d);
      const norms = this.norms;
      for (let slot = 0; slot < n; slot++) {
        const denominator = queryNorm * norms[slot]!;
        const score = denominator > 0 ? dotProduct(query, vectors, d, 0, slot * d) / denominator : 0;
        const key = keys[slot]!;
        if (top.competitive(score, key) && (filter === undefined || filter(key))) top.offer(score, key);
      }
    }
    return top.sorted();
  }

  /**
   * The index in the `ralm.dense.vectors` v1 envelope: metric, dimensions, seq, keys (f64) and vectors (f32).
   *
   * @example
   * ```ts
   * const bytes = index.encodeSync({ seq: 5 });
   * ```
   */
  encodeSync(options: VectorCheckpointOptions): Uint8Array {
    checkSeq(options.seq);
    const payload = writeSections({ metric: this.metric, dimensions: this.dimensions, count: this.count, seq: options.seq, ...(options.attributes ? { attributes: options.attributes } : {}) }, [
      float64Bytes(this.keys.subarray(0, this.count)),
      float32Bytes(this.vectors.subarray(0, this.count * this.dimensions)),
    ]);
    return encodeEnvelope({ format: EXACT_VECTORS_FORMAT, version: EXACT_VECTORS_FORMAT_VERSION }, payload);
  }

  /** {@link encodeSync}, as the {@link VectorIndex} interface's promise. */
  async encode(options: VectorCheckpointOptions): Promise<Uint8Array> {
    return this.encodeSync(options);
  }

  /** Writes {@link encodeSync}'s bytes atomically to `path`. */
  async save(path: string, options: VectorCheckpointOptions): Promise<void> {
    await writeFileAtomic(path, this.encodeSync(options));
  }

  /**
   * Reads bytes written by {@link encode}; refuses another format, an unknown version or a bad checksum.
   *
   * @example
   * ```ts
   * const { index, seq } = ExactVectorIndex.decode(bytes, { source: 'dense.vectors' });
   * ```
   */
  static decode(bytes: Uint8Array, options: { source?: string } = {}): { index: ExactVectorIndex; seq: number; attributes: VectorCheckpointAttributes } {
    const source = options.source ?? 'exact vector index';
    const { payload } = decodeEnvelope(bytes, { format: EXACT_VECTORS_FORMAT, versions: [EXACT_VECTORS_FORMAT_VERSION], source });
    const { header, sections } = readSections(payload, source);
    const { metric, dimensions, count, seq, attributes } = header as { metric: VectorMetric; dimensions: number; count: number; seq: number; attributes?: VectorCheckpointAttributes };
    if (sections.length !== 2 || sections[0]!.length !== count * 8 || sections[1]!.length !== count * dimensions * 4) {
      throw new RalmError('FORMAT', `${source}: section sizes do not match ${count} vectors of ${dimensions} dimensions`, { file: source });
    }
    const index = new ExactVectorIndex({ metric, dimensions, capacity: Math.max(1, count) });
    index.add(asFloat64(sections[0]!), asFloat32(sections[1]!));
    return { index, seq, attributes: attributes ?? {} };
  }

  /**
   * Reads a file written by {@link save}.
   *
   * @example
   * ```ts
   * const { index, seq } = await ExactVectorIndex.load('dense.vectors');
   * ```
   */
  static async load(path: string): Promise<{ index: ExactVectorIndex; seq: number; attributes: VectorCheckpointAttributes }> {
    return ExactVectorIndex.decode(await readWholeFile(path), { source: path });
  }
}
