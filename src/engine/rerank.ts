/**
 * Search followed by a second-stage rerank of the first stage's top candidates: either ralm's LLM-free feature
 * reranker (first-stage score, term proximity, title matches, exact phrase; linear weights) or a cross-encoder
 * (an ONNX model id or folder through @huggingface/transformers, loaded lazily).
 */
import { RalmError } from '../core/errors.js';
import type { Explanation } from '../core/types.js';
import { getAnalyzer } from '../analysis/index.js';
import type { RerankModel } from '../models/rerank-model.js';
import { createOnnxReranker } from '../embed/onnx/reranker.js';
import { crossEncoderRerank, featureRerank, type RerankCandidate, type RerankFeature, type RerankedHit } from '../retrieve/rerank.js';
import type { Collection, SearchHit, SearchOptions, SearchResult } from './collection.js';

/** Candidates reranked by default: the first stage's top 50. */
export const DEFAULT_RERANK_DEPTH = 50;

/**
 * Options of {@link searchAndRerank}: the search's, plus the reranker.
 *
 * @example
 * ```ts
 * const options: RerankSearchOptions = { k: 10, rerank: 'features', depth: 50 };
 * ```
 */
export interface RerankSearchOptions extends SearchOptions {
  /** `features` (no model), a cross-encoder model id or folder, or a {@link RerankModel} instance. */
  rerank: 'features' | string | RerankModel;
  /** First-stage candidates to rerank (default {@link DEFAULT_RERANK_DEPTH}; at least `k`). */
  depth?: number;
  /** Feature weights of the feature reranker (defaults: `DEFAULT_FEATURE_WEIGHTS`). */
  weights?: Partial<Record<RerankFeature, number>>;
  signal?: AbortSignal;
}

/**
 * Searches `collection`, then reranks the top `depth` candidates and keeps the best `k`. Hits keep their
 * document fields; `score` becomes the reranker's, and with `explain` the explanation is the reranker's
 * (naming the first-stage score it replaced).
 *
 * @example
 * ```ts
 * const { hits } = await searchAndRerank(collection, 'how are commits made durable', { k: 5, rerank: 'features' });
 * ```
 */
export async function searchAndRerank(collection: Collection, query: string, options: RerankSearchOptions): Promise<SearchResult> {
  const k = options.k ?? 10;
  const depth = options.depth ?? Math.max(DEFAULT_RERANK_DEPTH, k);
  if (!Number.isInteger(depth) || depth < 1) throw new RalmError('INVALID_ARGUMENT', `rerank depth must be an integer ≥ 1; got ${depth}`);
  const { rerank, depth: _depth, weights, signal, ...search } = options;
  const first = await collection.search(query, { ...search, k: Math.max(depth, k), documents: true, text: true });
  const candidates: RerankCandidate[] = first.hits.map((h) => ({
    key: h.chunk,
    text: h.text ?? '',
    ...(h.title ? { title: h.title } : {}),
    score: h.score,
    // the feature reranker's first-stage inputs: BM25 in bm25 mode, the similarity in dense mode, the fused score in hybrid
    ...((options.mode ?? 'bm25') === 'dense' ? { dense: h.score } : { bm25: h.score }),
  }));
  let reranked: RerankedHit[];
  if (rerank === 'features') {
    reranked = featureRerank(query, candidates, { analyzer: getAnalyzer(collection.stats().analyzer), ...(weights ? { weights } : {}) });
  } else if (typeof rerank === 'string') {
    const model = await loadCrossEncoder(rerank);
    try {
      reranked = await crossEncoderRerank(model, query, candidates, signal ? { signal } : {});
    } finally {
      await model.close?.();
    }
  } else {
    reranked = await crossEncoderRerank(rerank, query, candidates, signal ? { signal } : {});
  }
  const byKey = new Map(first.hits.map((h) => [h.chunk, h]));
  const hits: SearchHit[] = reranked.slice(0, k).map((r, i) => {
    const hit = byKey.get(r.key)!;
    const { text, explanation, ...rest } = hit;
    const out: SearchHit = { ...rest, rank: i + 1, score: r.score };
    if (options.text) out.text = text;
    if (options.explain) out.explanation = withFirstStage(r.explanation, explanation);
    return out;
  });
  return { ...first, hits };
}

function withFirstStage(reranked: Explanation, firstStage: Explanation | undefined): Explanation {
  return firstStage ? { ...reranked, details: [...reranked.details, { value: firstStage.value, description: 'first-stage score, explained:', details: [firstStage] }] } : reranked;
}

/** A cross-encoder from a model id or folder (@huggingface/transformers is imported only now, by the runner). */
async function loadCrossEncoder(model: string): Promise<RerankModel> {
  return createOnnxReranker({ model });
}
