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
export { indexPaths, type IndexPathsOptions, type IndexPathsReport } from './engine/ingest.js';
export { searchAndRerank, DEFAULT_RERANK_DEPTH, type RerankSearchOptions } from './engine/rerank.js';
export { ask, askStream, type AskOptions, type AskResult, type AskEvent, type AskCitation, type AskPassage } from './engine/ask.js';
export { openConversation, condenseQuestion, type Conversation } from './engine/conversation.js';
export {
  summarize,
  summarizeStream,
  chatTurn,
  chatTurnStream,
  classify,
  collectionLabels,
  extract,
  defaultExtractionSchema,
  type SummarizeOptions,
  type SummaryResult,
  type ClassifyOptions,
  type ClassifyResult,
  type ChatTurnOptions,
  type ChatTurnResult,
} from './engine/tasks.js';
export { DEFAULT_DENSE_SETTINGS, parseEmbedderSpec, type DenseSettings, type DenseOptions, type DenseHnswSettings, type DenseStats, type EmbedProgress } from './engine/dense.js';
export { chunkDocument, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './ingest/chunk.js';
export { parseFilter, compileFilter, filterFromJson, formatFilter, type FilterNode } from './retrieve/filter.js';
export { reciprocalRankFusion, normalizedScoreFusion, attentionFusion, type RankedList, type FusedHit } from './retrieve/fusion.js';
export { maximalMarginalRelevance } from './retrieve/mmr.js';
export { featureRerank, crossEncoderRerank } from './retrieve/rerank.js';
export type { LanguageModel, ChatMessage, GenerateRequest, GenerateResult, StreamEvent, EmbeddingModel, RerankModel } from './models/index.js';
export { createOpenAICompatible } from './generate/providers/openai/index.js';
export { createExtractiveGenerator } from './generate/providers/extractive/index.js';
export { createOnnxEmbedder, createOnnxReranker, createOpenAICompatibleEmbedder, createCachedEmbedder, createLsaEmbedder } from './embed/index.js';
