/** Choosing and loading a vector index. */
import { readEnvelopeHeader } from '../../core/format.js';
import { RalmError } from '../../core/errors.js';
import type { VectorMetric } from './distance.js';
import { EXACT_VECTORS_FORMAT, ExactVectorIndex } from './exact.js';
import { readWholeFile } from './files.js';
import { HNSW_FORMAT, HnswVectorIndex, type HnswVectorIndexOptions } from './hnsw.js';
import type { VectorCheckpointAttributes, VectorIndex } from './types.js';

/**
 * Options of {@link createVectorIndex}.
 *
 * @example
 * ```ts
 * const options: CreateVectorIndexOptions = { metric: 'cosine', dimensions: 256, sizeHint: 5_000 };
 * ```
 */
export interface CreateVectorIndexOptions {
  metric: VectorMetric;
  dimensions: number;
  /** The expected number of vectors. Default 0. */
  sizeHint?: number;
  /** Use the exact index when `sizeHint` is below this. Default {@link DEFAULT_EXACT_BELOW} (20 000). */
  exactBelow?: number;
  /** HNSW settings, used when the HNSW index is chosen. */
  hnsw?: Omit<HnswVectorIndexOptions, 'metric' | 'dimensions'>;
}

/**
 * Below this many vectors {@link createVectorIndex} chooses the exact index: a scan of 20 000 × 256 floats takes
 * a few milliseconds and is exact.
 *
 * @example
 * ```ts
 * createVectorIndex({ metric: 'cosine', dimensions: 8, sizeHint: DEFAULT_EXACT_BELOW }); // an HNSW index
 * ```
 */
export const DEFAULT_EXACT_BELOW = 20_000;

/**
 * Creates an exact index when `sizeHint < exactBelow`, else an HNSW index (which needs the optional `usearch`).
 *
 * @example
 * ```ts
 * const index = await createVectorIndex({ metric: 'cosine', dimensions: 256, sizeHint: 1_000 }); // exact
 * ```
 */
export async function createVectorIndex(options: CreateVectorIndexOptions): Promise<VectorIndex> {
  const sizeHint = options.sizeHint ?? 0;
  const exactBelow = options.exactBelow ?? DEFAULT_EXACT_BELOW;
  if (!(sizeHint >= 0) || !(exactBelow >= 0)) {
    throw new RalmError('INVALID_ARGUMENT', `sizeHint and exactBelow must be non-negative numbers; got ${sizeHint} and ${exactBelow}`);
  }
  if (sizeHint < exactBelow) {
    return new ExactVectorIndex({ metric: options.metric, dimensions: options.dimensions, capacity: Math.max(16, Math.min(sizeHint, 1 << 22)) });
  }
  return HnswVectorIndex.create({ ...options.hnsw, metric: options.metric, dimensions: options.dimensions });
}

/**
 * Loads a vector index file of either kind (dispatching on the envelope's format name) with the change sequence
 * it covers.
 *
 * @example
 * ```ts
 * const { index, seq } = await loadVectorIndex('dense.index');
 * ```
 */
export async function loadVectorIndex(path: string): Promise<{ index: VectorIndex; seq: number; attributes: VectorCheckpointAttributes }> {
  const bytes = await readWholeFile(path);
  const { format } = readEnvelopeHeader(bytes, path);
  if (format === EXACT_VECTORS_FORMAT) return ExactVectorIndex.decode(bytes, { source: path });
  if (format === HNSW_FORMAT) return HnswVectorIndex.decode(bytes, { source: path });
  throw new RalmError('FORMAT', `${path}: expected a "${EXACT_VECTORS_FORMAT}" or "${HNSW_FORMAT}" file, found "${format}"`, { file: path });
}
