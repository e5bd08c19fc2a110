/**
 * Similarities between two vectors or two term sets, each with an `explain…` twin that returns an
 * `Explanation` naming the formula and its inputs.
 */
import type { Explanation } from '../core/types.js';
import { RalmError } from '../core/errors.js';
import { dotProduct, squaredL2Distance, vectorNorm } from '../index/dense/distance.js';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RalmError('INVALID_ARGUMENT', `vectors must have the same length; got ${a.length} and ${b.length}`);
}

/**
 * Dot product `Σ aᵢ bᵢ`.
 *
 * @example
 * ```ts
 * dotSimilarity([1, 2], [3, 4]); // 11
 * ```
 */
export function dotSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  return dotProduct(a, b, a.length);
}

/**
 * Cosine similarity `a·b / (‖a‖ ‖b‖)`; 0 when either vector is zero.
 *
 * @example
 * ```ts
 * cosineSimilarity([1, 0], [1, 1]); // 0.7071…
 * ```
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  const denominator = vectorNorm(a) * vectorNorm(b);
  return denominator > 0 ? dotProduct(a, b, a.length) / denominator : 0;
}

/**
 * Euclidean distance `‖a − b‖`.
 *
 * @example
 * ```ts
 * l2Distance([0, 0], [3, 4]); // 5
 * ```
 */
export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  return Math.sqrt(squaredL2Distance(a, b, a.length));
}

/**
 * A similarity from the Euclidean distance: `1 / (1 + ‖a − b‖)`, in (0, 1], 1 for identical vectors.
 *
 * @example
 * ```ts
 * l2Similarity([0, 0], [3, 4]); // 1 / 6
 * ```
 */
export function l2Similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 1 / (1 + l2Distance(a, b));
}

/**
 * Jaccard similarity of two term sets `|A ∩ B| / |A ∪ B|` (exact; duplicates ignored); 0 for two empty sets.
 *
 * @example
 * ```ts
 * jaccardSimilarity(['a', 'b', 'c'], ['b', 'c', 'd']); // 0.5
 * ```
 */
export function jaccardSimilarity(a: Iterable<string>, b: Iterable<string>): number {
  const { intersection, union } = setCounts(a, b);
  return union === 0 ? 0 : intersection / union;
}

function setCounts(a: Iterable<string>, b: Iterable<string>): { intersection: number; union: number } {
  const left = new Set(a);
  const right = new Set(b);
  let intersection = 0;
  for (const term of left) if (right.has(term)) intersection++;
  return { intersection, union: left.size + right.size - intersection };
}

const leaf = (value: number, description: string): Explanation => ({ value, description, details: [] });

/**
 * The similarity kinds understood by {@link similarity} and {@link explainSimilarity}.
 *
 * @example
 * ```ts
 * const kind: VectorSimilarityKind = 'cosine';
 * ```
 */
export type VectorSimilarityKind = 'cosine' | 'dot' | 'l2-distance' | 'l2-similarity';

/**
 * Computes the named vector similarity (or distance, for `'l2-distance'`).
 *
 * @example
 * ```ts
 * similarity('l2-distance', [0, 0], [3, 4]); // 5
 * ```
 */
export function similarity(kind: VectorSimilarityKind, a: ArrayLike<number>, b: ArrayLike<number>): number {
  switch (kind) {
    case 'cosine':
      return cosineSimilarity(a, b);
    case 'dot':
      return dotSimilarity(a, b);
    case 'l2-distance':
      return l2Distance(a, b);
    case 'l2-similarity':
      return l2Similarity(a, b);
    default:
      throw new RalmError('INVALID_ARGUMENT', `unknown similarity ${JSON.stringify(kind)}; valid: cosine, dot, l2-distance, l2-similarity`);
  }
}

/**
 * The named similarity as an explanation tree: the value, the formula, and its factors.
 *
 * @example
 * ```ts
 * explainSimilarity('cosine', [1, 0], [1, 1]);
 * // { value: 0.707…, description: 'cosine similarity, computed as dot / (norm(a) * norm(b)) from:', details: [dot 1, norm(a) 1, norm(b) 1.414…] }
 * ```
 */
export function explainSimilarity(kind: VectorSimilarityKind, a: ArrayLike<number>, b: ArrayLike<number>): Explanation {
  const value = similarity(kind, a, b);
  switch (kind) {
    case 'cosine':
      return {
        value,
        description: 'cosine similarity, computed as dot / (norm(a) * norm(b)) from:',
        details: [leaf(dotProduct(a, b, a.length), 'dot, sum of a[i] * b[i]'), leaf(vectorNorm(a), 'norm(a)'), leaf(vectorNorm(b), 'norm(b)')],
      };
    case 'dot':
      return { value, description: `dot product, sum of a[i] * b[i] over ${a.length} dimensions`, details: [] };
    case 'l2-distance':
      return { value, description: 'euclidean distance, computed as sqrt(squaredDistance) from:', details: [leaf(squaredL2Distance(a, b, a.length), 'squaredDistance, sum of (a[i] - b[i])^2')] };
    default:
      return { value, description: 'l2 similarity, computed as 1 / (1 + distance) from:', details: [leaf(l2Distance(a, b), 'distance, euclidean')] };
  }
}

/**
 * Jaccard similarity as an explanation tree.
 *
 * @example
 * ```ts
 * explainJaccard(['a', 'b'], ['b']); // { value: 0.5, description: 'jaccard similarity, computed as |A ∩ B| / |A ∪ B| from:', … }
 * ```
 */
export function explainJaccard(a: Iterable<string>, b: Iterable<string>): Explanation {
  const { intersection, union } = setCounts(a, b);
  return {
    value: union === 0 ? 0 : intersection / union,
    description: 'jaccard similarity, computed as |A ∩ B| / |A ∪ B| from:',
    details: [leaf(intersection, '|A ∩ B|, distinct terms in both'), leaf(union, '|A ∪ B|, distinct terms in either')],
  };
}
