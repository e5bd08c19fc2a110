/**
 * Second-stage reranking of a first-stage candidate list: with a cross-encoder {@link RerankModel}, or with an
 * LLM-free linear model over cheap features (BM25, dense similarity, term proximity, title matches, exact phrase).
 * Every reranked hit carries an `Explanation` of its new score.
 */
import { RalmError } from '../core/errors.js';
import type { Explanation } from '../core/types.js';
import { englishAnalyzer } from '../analysis/registry.js';
import type { RerankModel } from '../models/rerank-model.js';

/**
 * A first-stage hit to rerank. `score` is its first-stage score (kept for the explanation); `bm25` and `dense` are
 * the feature reranker's inputs (absent: 0).
 *
 * @example
 * ```ts
 * const candidate: RerankCandidate = { key: 7, text: 'BM25 is a ranking function…', title: 'Okapi BM25', bm25: 11.2, dense: 0.61 };
 * ```
 */
export interface RerankCandidate {
  key: number;
  text: string;
  title?: string;
  score?: number;
  /** The BM25 score of the passage for the query. */
  bm25?: number;
  /** The dense (cosine or dot) similarity of the passage to the query. */
  dense?: number;
}

/**
 * A reranked hit: its new score, its first-stage score, and the explanation.
 *
 * @example
 * ```ts
 * const hit: RerankedHit = { key: 7, score: 3.2, previousScore: 11.2, explanation: { value: 3.2, description: 'cross-encoder score', details: [] } };
 * ```
 */
export interface RerankedHit {
  key: number;
  score: number;
  previousScore?: number;
  explanation: Explanation;
}

/**
 * Options of {@link crossEncoderRerank}.
 *
 * @example
 * ```ts
 * const options: CrossEncoderRerankOptions = { topK: 10, signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface CrossEncoderRerankOptions {
  /** Keep only the best `topK` after reranking. */
  topK?: number;
  signal?: AbortSignal;
}

function byScore<T extends { key: number; score: number }>(order: Map<number, number>) {
  return (a: T, b: T) => b.score - a.score || order.get(a.key)! - order.get(b.key)! || a.key - b.key;
}

function firstStageOrder(hits: readonly RerankCandidate[]): Map<number, number> {
  const order = new Map<number, number>();
  hits.forEach((h, i) => {
    if (!Number.isInteger(h.key)) throw new RalmError('INVALID_ARGUMENT', `hit ${i} has no integer key; got ${h.key}`);
    if (typeof h.text !== 'string') throw new RalmError('INVALID_ARGUMENT', `hit ${i} (key ${h.key}) has no text to rerank`);
    if (order.has(h.key)) throw new RalmError('INVALID_ARGUMENT', `key ${h.key} appears twice in the hits to rerank (positions ${order.get(h.key)} and ${i})`);
    order.set(h.key, i);
  });
  return order;
}

function checkTopK(topK: number | undefined): void {
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) throw new RalmError('INVALID_ARGUMENT', `topK must be an integer ≥ 1; got ${topK}`);
}

/**
 * Reranks `hits` by a cross-encoder's score of each (query, passage) pair, best first; ties keep first-stage
 * order. The explanation names the model and keeps the first-stage score (which does not enter the new score).
 *
 * @example
 * ```ts
 * const reranker = await createOnnxReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const reranked = await crossEncoderRerank(reranker, 'what is bm25', hits, { topK: 10 });
 * ```
 */
export async function crossEncoderRerank(model: RerankModel, query: string, hits: readonly RerankCandidate[], options: CrossEncoderRerankOptions = {}): Promise<RerankedHit[]> {
  checkTopK(options.topK);
  const order = firstStageOrder(hits);
  if (hits.length === 0) return [];
  const scores = await model.rerank(query, hits.map((h) => h.text), options.signal ? { signal: options.signal } : {});
  if (!Array.isArray(scores) || scores.length !== hits.length) {
    throw new RalmError('PROVIDER', `reranker ${model.modelId} returned ${Array.isArray(scores) ? scores.length : 'no'} scores for ${hits.length} passages`);
  }
  const reranked = hits.map((h, i): RerankedHit => {
    const score = scores[i]!;
    if (!Number.isFinite(score)) throw new RalmError('PROVIDER', `reranker ${model.modelId} returned a non-finite score for passage ${i} (key ${h.key}): ${score}`);
    const details: Explanation[] = h.score !== undefined ? [{ value: h.score, description: 'first-stage score (replaced, not combined)', details: [] }] : [];
    return {
      key: h.key,
      score,
      ...(h.score !== undefined ? { previousScore: h.score } : {}),
      explanation: { value: score, description: `cross-encoder score of (query, passage) from ${model.provider} model ${model.modelId}`, details },
    };
  });
  reranked.sort(byScore(order));
  return options.topK !== undefined ? reranked.slice(0, options.topK) : reranked;
}

