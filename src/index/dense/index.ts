/**
 * The dense vector index: an exact scan (`ExactVectorIndex`) and HNSW over usearch (`HnswVectorIndex`), behind one
 * `VectorIndex` interface; `createVectorIndex` picks by size. Persisted as `ralm.dense.vectors` v1 /
 * `ralm.dense.hnsw` v1 envelopes that record the change sequence they cover.
 *
 * @example
 * ```ts
 * import { createVectorIndex } from './index/dense/index.js';
 * const index = await createVectorIndex({ metric: 'cosine', dimensions: 3, sizeHint: 10 });
 * index.add([1, 2], [new Float32Array([1, 0, 0]), new Float32Array([0, 1, 0])]);
 * index.search(new Float32Array([1, 0.5, 0]), { k: 1 }); // [{ key: 1, score: 0.894… }]
 * ```
 */
export { dotProduct, squaredL2Distance, vectorNorm, normalizeVector, assertMetric, VECTOR_METRICS, type VectorMetric } from './distance.js';
export type { VectorIndex, VectorHit, VectorSearchOptions, VectorCheckpointOptions, VectorCheckpointAttributes } from './types.js';
export { ExactVectorIndex, EXACT_VECTORS_FORMAT, EXACT_VECTORS_FORMAT_VERSION, type ExactVectorIndexOptions } from './exact.js';
export { HnswVectorIndex, HNSW_FORMAT, HNSW_FORMAT_VERSION, DEFAULT_HNSW_OPTIONS, type HnswVectorIndexOptions, type HnswScalarKind } from './hnsw.js';
export { createVectorIndex, loadVectorIndex, DEFAULT_EXACT_BELOW, type CreateVectorIndexOptions } from './create.js';
export { LayeredVectorIndex } from './layered.js';
export {
  writeHnswCheckpoint,
  readHnswCheckpoint,
  inspectHnswCheckpoint,
  removeUnreferencedGraphs,
  referencedGraph,
  HNSW_CHECKPOINT_FORMAT,
  HNSW_CHECKPOINT_FORMAT_VERSION,
} from './checkpoint.js';
