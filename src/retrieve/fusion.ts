/**
 * Fusion of several ranked lists into one (hybrid retrieval): reciprocal rank fusion, normalised score fusion and
 * attention-weighted (softmax) fusion. Every fused hit carries an `Explanation` with each retriever's rank, raw
 * score, normalised or softmax value, weight, and the formula.
 *
 * Conventions shared by all methods:
 * - each list is first sorted by score descending, ties by ascending key; a key repeated in one list keeps its
 *   best entry; rank is the 1-based position after that sort;
 * - retriever names must be unique; per-retriever `weights` default to 1; a retriever with weight 0 is dropped
 *   entirely (its documents do not enter the result unless another retriever found them);
 * - contributions are summed in ascending retriever-name order, so the result does not depend on the order of
 *   the lists; fused ties are broken by ascending key.
 */
import type { Explanation } from '../core/types.js';
import { RalmError } from '../core/errors.js';

/**
 * One retriever's ranked hits (higher score = better).
 *
 * @example
 * ```ts
 * const list: RankedList = { retriever: 'bm25', hits: [{ key: 3, score: 12.1 }, { key: 9, score: 8.4 }] };
 * ```
 */
export interface RankedList {
  retriever: string;
  hits: ReadonlyArray<{ key: number; score: number }>;
}

/**
 * A fused hit with the explanation of its score.
 *
 * @example
 * ```ts
 * const hit: FusedHit = { key: 3, score: 0.0325, explanation: { value: 0.0325, description: 'reciprocal rank fusion…', details: [] } };
 * ```
 */
export interface FusedHit {
  key: number;
  score: number;
  explanation: Explanation;
}

/**
 * The fusion defaults, in one visible place.
 *
 * @example
 * ```ts
 * const k = DEFAULT_FUSION_OPTIONS.rrfK; // 60
 * ```
 */
export const DEFAULT_FUSION_OPTIONS = {
  /** RRF's k (Cormack, Clarke & Büttcher 2009). */
  rrfK: 60,
  normalization: 'min-max' as ScoreNormalization,
  missing: 'minimum' as MissingScore,
  temperature: 1,
};

/** Options every fusion method accepts. */
interface CommonFusionOptions {
  /** Weight per retriever name; a retriever not named gets 1; 0 drops the retriever. */
  weights?: Readonly<Record<string, number>>;
  /** Return at most this many hits. Default: all. */
  limit?: number;
}

/**
 * Options of {@link reciprocalRankFusion}.
 *
 * @example
 * ```ts
 * const options: RrfOptions = { k: 60, weights: { bm25: 1, lsa: 0.5 }, limit: 100 };
 * ```
 */
export interface RrfOptions extends CommonFusionOptions {
  /** The rank offset k of `weight / (k + rank)`. Default 60. */
  k?: number;
}

/**
 * Per-list score normalisation: `'min-max'` → `(s − min) / (max − min)` (1 for every hit when max = min);
 * `'z-score'` → `(s − mean) / standardDeviation` (population; 0 for every hit when it is 0).
 *
 * @example
 * ```ts
 * const normalization: ScoreNormalization = 'z-score';
 * ```
 */
export type ScoreNormalization = 'min-max' | 'z-score';

/**
 * What a document missing from a list scores for that list: `'minimum'` → the list's smallest normalised score
 * (0 for min-max; the lowest z-score for z-score), `'zero'` → 0.
 *
 * @example
 * ```ts
 * const missing: MissingScore = 'minimum';
 * ```
 */
export type MissingScore = 'minimum' | 'zero';

/**
 * Options of {@link normalizedScoreFusion}.
 *
 * @example
 * ```ts
 * const options: ScoreFusionOptions = { normalization: 'min-max', alpha: 0.3 }; // 0.3 · first list + 0.7 · second
 * ```
 */
export interface ScoreFusionOptions extends CommonFusionOptions {
  /** Default `'min-max'`. */
  normalization?: ScoreNormalization;
  /** Default `'minimum'`. */
  missing?: MissingScore;
  /**
   * Convex combination of exactly two lists: the first list (as given) gets α, the second 1 − α. Cannot be
   * combined with `weights`.
   */
  alpha?: number;
}

/**
 * Options of {@link attentionFusion}.
 *
 * @example
 * ```ts
 * const options: AttentionFusionOptions = { temperature: { bm25: 2, lsa: 0.05 }, weights: { bm25: 0.6, lsa: 0.4 } };
 * ```
 */
