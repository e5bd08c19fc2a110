/**
 * Evidence weighting: turns the fused retrieval scores of the passages a question retrieved into attention-like
 * weights (a softmax with a temperature), assigns citation keys `1`, `2`, … in weight order (cited as `[1]`, `[2]`),
 * and drops passages under a relevance floor so that "nothing relevant was retrieved" can be detected.
 */
import { RalmError } from '../core/errors.js';

/**
 * The least a passage needs to be weighed: its fused retrieval score, and optionally a citation key of its own.
 *
 * @example
 * ```ts
 * const passage: ScoredPassage = { score: 12.3 };
 * ```
 */
export interface ScoredPassage {
  /** A caller-chosen citation key (kept as given); when absent the key is the passage's rank by weight. */
  key?: string;
  /** The fused retrieval score (BM25, dense similarity, a fusion of both…). Higher is more relevant. */
  score: number;
}

/**
 * A passage with its evidence weight and citation key.
 *
 * @example
 * ```ts
 * const weighted: Weighted<{ score: number; text: string }> = { score: 12.3, text: 'Paris…', weight: 0.8, key: '1' };
 * ```
 */
export type Weighted<P extends ScoredPassage> = Omit<P, 'key' | 'weight'> & {
  /** Share of the evidence, in (0, 1]; the weights of the passages returned sum to 1. */
  weight: number;
  /** Citation key: the passage is cited as `[key]`. */
  key: string;
};

/**
 * A retrieved passage ready for answer generation: its text, where it comes from, its weight and citation key.
 * Offsets that a generator reports are relative to `text`.
 *
 * @example
 * ```ts
 * const passage: WeightedPassage = { key: '1', weight: 0.9, score: 14.2, documentId: 'd7', text: 'Paris is the capital of France.' };
 * ```
 */
export interface WeightedPassage {
  key: string;
  weight: number;
  /** The retrieval score the weight came from (informational). */
  score?: number;
  /** Id of the document the passage belongs to. */
  documentId: string;
  /** The passage text; answer offsets are relative to it. */
  text: string;
  /** The chunk key of the passage inside its document, when it is a chunk. */
  chunk?: number;
  /** The document title (informational). */
  title?: string;
}

/**
 * Options of {@link weighPassages}.
 *
 * @example
 * ```ts
 * const options: WeighOptions = { temperature: 3, floor: 5 };
 * ```
 */
export interface WeighOptions {
  /**
   * Softmax temperature, in score units: weight ∝ exp(score / temperature). Small values give (almost) all weight to
   * the top passage, large ones spread it evenly. Default {@link evidenceDefaults}.temperature.
   */
  temperature?: number;
  /**
   * Relevance floor, in score units: passages whose score is not above it are dropped before the softmax, so an
   * empty result means that nothing relevant was retrieved. Default {@link evidenceDefaults}.floor (drops only
   * passages scoring 0 or less: BM25 gives a positive score to every match).
   */
  floor?: number;
  /** Passages whose weight falls under this share are dropped too, and the rest renormalised (default 0). */
  minWeight?: number;
}

/**
 * Defaults of {@link weighPassages}. The temperature (in BM25 score units) was chosen on the tuning split (20 %) of
 * SQuAD v1.1 dev and CMRC 2018 dev questions with the extractive generator (bench/answers.ts; the tuning table is in
 * bench/results/answers.md): 4 was best among 1, 2, 4, 8, 16, and the differences were small (under one point of
 * answer containment). For scores on another scale (dense cosine, fused ranks) pass a temperature of that scale.
 *
 * @example
 * ```ts
 * evidenceDefaults.temperature; // 4
 * ```
 */
export const evidenceDefaults = {
  temperature: 4,
  floor: 0,
  minWeight: 0,
} as const;

/**
 * Weighs passages by a softmax over their scores, drops those at or under the relevance floor (and, optionally,
 * under `minWeight`), and returns them sorted by weight (then score; full ties keep the input order) with citation keys `'1'`, `'2'`, …
 * in that order (a passage's own `key`, when given, is kept). The input is not modified.
 *
 * @example
 * ```ts
 * const weighted = weighPassages([{ score: 3, text: 'b' }, { score: 9, text: 'a' }], { temperature: 3 });
 * // [{ score: 9, text: 'a', weight: 0.88, key: '1' }, { score: 3, text: 'b', weight: 0.12, key: '2' }]
 * weighPassages([{ score: 2 }], { floor: 5 }); // [] — nothing relevant
 * ```
 */
export function weighPassages<P extends ScoredPassage>(passages: readonly P[], options: WeighOptions = {}): Array<Weighted<P>> {
  const temperature = options.temperature ?? evidenceDefaults.temperature;
  const floor = options.floor ?? evidenceDefaults.floor;
  const minWeight = options.minWeight ?? evidenceDefaults.minWeight;
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RalmError('INVALID_ARGUMENT', `temperature must be a positive finite number, got ${temperature}`);
  }
  if (Number.isNaN(floor)) throw new RalmError('INVALID_ARGUMENT', 'floor must be a number, got NaN');
  if (!(minWeight >= 0 && minWeight < 1)) throw new RalmError('INVALID_ARGUMENT', `minWeight must be in [0, 1), got ${minWeight}`);
  if (!Array.isArray(passages)) throw new RalmError('INVALID_ARGUMENT', 'passages must be an array of { score } objects');
  const kept: Array<{ passage: P; index: number }> = [];
  passages.forEach((passage, index) => {
    if (typeof passage?.score !== 'number' || Number.isNaN(passage.score)) {
      throw new RalmError('INVALID_ARGUMENT', `passages[${index}].score must be a number, got ${String(passage?.score)}`);
    }
    if (passage.score > floor) kept.push({ passage, index });
  });
  let weights = softmax(kept.map((k) => k.passage.score), temperature);
  let survivors = kept.map((k, i) => ({ ...k, weight: weights[i]! }));
  if (minWeight > 0) {
    survivors = survivors.filter((s) => s.weight >= minWeight);
    const total = survivors.reduce((sum, s) => sum + s.weight, 0);
    weights = survivors.map((s) => s.weight / total);
    survivors = survivors.map((s, i) => ({ ...s, weight: weights[i]! }));
  }
  survivors.sort((a, b) => b.weight - a.weight || b.passage.score - a.passage.score || a.index - b.index);
  return survivors.map(({ passage, weight }, rank) => {
    const { key, ...rest } = passage;
    return { ...rest, weight, key: key ?? String(rank + 1) } as unknown as Weighted<P>;
  });
}

/** Numerically stable softmax of `scores / temperature` (empty in, empty out). */
function softmax(scores: readonly number[], temperature: number): number[] {
  if (scores.length === 0) return [];
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  if (max === Infinity) {
    const infinite = scores.filter((s) => s === Infinity).length;
    return scores.map((s) => (s === Infinity ? 1 / infinite : 0));
  }
  const exps = scores.map((s) => Math.exp((s - max) / temperature));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
