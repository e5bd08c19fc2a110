/**
 * Embedding implementations: `lsa` (no downloaded weights: a randomised truncated SVD of the collection's weighted
 * term–document matrix) with its {@link EmbeddingModel} adapter, ONNX models through transformers.js (loaded lazily,
 * in worker processes), OpenAI-compatible `/embeddings` servers, and an embedding cache.
 *
 * @example
 * ```ts
 * import { fitLsa, inverseDocumentFrequencies, weightTermDocumentMatrix } from './embed/index.js';
 * const idf = inverseDocumentFrequencies(counts);
 * const model = fitLsa({ matrix: weightTermDocumentMatrix(counts, { idf }), vocabulary, idf, dimensions: 256 });
 * ```
 */
export {
  fitLsa,
  LsaModel,
  encodeLsaModel,
  decodeLsaModel,
  randomizedSvd,
  symmetricEigen,
  inverseDocumentFrequencies,
  weightTermDocumentMatrix,
  DEFAULT_LSA_OPTIONS,
  LSA_MODEL_FORMAT,
  LSA_MODEL_FORMAT_VERSION,
  type SparseMatrix,
  type LsaWeighting,
  type LsaScaling,
  type FitLsaOptions,
  type RandomizedSvdOptions,
  type TruncatedSvd,
  type WeightingOptions,
} from './lsa.js';
export { createLsaEmbedder, type TextAnalyzer } from './lsa-embedder.js';
export { defaultEmbeddingPrefixes, resolvePrefixes, E5_PREFIXES, BGE_ZH_PREFIXES, BGE_EN_PREFIXES } from './prefixes.js';
export {
  createCachedEmbedder,
  createMemoryEmbeddingCacheStore,
  embeddingCacheKey,
  type EmbeddingCacheStore,
} from './cache.js';
export {
  createOpenAICompatibleEmbedder,
  openAICompatibleEmbedderDefaults,
  type OpenAICompatibleEmbedderOptions,
} from './openai/index.js';
export {
  createOnnxEmbedder,
  createOnnxReranker,
  onnxEmbedderDefaults,
  poolHiddenStates,
  defaultPooling,
  poolingFromSentenceTransformers,
  type OnnxEmbedder,
  type OnnxEmbedderOptions,
  type OnnxReranker,
  type OnnxRerankerOptions,
  type PoolingConfig,
  type WorkerIsolation,
} from './onnx/index.js';