export interface AttentionFusionOptions extends CommonFusionOptions {
  /** Softmax temperature τ (> 0), one for all lists or one per retriever name (unnamed ones get 1). Default 1. */
  temperature?: number | Readonly<Record<string, number>>;
}

interface PreparedList {
  retriever: string;
  weight: number;
  /** Sorted best first, keys unique. */
  hits: Array<{ key: number; score: number }>;
  rank: Map<number, number>;
}

function leaf(value: number, description: string): Explanation {
  return { value, description, details: [] };
}

function prepare(lists: readonly RankedList[], weights: Readonly<Record<string, number>> | undefined): PreparedList[] {
  const names = new Set<string>();
  for (const list of lists) {
    if (typeof list.retriever !== 'string') throw new RalmError('INVALID_ARGUMENT', 'every ranked list needs a retriever name');
    if (names.has(list.retriever)) throw new RalmError('INVALID_ARGUMENT', `retriever "${list.retriever}" appears twice; give each list a unique name`);
    names.add(list.retriever);
  }
  if (weights !== undefined) {
    for (const [name, weight] of Object.entries(weights)) {
      if (!names.has(name)) throw new RalmError('INVALID_ARGUMENT', `weight given for unknown retriever "${name}"; retrievers: ${[...names].join(', ')}`);
      if (!Number.isFinite(weight) || weight < 0) throw new RalmError('INVALID_ARGUMENT', `weight of "${name}" must be a finite non-negative number; got ${weight}`);
    }
  }
  const prepared: PreparedList[] = [];
  for (const list of lists) {
    const weight = weights?.[list.retriever] ?? 1;
    if (weight === 0) continue;
    const best = new Map<number, number>();
    for (const hit of list.hits) {
      if (!Number.isFinite(hit.score)) throw new RalmError('INVALID_ARGUMENT', `retriever "${list.retriever}" has a non-finite score ${hit.score} for key ${hit.key}`);
      const previous = best.get(hit.key);
      if (previous === undefined || hit.score > previous) best.set(hit.key, hit.score);
    }
    const hits = [...best].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score || a.key - b.key);
    prepared.push({ retriever: list.retriever, weight, hits, rank: new Map(hits.map((hit, i) => [hit.key, i + 1])) });
  }
  return prepared.sort((a, b) => (a.retriever < b.retriever ? -1 : a.retriever > b.retriever ? 1 : 0));
}

function allKeys(lists: readonly PreparedList[]): number[] {
  const keys = new Set<number>();
  for (const list of lists) for (const hit of list.hits) keys.add(hit.key);
  return [...keys];
}

function finish(hits: FusedHit[], limit: number | undefined): FusedHit[] {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RalmError('INVALID_ARGUMENT', `limit must be a non-negative integer; got ${limit}`);
  hits.sort((a, b) => b.score - a.score || a.key - b.key);
  return limit === undefined ? hits : hits.slice(0, limit);
}

/**
 * Reciprocal rank fusion: `score(d) = Σ_r w_r / (k + rank_r(d))` over the retrievers that found d.
 *
 * @example
 * ```ts
 * reciprocalRankFusion([
 *   { retriever: 'bm25', hits: [{ key: 1, score: 9 }, { key: 2, score: 7 }] },
 *   { retriever: 'lsa', hits: [{ key: 2, score: 0.8 }, { key: 3, score: 0.7 }] },
 * ]); // key 2 first: 1/62 + 1/61
 * ```
 */
export function reciprocalRankFusion(lists: readonly RankedList[], options: RrfOptions = {}): FusedHit[] {
  const k = options.k ?? DEFAULT_FUSION_OPTIONS.rrfK;
  if (!Number.isFinite(k) || k < 0) throw new RalmError('INVALID_ARGUMENT', `RRF k must be a finite non-negative number; got ${k}`);
  const prepared = prepare(lists, options.weights);
  const hits = allKeys(prepared).map((key): FusedHit => {
    let score = 0;
    const details: Explanation[] = [];
    for (const list of prepared) {
      const rank = list.rank.get(key);
      if (rank === undefined) {
        details.push({ value: 0, description: `retriever "${list.retriever}": not retrieved, contributes 0`, details: [leaf(list.weight, 'weight')] });
        continue;
      }
      const contribution = list.weight / (k + rank);
      score += contribution;
      details.push({
        value: contribution,
        description: `retriever "${list.retriever}": weight / (k + rank) from:`,
        details: [leaf(rank, 'rank, 1-based'), leaf(list.hits[rank - 1]!.score, 'raw score'), leaf(list.weight, 'weight'), leaf(k, 'k')],
      });
    }
    return { key, score, explanation: { value: score, description: `reciprocal rank fusion, computed as sum over ${prepared.length} retrievers of weight / (k + rank) from:`, details } };
  });
  return finish(hits, options.limit);
}

