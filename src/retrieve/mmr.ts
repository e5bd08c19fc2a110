/**
 * Maximal marginal relevance (Carbonell & Goldstein 1998): re-rank candidates so each next pick maximises
 * `λ · relevance(d) − (1 − λ) · max over already picked s of similarity(d, s)`.
 */
import { RalmError } from '../core/errors.js';
import { cosineSimilarity } from './similarity.js';

/**
 * Options of {@link maximalMarginalRelevance}. Give either `vectors` (cosine similarity between them) or a
 * `similarity(a, b)` callback over keys.
 *
 * @example
 * ```ts
 * const options: MmrOptions = { candidates: hits, vectors: (key) => model.documentVector(key), lambda: 0.7, k: 10 };
 * ```
 */
export interface MmrOptions {
  /** Candidates with their relevance scores (used as given; normalise them first if their scale is not comparable to the similarity's). */
  candidates: ReadonlyArray<{ key: number; score: number }>;
  /** Trade-off λ in [0, 1]: 1 = relevance only, 0 = diversity only. */
  lambda: number;
  /** How many keys to return. Default: all candidates. */
  k?: number;
  /** A candidate's vector; similarities are cosine. */
  vectors?: (key: number) => ArrayLike<number>;
  /** A pairwise similarity callback (overrides `vectors`). */
  similarity?: (a: number, b: number) => number;
}

/**
 * Greedy MMR re-ranking; returns the picked keys in order. Ties go to the higher relevance, then the smaller key.
 * Cost: O(k · n) similarity evaluations.
 *
 * @example
 * ```ts
 * maximalMarginalRelevance({
 *   candidates: [{ key: 1, score: 0.9 }, { key: 2, score: 0.89 }, { key: 3, score: 0.5 }],
 *   similarity: (a, b) => (a + b === 3 ? 1 : 0), // 1 and 2 are near-duplicates
 *   lambda: 0.5,
 *   k: 2,
 * }); // [1, 3]
 * ```
 */
export function maximalMarginalRelevance(options: MmrOptions): number[] {
  const { candidates, lambda } = options;
  if (!(lambda >= 0 && lambda <= 1)) throw new RalmError('INVALID_ARGUMENT', `lambda must be in [0, 1]; got ${lambda}`);
  const k = Math.min(options.k ?? candidates.length, candidates.length);
  if (!Number.isInteger(k) || k < 0) throw new RalmError('INVALID_ARGUMENT', `k must be a non-negative integer; got ${options.k}`);
  let pairwise = options.similarity;
  if (pairwise === undefined) {
    const vectors = options.vectors;
    if (vectors === undefined) throw new RalmError('INVALID_ARGUMENT', 'maximalMarginalRelevance needs either vectors or a similarity callback');
    const cache = new Map<number, ArrayLike<number>>();
    const vectorOf = (key: number): ArrayLike<number> => {
      let vector = cache.get(key);
      if (vector === undefined) cache.set(key, (vector = vectors(key)));
      return vector;
    };
    pairwise = (a, b) => cosineSimilarity(vectorOf(a), vectorOf(b));
  }
  const n = candidates.length;
  const maxSimilarity = new Float64Array(n).fill(-Infinity);
  const picked = new Uint8Array(n);
  const order: number[] = [];
  for (let step = 0; step < k; step++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < n; i++) {
      if (picked[i]) continue;
      const candidate = candidates[i]!;
      const redundancy = step === 0 ? 0 : maxSimilarity[i]!;
      const value = lambda * candidate.score - (1 - lambda) * redundancy;
      if (
        best < 0 ||
        value > bestValue ||
        (value === bestValue && (candidate.score > candidates[best]!.score || (candidate.score === candidates[best]!.score && candidate.key < candidates[best]!.key)))
      ) {
        best = i;
        bestValue = value;
      }
    }
    picked[best] = 1;
    const chosen = candidates[best]!.key;
    order.push(chosen);
    if (step + 1 < k) {
      for (let i = 0; i < n; i++) {
        if (picked[i]) continue;
        const s = pairwise(candidates[i]!.key, chosen);
        if (s > maxSimilarity[i]!) maxSimilarity[i] = s;
      }
    }
  }
  return order;
}