/** The features of {@link featureRerank}. */
export type RerankFeature = 'bm25' | 'dense' | 'proximity' | 'title' | 'phrase';

/**
 * Default feature weights (the training issue fits better ones): the score is Σ weight × feature.
 *
 * @example
 * ```ts
 * const weights = { ...DEFAULT_FEATURE_WEIGHTS, dense: 2 };
 * ```
 */
export const DEFAULT_FEATURE_WEIGHTS: Readonly<Record<RerankFeature, number>> = Object.freeze({
  bm25: 1,
  dense: 1,
  proximity: 0.5,
  title: 0.25,
  phrase: 0.5,
});

/**
 * Options of {@link featureRerank}.
 *
 * @example
 * ```ts
 * const options: FeatureRerankOptions = { analyzer: getAnalyzer('cjk'), weights: { title: 0 }, topK: 20 };
 * ```
 */
export interface FeatureRerankOptions {
  /** Turns query, passage and title into terms; use the collection's analyzer. Default: the English analyzer. */
  analyzer?: { analyze(text: string): string[] };
  /** Overrides of {@link DEFAULT_FEATURE_WEIGHTS}. */
  weights?: Partial<Record<RerankFeature, number>>;
  topK?: number;
}

/**
 * A hit reranked by features: the feature values that made its score, with the explanation.
 *
 * @example
 * ```ts
 * const [best] = featureRerank('okapi bm25', hits);
 * console.log(best.features.proximity, best.explanation.details.map((d) => d.description));
 * ```
 */
export interface FeatureRerankedHit extends RerankedHit {
  features: Record<RerankFeature, number>;
}

/**
 * The smallest number of consecutive tokens of `tokens` that contains every term of `terms` (each at least once);
 * `Infinity` when some term never occurs, 0 when `terms` is empty. Linear time (a sliding window).
 *
 * @example
 * ```ts
 * minimumCoveringWindow(['a', 'x', 'b', 'a', 'y', 'b'], new Set(['a', 'b'])); // 2 ("b a")
 * ```
 */
export function minimumCoveringWindow(tokens: readonly string[], terms: ReadonlySet<string>): number {
  if (terms.size === 0) return 0;
  const counts = new Map<string, number>();
  let covered = 0;
  let best = Infinity;
  let left = 0;
  for (let right = 0; right < tokens.length; right++) {
    const t = tokens[right]!;
    if (!terms.has(t)) continue;
    const c = (counts.get(t) ?? 0) + 1;
    counts.set(t, c);
    if (c === 1) covered++;
    while (covered === terms.size) {
      best = Math.min(best, right - left + 1);
      const l = tokens[left]!;
      if (terms.has(l)) {
        const lc = counts.get(l)! - 1;
        counts.set(l, lc);
        if (lc === 0) covered--;
      }
      left++;
    }
  }
  return best;
}

function containsSequence(tokens: readonly string[], sequence: readonly string[]): boolean {
  outer: for (let i = 0; i + sequence.length <= tokens.length; i++) {
    for (let j = 0; j < sequence.length; j++) if (tokens[i + j] !== sequence[j]) continue outer;
    return true;
  }
  return false;
}

const FEATURE_ORDER: readonly RerankFeature[] = ['bm25', 'dense', 'proximity', 'title', 'phrase'];

