/**
 * Lucene 9's BM25Similarity, reproduced with Java float semantics: every float operation is
 * rounded with `Math.fround` (an operation on two floats computed in double precision and rounded
 * once gives exactly the float result, because a double holds more than 2 × 24 + 2 bits).
 */
import { RalmError } from '../../core/errors.js';
import type { Bm25Params } from '../../core/types.js';
import { LENGTH_TABLE } from './norms.js';

const f = Math.fround;

/**
 * The default BM25 parameters of ralm (Anserini's defaults for BEIR): k1 = 0.9, b = 0.4.
 *
 * @example
 * ```ts
 * new SparseSearcher({ segments, params: DEFAULT_BM25_PARAMS });
 * ```
 */
export const DEFAULT_BM25_PARAMS: Readonly<Bm25Params> = Object.freeze({ k1: 0.9, b: 0.4 });

/** Throws INVALID_ARGUMENT unless k1 is finite and ≥ 0 and b is in [0, 1] (Lucene's checks). */
export function checkBm25Params(params: Bm25Params): void {
  if (typeof params?.k1 !== 'number' || !Number.isFinite(params.k1) || params.k1 < 0) {
    throw new RalmError('INVALID_ARGUMENT', `BM25 k1 must be a finite number ≥ 0, got ${params?.k1}`);
  }
  if (typeof params.b !== 'number' || Number.isNaN(params.b) || params.b < 0 || params.b > 1) {
    throw new RalmError('INVALID_ARGUMENT', `BM25 b must be a number between 0 and 1, got ${params.b}`);
  }
}

/**
 * BM25 idf as a float: `(float) log(1 + (N - n + 0.5) / (n + 0.5))`, computed in double like Lucene.
 *
 * @example
 * ```ts
 * bm25Idf({ docFreq: 1, docCount: 10 }); // Math.fround(Math.log(1 + 9.5 / 1.5))
 * ```
 */
export function bm25Idf(statistics: { docFreq: number; docCount: number }): number {
  const { docFreq, docCount } = statistics;
  return f(Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5)));
}

/**
 * Average document length as a float: `(float) (sumTotalTermFreq / (double) docCount)`.
 *
 * @example
 * ```ts
 * bm25AverageLength({ sumTotalTermFreq: 10, docCount: 3 }); // Math.fround(10 / 3)
 * ```
 */
export function bm25AverageLength(statistics: { sumTotalTermFreq: number; docCount: number }): number {
  return f(statistics.sumTotalTermFreq / statistics.docCount);
}

/**
 * Lucene's per-norm cache: `cache[norm] = 1f / (k1 * ((1 - b) + b * LENGTH_TABLE[norm] / avgdl))`
 * evaluated left to right in float arithmetic. Non-increasing in `norm`.
 *
 * @example
 * ```ts
 * const cache = bm25NormCache({ k1: 0.9, b: 0.4 }, 12.5);
 * bm25TermScore(weight, 3, cache[intToByte4(20)]);
 * ```
 */
export function bm25NormCache(params: Bm25Params, averageLength: number): Float64Array {
  const k1 = f(params.k1);
  const b = f(params.b);
  const avgdl = f(averageLength);
  const oneMinusB = f(1 - b);
  const cache = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const lengthRatio = f(f(b * LENGTH_TABLE[i]!) / avgdl);
    cache[i] = f(1 / f(k1 * f(oneMinusB + lengthRatio)));
  }
  return cache;
}

/**
 * The query-time weight of a term: `boost * idf` in float.
 *
 * @example
 * ```ts
 * bm25Weight(2, bm25Idf({ docFreq: 1, docCount: 10 }));
 * ```
 */
export function bm25Weight(boost: number, idf: number): number {
  return f(f(boost) * f(idf));
}

/**
 * One term's score in one document, Lucene 9's `BM25Scorer.score`:
 * `weight - weight / (1f + freq * normInverse)` in float arithmetic.
 *
 * @example
 * ```ts
 * bm25TermScore(bm25Weight(1, idf), 2, cache[norm]);
 * ```
 */
export function bm25TermScore(weight: number, freq: number, normInverse: number): number {
  return f(weight - f(weight / f(1 + f(f(freq) * normInverse))));
}
