/** The one interface both dense indexes implement (exact scan and HNSW). */
import type { VectorMetric } from './distance.js';

/**
 * One search result: the caller's key and its score under the index's metric (higher is better; see
 * {@link VectorMetric}).
 *
 * @example
 * ```ts
 * const hit: VectorHit = { key: 42, score: 0.83 };
 * ```
 */
export interface VectorHit {
  key: number;
  score: number;
}

/**
 * Options of {@link VectorIndex.search}.
 *
 * @example
 * ```ts
 * const options: VectorSearchOptions = { k: 10, filter: (key) => key % 2 === 0 };
 * ```
 */
export interface VectorSearchOptions {
  /** How many hits to return at most (a non-negative integer). */
  k: number;
  /** Keep only keys for which this returns true; applied during the search, so up to `k` passing hits come back. */
  filter?: (key: number) => boolean;
}

/**
 * Options of {@link VectorIndex.save} and {@link VectorIndex.encode}.
 *
 * @example
 * ```ts
 * await index.save('dense.hnsw', { seq: 17 });
 * ```
 */
export interface VectorCheckpointOptions {
  /** The collection's change sequence number the index covers (the checkpoint); returned by `load`. */
  seq: number;
  /**
   * Plain values recorded in the file's header and returned by `load`/`decode` (a collection records which embedder
   * and which collection the vectors belong to, so a mismatched file is never used).
   */
  attributes?: VectorCheckpointAttributes;
}

/**
 * Plain values a checkpoint records beside its vectors.
 *
 * @example
 * ```ts
 * const attributes: VectorCheckpointAttributes = { embedder: 'openai:text-embedding-3-small', collection: 'f3a1…' };
 * ```
 */
export type VectorCheckpointAttributes = Record<string, string | number | boolean>;

/**
 * A vector index: keys (non-negative safe integers) with fixed-length float vectors, searched for the top `k` by
 * the index's metric. Adding an existing key replaces its vector. Implemented by `ExactVectorIndex` (a scan of
 * one Float32Array; exact) and `HnswVectorIndex` (usearch HNSW; approximate).
 *
 * @example
 * ```ts
 * const index: VectorIndex = new ExactVectorIndex({ metric: 'cosine', dimensions: 3 });
 * index.add([7], [new Float32Array([1, 0, 0])]);
 * index.search(new Float32Array([1, 0.1, 0]), { k: 1 }); // [{ key: 7, score: 0.995… }]
 * ```
 */
export interface VectorIndex {
  /** `'exact'` or `'hnsw'`. */
  readonly kind: 'exact' | 'hnsw';
  readonly metric: VectorMetric;
  readonly dimensions: number;
  /** Number of keys held. */
  readonly size: number;
  /** Adds (or replaces) vectors: `vectors` is either `keys.length` arrays or one flat array of `keys.length × dimensions`. */
  add(keys: ArrayLike<number>, vectors: Float32Array | readonly ArrayLike<number>[]): void;
  /** Removes a key; returns whether it was present. */
  remove(key: number): boolean;
  /** Whether the key is held. */
  has(key: number): boolean;
  /** Every key held. */
  allKeys(): number[];
  /** The top `k` hits, best first (score descending, ties by ascending key). */
  search(vector: ArrayLike<number>, options: VectorSearchOptions): VectorHit[];
  /** The index as bytes in its versioned envelope (`ralm.dense.vectors` or `ralm.dense.hnsw`), recording `seq`. */
  encode(options: VectorCheckpointOptions): Promise<Uint8Array>;
  /** Writes {@link encode}'s bytes to `path` atomically (a temporary file renamed into place). */
  save(path: string, options: VectorCheckpointOptions): Promise<void>;
}