/**
 * Reranks `hits` by a linear model over five features, without any language model:
 *
 * - `bm25`: the hit's BM25 score divided by the highest BM25 score among the hits (0 when absent);
 * - `dense`: the hit's dense similarity as given (0 when absent);
 * - `proximity`: with Q the distinct query terms, M those in the passage and w the minimum window of passage tokens
 *   covering M: (|M| / |Q|) · (|M| / w), 0 when M is empty — 1 when every query term occurs and they are adjacent;
 * - `title`: the fraction of distinct query terms that occur in the title;
 * - `phrase`: 1 when the query (at least two terms, in order) occurs contiguously in the passage or the title;
 *
 * score = Σ weight × feature. Terms and positions come from `analyzer` (stop words removed, so positions are
 * positions among the remaining terms). Ties keep first-stage order.
 *
 * @example
 * ```ts
 * const reranked = featureRerank('okapi bm25 ranking', [
 *   { key: 1, text: 'BM25 ranking was developed in the Okapi system', bm25: 9.1, dense: 0.55, title: 'Okapi BM25' },
 *   { key: 2, text: 'Okapi is a genus of mammals; ranking of species', bm25: 7.4, dense: 0.21 },
 * ]);
 * reranked[0].key; // 1
 * ```
 */
export function featureRerank(query: string, hits: readonly RerankCandidate[], options: FeatureRerankOptions = {}): FeatureRerankedHit[] {
  checkTopK(options.topK);
  const order = firstStageOrder(hits);
  const weights = { ...DEFAULT_FEATURE_WEIGHTS, ...options.weights };
  for (const f of FEATURE_ORDER) {
    if (!Number.isFinite(weights[f])) throw new RalmError('INVALID_ARGUMENT', `feature weight ${f} must be a finite number; got ${weights[f]}`);
  }
  const analyzer = options.analyzer ?? englishAnalyzer;
  const queryTokens = analyzer.analyze(query);
  const queryTerms = new Set(queryTokens);
  let maxBm25 = 0;
  for (const h of hits) if (h.bm25 !== undefined && h.bm25 > maxBm25) maxBm25 = h.bm25;

  const reranked = hits.map((h): FeatureRerankedHit => {
    const tokens = analyzer.analyze(h.text);
    const titleTokens = h.title !== undefined ? analyzer.analyze(h.title) : [];
    const present = new Set(tokens.filter((t) => queryTerms.has(t)));
    const window = minimumCoveringWindow(tokens, present);
    const titleTerms = new Set(titleTokens.filter((t) => queryTerms.has(t)));
    const phrase = queryTokens.length >= 2 && (containsSequence(tokens, queryTokens) || containsSequence(titleTokens, queryTokens));
    const features: Record<RerankFeature, number> = {
      bm25: h.bm25 !== undefined && maxBm25 > 0 ? h.bm25 / maxBm25 : 0,
      dense: h.dense ?? 0,
      proximity: present.size === 0 ? 0 : (present.size / queryTerms.size) * (present.size / window),
      title: queryTerms.size === 0 ? 0 : titleTerms.size / queryTerms.size,
      phrase: phrase ? 1 : 0,
    };
    const why: Record<RerankFeature, string> = {
      bm25: h.bm25 === undefined ? 'bm25: no BM25 score' : `bm25: ${h.bm25} / highest BM25 among the hits ${maxBm25}`,
      dense: h.dense === undefined ? 'dense: no dense similarity' : `dense: similarity ${h.dense}`,
      proximity:
        present.size === 0
          ? 'proximity: no query term in the passage'
          : `proximity: (${present.size} of ${queryTerms.size} query terms) × (${present.size} terms / window of ${window} tokens)`,
      title: h.title === undefined ? 'title: no title' : `title: ${titleTerms.size} of ${queryTerms.size} query terms in the title`,
      phrase: queryTokens.length < 2 ? 'phrase: the query has fewer than two terms' : phrase ? 'phrase: the query occurs as a phrase' : 'phrase: no exact phrase match',
    };
    let score = 0;
    const details: Explanation[] = [];
    for (const f of FEATURE_ORDER) {
      const contribution = weights[f] * features[f];
      score += contribution;
      details.push({
        value: contribution,
        description: `weight ${weights[f]} × ${f} ${features[f]}`,
        details: [{ value: features[f], description: why[f], details: [] }],
      });
    }
    if (h.score !== undefined) details.push({ value: 0, description: `first-stage score ${h.score} (replaced, not combined)`, details: [] });
    return {
      key: h.key,
      score,
      ...(h.score !== undefined ? { previousScore: h.score } : {}),
      features,
      explanation: { value: score, description: 'feature rerank score, computed as the sum of weight × feature over:', details },
    };
  });
  reranked.sort(byScore(order));
  return options.topK !== undefined ? reranked.slice(0, options.topK) : reranked;
}
