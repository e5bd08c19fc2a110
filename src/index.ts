/**
 * ralm — retrieval-augmented generation engine. The public library API.
 *
 * @example
 * ```ts
 * import { openCollection } from 'ralm';
 * const collection = await openCollection({ path: 'my-index', create: true });
 * collection.add([{ id: 'a', title: 'Okapi BM25', text: 'BM25 ranks documents by term frequency and inverse document frequency.' }]);
 * await collection.commit();
 * const { hits } = await collection.search('inverse document frequency', { k: 5 });
 * await collection.close();
 * ```
 */
export { RalmError, type RalmErrorCode } from './core/errors.js';
export type { DocumentInput, StoredDocument, Explanation, Bm25Params, Metadata } from './core/types.js';
export { getAnalyzer, analyzerNames, detectLanguage, standardTokenize } from './analysis/index.js';
export type { Analyzer } from './analysis/types.js';
export { loadPaths, recordToDocument, SUPPORTED_EXTENSIONS, type LoadEvent, type LoadProblem } from './ingest/files.js';
export {
  defaults,
  openCollection,
  Collection,
  verifyCollection,
  type OpenCollectionOptions,
  type SearchOptions,
  type SearchHit,
  type SearchResult,
  type CommitResult,
  type CollectionStats,
  type VerifyReport,
} from './engine/index.js';
export { evaluateBeir, evaluateSquad, type RetrievalEvaluationOptions, type RetrievalEvaluationResult } from './engine/evaluation.js';
export { evaluate, loadBeir, loadSquad, readRun, writeRun, readQrels, type Qrels, type Run, type RunHit } from './eval/index.js';