/**
 * Normalised score fusion: each list's scores are normalised ({@link ScoreNormalization}), then
 * `score(d) = Σ_r w_r · normalised_r(d)`, a missing document scoring as {@link MissingScore} says.
 *
 * @example
 * ```ts
 * normalizedScoreFusion(
 *   [{ retriever: 'bm25', hits: [{ key: 1, score: 10 }, { key: 2, score: 5 }] }, { retriever: 'lsa', hits: [{ key: 2, score: 0.9 }, { key: 1, score: 0.1 }] }],
 *   { normalization: 'min-max', alpha: 0.5 },
 * ); // keys 1 and 2 both 0.5, tie → key 1 first
 * ```
 */
export function normalizedScoreFusion(lists: readonly RankedList[], options: ScoreFusionOptions = {}): FusedHit[] {
  const normalization = options.normalization ?? DEFAULT_FUSION_OPTIONS.normalization;
  const missing = options.missing ?? DEFAULT_FUSION_OPTIONS.missing;
  if (normalization !== 'min-max' && normalization !== 'z-score') throw new RalmError('INVALID_ARGUMENT', `normalization must be "min-max" or "z-score"; got ${JSON.stringify(normalization)}`);
  if (missing !== 'minimum' && missing !== 'zero') throw new RalmError('INVALID_ARGUMENT', `missing must be "minimum" or "zero"; got ${JSON.stringify(missing)}`);
  let weights = options.weights;
  if (options.alpha !== undefined) {
    const alpha = options.alpha;
    if (weights !== undefined) throw new RalmError('INVALID_ARGUMENT', 'give either alpha or weights, not both');
    if (lists.length !== 2) throw new RalmError('INVALID_ARGUMENT', `alpha combines exactly two lists; got ${lists.length}; use weights instead`);
    if (!(alpha >= 0 && alpha <= 1)) throw new RalmError('INVALID_ARGUMENT', `alpha must be in [0, 1]; got ${alpha}`);
    if (lists[0]!.retriever === lists[1]!.retriever) throw new RalmError('INVALID_ARGUMENT', `retriever "${lists[0]!.retriever}" appears twice; give each list a unique name`);
    weights = { [lists[0]!.retriever]: alpha, [lists[1]!.retriever]: 1 - alpha };
  }
  const prepared = prepare(lists, weights).map((list) => {
    const scores = list.hits.map((hit) => hit.score);
    const min = scores.length ? Math.min(...scores) : 0;
    const max = scores.length ? Math.max(...scores) : 0;
    const mean = scores.reduce((s, x) => s + x, 0) / (scores.length || 1);
    const deviation = Math.sqrt(scores.reduce((s, x) => s + (x - mean) * (x - mean), 0) / (scores.length || 1));
    const normalize =
      normalization === 'min-max' ? (s: number) => (max > min ? (s - min) / (max - min) : 1) : (s: number) => (deviation > 0 ? (s - mean) / deviation : 0);
    const floor = missing === 'zero' || scores.length === 0 ? 0 : normalize(min);
    return { ...list, min, max, mean, deviation, normalize, floor };
  });
  const formula = normalization === 'min-max' ? '(score - min) / (max - min)' : '(score - mean) / standardDeviation';
  const hits = allKeys(prepared).map((key): FusedHit => {
    let score = 0;
    const details: Explanation[] = [];
    for (const list of prepared) {
      const rank = list.rank.get(key);
      const statistics =
        normalization === 'min-max' ? [leaf(list.min, 'list minimum'), leaf(list.max, 'list maximum')] : [leaf(list.mean, 'list mean'), leaf(list.deviation, 'list standard deviation')];
      let normalized: Explanation;
      const factors: Explanation[] = [];
      if (rank === undefined) {
        normalized = leaf(list.floor, missing === 'zero' ? 'normalized score: not retrieved, scored 0' : "normalized score: not retrieved, scored the list's minimum normalized score");
      } else {
        const raw = list.hits[rank - 1]!.score;
        normalized = { value: list.normalize(raw), description: `normalized score, ${normalization}: ${formula} from:`, details: [leaf(raw, 'raw score'), ...statistics] };
        factors.push(leaf(rank, 'rank, 1-based'));
      }
      const contribution = list.weight * normalized.value;
      score += contribution;
      details.push({ value: contribution, description: `retriever "${list.retriever}": weight * normalized from:`, details: [normalized, leaf(list.weight, 'weight'), ...factors] });
    }
    return { key, score, explanation: { value: score, description: `normalized score fusion (${normalization}), computed as sum over ${prepared.length} retrievers of weight * normalized from:`, details } };
  });
  return finish(hits, options.limit);
}

