/**
 * Extractive summarisation by sentence centrality: continuous LexRank (Erkan & Radev 2004) over TF-IDF cosine
 * similarities between the sentences of the given passages, mixed with relevance to a query when there is one, and
 * maximal marginal relevance (MMR) against redundancy. Every sentence chosen is an exact span of its passage.
 */
import { RalmError } from '../../core/errors.js';
import { maximalMarginalRelevance } from '../../retrieve/mmr.js';
import { splitSentences } from '../sentences.js';

/**
 * A passage to summarise: `key` is its citation key; sentence offsets are relative to `text`.
 *
 * @example
 * ```ts
 * const passage: SummaryPassage = { key: '1', text: 'BM25 ranks documents. It saturates term frequency.' };
 * ```
 */
export interface SummaryPassage {
  key: string;
  text: string;
}

/**
 * Options of {@link selectCentralSentences}.
 *
 * @example
 * ```ts
 * const options: SentenceSelectionOptions = { analyzer: getAnalyzer('english'), query: 'ranking', maxSentences: 3 };
 * ```
 */
export interface SentenceSelectionOptions {
  /** Text → terms (use the collection's analyzer). */
  analyzer: { analyze(text: string): string[] };
  /** A query to focus on: its TF-IDF cosine with each sentence is mixed into the score. */
  query?: string;
  /** Most sentences chosen (default {@link lexRankDefaults}.maxSentences). */
  maxSentences?: number;
  /** Term weights; default ln(1 + N / df) over the candidate sentences. */
  idf?: (term: string) => number;
  /** Share of query relevance in the score when a query is given (default {@link lexRankDefaults}.queryWeight). */
  queryWeight?: number;
  /** MMR trade-off: 1 = score only, 0 = novelty only (default {@link lexRankDefaults}.mmrLambda). */
  mmrLambda?: number;
  /** A candidate at least this cosine-similar to a chosen sentence is a near-duplicate and skipped (default {@link lexRankDefaults}.redundancy). */
  redundancy?: number;
  /** LexRank damping factor (default {@link lexRankDefaults}.damping). */
  damping?: number;
  /** Sentences with fewer distinct terms are not candidates unless no sentence has that many (default 3). */
  minTerms?: number;
  /** Most candidate sentences considered, in passage order (default {@link lexRankDefaults}.maxCandidates). */
  maxCandidates?: number;
  /** Order of the result: `document` (passage, then position; default) or `score` (best first). */
  order?: 'document' | 'score';
}

/**
 * A chosen sentence: `text === passages[passageIndex].text.slice(start, end)`.
 *
 * @example
 * ```ts
 * const s: CentralSentence = { key: '1', passageIndex: 0, start: 0, end: 22, text: 'BM25 ranks documents.', score: 0.9, centrality: 1, relevance: 0.8 };
 * ```
 */
export interface CentralSentence {
  key: string;
  passageIndex: number;
  start: number;
  end: number;
  text: string;
  /** The mixed score MMR started from, in [0, 1]. */
  score: number;
  /** LexRank centrality divided by the largest, in [0, 1]. */
  centrality: number;
  /** Query cosine divided by the largest (0 without a query), in [0, 1]. */
  relevance: number;
}

/**
 * Defaults of {@link selectCentralSentences}. The damping (0.85) is the usual PageRank value; the query weight gives
 * relevance and centrality equal shares; λ = 0.6 keeps MMR mostly score-driven, and a cosine of 0.8 or more to a chosen
 * sentence marks a near-duplicate that is never chosen (MEAD's redundancy cut).
 *
 * @example
 * ```ts
 * lexRankDefaults.maxSentences; // 3
 * ```
 */
export const lexRankDefaults = {
  maxSentences: 3,
  queryWeight: 0.5,
  mmrLambda: 0.6,
  redundancy: 0.8,
  damping: 0.85,
  minTerms: 3,
  maxCandidates: 1500,
  iterations: 100,
  tolerance: 1e-9,
} as const;

type Vector = Map<string, number>;

function norm(v: Vector): number {
  let s = 0;
  for (const x of v.values()) s += x * x;
  return Math.sqrt(s);
}

function cosine(a: Vector, an: number, b: Vector, bn: number): number {
  if (an === 0 || bn === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [term, x] of small) {
    const y = large.get(term);
    if (y !== undefined) dot += x * y;
  }
  return dot / (an * bn);
}

/**
 * Picks the most central, least redundant sentences of `passages` (optionally focused on a query):
 * 1. split every passage into sentences; each becomes a TF-IDF vector of its analyzed terms;
 * 2. centrality = the stationary distribution of the random walk over the cosine-similarity graph (continuous LexRank,
 *    damping `d`: p = (1 − d)/n + d · Mᵀp with M the row-normalised similarity matrix without self-loops);
 * 3. score = (1 − w) · centrality/max + w · relevance/max, where relevance is the cosine with the query (w = 0 without one);
 * 4. greedy MMR over the cosine similarities picks `maxSentences`, skipping near-duplicates (cosine ≥ `redundancy`)
 *    of a sentence already chosen.
 *
 * @example
 * ```ts
 * const picked = selectCentralSentences(
 *   [{ key: '1', text: 'BM25 ranks documents by term frequency. BM25 saturates term frequency. Cats sleep a lot.' }],
 *   { analyzer: getAnalyzer('english'), maxSentences: 1 },
 * );
 * picked[0].text; // 'BM25 ranks documents by term frequency.' (or the other BM25 sentence)
 * ```
 */
