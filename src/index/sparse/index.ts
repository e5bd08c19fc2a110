/**
 * The sparse inverted index: Lucene-exact BM25 over block postings, in immutable segments.
 *
 * Flow: `SegmentWriter` (analyzed terms in) → `Segment` → `encodeSegment` / `decodeSegment`
 * (the `ralm.sparse.segment` v1 format) → `mergeSegments` → `SparseSearcher` (search, explain, stats).
 *
 * @example
 * ```ts
 * import { SegmentWriter, SparseSearcher, DEFAULT_BM25_PARAMS } from './index/sparse/index.js';
 * const writer = new SegmentWriter();
 * writer.add(0, ['quick', 'brown', 'fox']);
 * const searcher = new SparseSearcher({ segments: [writer.finish()], params: DEFAULT_BM25_PARAMS });
 * searcher.search([{ term: 'fox', boost: 1 }], { k: 10 });
 * ```
 */
export { intToByte4, byte4ToInt, LENGTH_TABLE } from './norms.js';
export { DEFAULT_BM25_PARAMS, bm25Idf, bm25AverageLength, bm25NormCache, bm25Weight, bm25TermScore } from './bm25.js';
export { Segment } from './segment.js';
export { SegmentWriter } from './writer.js';
export { encodeSegment, decodeSegment, SEGMENT_FORMAT, SEGMENT_FORMAT_VERSION } from './serialize.js';
export { mergeSegments, type MergeInput } from './merge.js';
export { DeletedDocs, type DeletedKeys } from './deleted.js';
export {
  SparseSearcher,
  type SparseQueryTerm,
  type SparseHit,
  type SparseSearchOptions,
  type SparseSearchStrategy,
  type SparseSearcherOptions,
  type SparseStatistics,
} from './searcher.js';