/**
 * Attention-weighted fusion: per list a softmax over its scores with temperature τ,
 * `p_r(d) = exp(s_r(d) / τ_r) / Σ_{d'} exp(s_r(d') / τ_r)` (0 for a document the list lacks), then
 * `score(d) = Σ_r w_r · p_r(d)`. Weights and temperatures are plain numbers a trainer can learn.
 *
 * @example
 * ```ts
 * attentionFusion(
 *   [{ retriever: 'bm25', hits: [{ key: 1, score: 12 }, { key: 2, score: 4 }] }, { retriever: 'lsa', hits: [{ key: 2, score: 0.9 }] }],
 *   { temperature: { bm25: 4, lsa: 0.1 }, weights: { bm25: 0.5, lsa: 0.5 } },
 * );
 * ```
 */
export function attentionFusion(lists: readonly RankedList[], options: AttentionFusionOptions = {}): FusedHit[] {
  const temperatureOf = (name: string): number => {
    const t = options.temperature;
    const value = t === undefined ? DEFAULT_FUSION_OPTIONS.temperature : typeof t === 'number' ? t : (t[name] ?? DEFAULT_FUSION_OPTIONS.temperature);
    if (!(value > 0) || !Number.isFinite(value)) throw new RalmError('INVALID_ARGUMENT', `temperature of "${name}" must be a finite positive number; got ${value}`);
    return value;
  };
  const prepared = prepare(lists, options.weights).map((list) => {
    const temperature = temperatureOf(list.retriever);
    const max = list.hits.length ? list.hits[0]!.score : 0;
    const exps = list.hits.map((hit) => Math.exp((hit.score - max) / temperature));
    const total = exps.reduce((s, x) => s + x, 0);
    return { ...list, temperature, softmax: new Map(list.hits.map((hit, i) => [hit.key, exps[i]! / total])) };
  });
  const hits = allKeys(prepared).map((key): FusedHit => {
    let score = 0;
    const details: Explanation[] = [];
    for (const list of prepared) {
      const rank = list.rank.get(key);
      if (rank === undefined) {
        details.push({ value: 0, description: `retriever "${list.retriever}": not retrieved, softmax 0, contributes 0`, details: [leaf(list.weight, 'weight')] });
        continue;
      }
      const p = list.softmax.get(key)!;
      const contribution = list.weight * p;
      score += contribution;
      details.push({
        value: contribution,
        description: `retriever "${list.retriever}": weight * softmax from:`,
        details: [
          {
            value: p,
            description: "softmax, computed as exp(score / temperature) / sum of exp(score' / temperature) over the list from:",
            details: [leaf(list.hits[rank - 1]!.score, 'raw score'), leaf(list.temperature, 'temperature'), leaf(list.hits.length, 'list length')],
          },
          leaf(list.weight, 'weight'),
          leaf(rank, 'rank, 1-based'),
        ],
      });
    }
    return { key, score, explanation: { value: score, description: `attention-weighted fusion, computed as sum over ${prepared.length} retrievers of weight * softmax(score / temperature) from:`, details } };
  });
  return finish(hits, options.limit);
}

/**
 * The fusion methods by name, for configuration.
 *
 * @example
 * ```ts
 * const options: FusionOptions = { method: 'rrf', k: 60 };
 * ```
 */
export type FusionOptions = ({ method: 'rrf' } & RrfOptions) | ({ method: 'normalized' } & ScoreFusionOptions) | ({ method: 'attention' } & AttentionFusionOptions);

/**
 * Fuses with the named method.
 *
 * @example
 * ```ts
 * fuse(lists, { method: 'attention', temperature: 0.5, limit: 10 });
 * ```
 */
export function fuse(lists: readonly RankedList[], options: FusionOptions): FusedHit[] {
  switch (options.method) {
    case 'rrf':
      return reciprocalRankFusion(lists, options);
    case 'normalized':
      return normalizedScoreFusion(lists, options);
    case 'attention':
      return attentionFusion(lists, options);
    default:
      throw new RalmError('INVALID_ARGUMENT', `unknown fusion method ${JSON.stringify((options as { method: unknown }).method)}; valid: rrf, normalized, attention`);
  }
}