export function selectCentralSentences(passages: readonly SummaryPassage[], options: SentenceSelectionOptions): CentralSentence[] {
  if (typeof options?.analyzer?.analyze !== 'function') throw new RalmError('INVALID_ARGUMENT', 'selectCentralSentences needs an analyzer with analyze(text)');
  const maxSentences = options.maxSentences ?? lexRankDefaults.maxSentences;
  if (!Number.isInteger(maxSentences) || maxSentences < 1) throw new RalmError('INVALID_ARGUMENT', `maxSentences must be a positive integer, got ${maxSentences}`);
  const queryWeight = options.query && options.query.trim() !== '' ? (options.queryWeight ?? lexRankDefaults.queryWeight) : 0;
  if (!(queryWeight >= 0 && queryWeight <= 1)) throw new RalmError('INVALID_ARGUMENT', `queryWeight must be in [0, 1], got ${queryWeight}`);
  const damping = options.damping ?? lexRankDefaults.damping;
  if (!(damping >= 0 && damping < 1)) throw new RalmError('INVALID_ARGUMENT', `damping must be in [0, 1), got ${damping}`);
  const minTerms = options.minTerms ?? lexRankDefaults.minTerms;
  const maxCandidates = options.maxCandidates ?? lexRankDefaults.maxCandidates;

  // 1. candidate sentences with their term counts
  type Candidate = { passageIndex: number; start: number; end: number; text: string; counts: Map<string, number> };
  const all: Candidate[] = [];
  passages.forEach((passage, passageIndex) => {
    for (const s of splitSentences(passage.text)) {
      if (all.length >= maxCandidates) return;
      const counts = new Map<string, number>();
      for (const term of options.analyzer.analyze(s.text)) counts.set(term, (counts.get(term) ?? 0) + 1);
      if (counts.size > 0) all.push({ passageIndex, start: s.start, end: s.end, text: s.text, counts });
    }
  });
  let candidates = all.filter((c) => c.counts.size >= minTerms);
  if (candidates.length === 0) candidates = all;
  const n = candidates.length;
  if (n === 0) return [];

  // 2. TF-IDF vectors
  let idf = options.idf;
  if (!idf) {
    const df = new Map<string, number>();
    for (const c of candidates) for (const term of c.counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    idf = (term) => Math.log(1 + n / (df.get(term) ?? 1));
  }
  const vectors: Vector[] = candidates.map((c) => {
    const v: Vector = new Map();
    for (const [term, tf] of c.counts) v.set(term, tf * idf!(term));
    return v;
  });
  const norms = vectors.map(norm);
  const similarity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    similarity[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      const s = cosine(vectors[i]!, norms[i]!, vectors[j]!, norms[j]!);
      similarity[i * n + j] = s;
      similarity[j * n + i] = s;
    }
  }

  // 3. continuous LexRank by power iteration
  const rowSums = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) if (j !== i) s += similarity[i * n + j]!;
    rowSums[i] = s;
  }
  let p = new Float64Array(n).fill(1 / n);
  for (let iteration = 0; iteration < lexRankDefaults.iterations; iteration++) {
    const next = new Float64Array(n).fill((1 - damping) / n);
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      if (rowSums[i] === 0) {
        dangling += p[i]!;
        continue;
      }
      const share = (damping * p[i]!) / rowSums[i]!;
      for (let j = 0; j < n; j++) if (j !== i) next[j]! += share * similarity[i * n + j]!;
    }
    if (dangling > 0) for (let j = 0; j < n; j++) next[j]! += (damping * dangling) / n;
    let delta = 0;
    for (let j = 0; j < n; j++) delta += Math.abs(next[j]! - p[j]!);
    p = next;
    if (delta < lexRankDefaults.tolerance) break;
  }
  const maxCentrality = Math.max(...p);
  const centrality = Array.from(p, (x) => (maxCentrality > 0 ? x / maxCentrality : 0));

  let relevance = new Array<number>(n).fill(0);
  if (queryWeight > 0) {
    const q: Vector = new Map();
    for (const term of options.analyzer.analyze(options.query!)) q.set(term, (q.get(term) ?? 0) + idf(term));
    const qn = norm(q);
    const raw = vectors.map((v, i) => cosine(v, norms[i]!, q, qn));
    const maxRelevance = Math.max(...raw);
    relevance = raw.map((x) => (maxRelevance > 0 ? x / maxRelevance : 0));
  }
  const scores = centrality.map((c, i) => (1 - queryWeight) * c + queryWeight * relevance[i]!);

  // 4. MMR order, without near-duplicates of what is already chosen
  const redundancy = options.redundancy ?? lexRankDefaults.redundancy;
  const order = maximalMarginalRelevance({
    candidates: scores.map((score, key) => ({ key, score })),
    similarity: (a, b) => similarity[a * n + b]!,
    lambda: options.mmrLambda ?? lexRankDefaults.mmrLambda,
    k: Math.min(n, maxSentences * 4),
  });
  const picked: number[] = [];
  for (const i of order) {
    if (picked.length >= maxSentences) break;
    if (picked.every((j) => similarity[i * n + j]! < redundancy)) picked.push(i);
  }
  const chosen = picked.map((i) => {
    const c = candidates[i]!;
    return {
      key: passages[c.passageIndex]!.key,
      passageIndex: c.passageIndex,
      start: c.start,
      end: c.end,
      text: c.text,
      score: scores[i]!,
      centrality: centrality[i]!,
      relevance: relevance[i]!,
    };
  });
  if ((options.order ?? 'document') === 'document') chosen.sort((a, b) => a.passageIndex - b.passageIndex || a.start - b.start);
  return chosen;
}
