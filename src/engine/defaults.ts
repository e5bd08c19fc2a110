/**
 * The one place where ralm's defaults live. Every component takes an options object that is merged
 * with these values; nothing else hides a default.
 *
 * @example
 * ```ts
 * import { defaults } from 'ralm';
 * console.log(defaults.bm25); // { k1: 0.9, b: 0.4 }
 * ```
 */
export const defaults = {
  /** Analyzer of a new collection: per-document English or CJK detection. */
  analyzer: 'auto',
  /** BM25 parameters as Anserini uses for BEIR (Lucene BM25Similarity). */
  bm25: { k1: 0.9, b: 0.4 },
  /** Number of hits a search returns. */
  k: 10,
  /** Segments allowed before a background merge combines the smallest ones. */
  mergeFactor: 8,
  /** Estimated Jaccard similarity at which a chunk is stored once, as a near-duplicate of another. */
  nearDuplicateThreshold: 0.9,
  /** Characters of context shown in a search snippet. */
  snippetLength: 220,
} as const;
