/**
 * Embedding implementations. `lsa` needs no downloaded weights: a randomised truncated SVD of the collection's
 * weighted term–document matrix.
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
