/**
 * Retrieval: query → weight → scorer → collector; metadata filters (more in later issues).
 *
 * @example
 * ```ts
 * import { compileFilter, parseFilter } from './retrieve/index.js';
 * const predicate = compileFilter(parseFilter('lang = "zh" and year >= 2020'));
 * ```
 */
export {
  parseFilter,
  formatFilter,
  compileFilter,
  filterFromJson,
  filterToJson,
  type FilterNode,
  type FilterValue,
  type FilterPredicate,
  type ComparisonOperator,
} from './filter.js';
export { reciprocalRankFusion, normalizedScoreFusion, attentionFusion, fuse, DEFAULT_FUSION_OPTIONS, type RankedList, type FusedHit, type FusionOptions } from './fusion.js';
export { maximalMarginalRelevance, type MmrOptions } from './mmr.js';
export { cosineSimilarity, dotSimilarity, l2Distance, l2Similarity, jaccardSimilarity, similarity } from './similarity.js';
export { crossEncoderRerank, featureRerank, minimumCoveringWindow, DEFAULT_FEATURE_WEIGHTS, type RerankCandidate } from './rerank.js';
