/**
 * Retrieval metrics computed exactly as trec_eval 9.x (and therefore pytrec_eval and the numbers BEIR reports):
 * `ndcg@k` (trec_eval `ndcg_cut.k`), `map@k` (`map_cut.k`), `recall@k` (`recall.k`), `p@k` (`P.k`) and `mrr@k`
 * (BEIR's MRR@k: the reciprocal rank of the first relevant hit within the top k).
 *
 * How trec_eval builds the ranking (form_res_rels.c), mirrored here:
 * - hits are sorted by score descending; ties are broken by document id in **descending** byte order
 *   (`strcmp(p2->docno, p1->docno)`), so among equal scores `"b"` ranks before `"a"`. The input order of hits
 *   never matters.
 * - a document id that appears twice in one query's hits is an error in trec_eval ("duplicate docs"); here it
 *   throws `RalmError('INVALID_ARGUMENT')` naming the query and the document.
 * - a retrieved document that is not in the qrels is non-relevant (trec_eval's -1); a judgment with a negative value
 *   is "in the pool but unjudged" (trec_eval's -2): it never counts as relevant, adds no gain and is not counted in
 *   the number of relevant documents.
 *
 * Which queries are averaged (trec_eval.c): by default, every query that has judgments in `qrels` **and** an entry in
 * `run` (an entry with an empty hit list counts as present and scores 0). Run queries without judgments are ignored,
 * and so are judged queries missing from the run — as trec_eval warns, a system that retrieves nothing for a query
 * then goes unnoticed. `completeQueries: true` is trec_eval `-c`: every query in `qrels` is averaged and a missing one
 * scores 0 on every measure. A judged query whose judgments are all below `relevanceLevel` is averaged and scores 0.
 */
import { RalmError } from '../core/errors.js';

/**
 * Relevance judgments: query id → document id → graded relevance (an integer; ≥ `relevanceLevel` is relevant,
 * 0 non-relevant, negative "judged as unjudged" as in trec_eval).
 *
 * @example
 * ```ts
 * const qrels: Qrels = new Map([['q1', new Map([['d1', 2], ['d7', 0]])]]);
 * ```
 */
export type Qrels = Map<string, Map<string, number>>;

/**
 * One retrieved document with its score; higher scores rank first.
 *
 * @example
 * ```ts
 * const hit: RunHit = { docId: 'd1', score: 12.5 };
 * ```
 */
export interface RunHit {
  docId: string;
  score: number;
}

/**
 * A retrieval run: query id → retrieved hits in any order (they are sorted by score, trec_eval's way, before use).
 *
 * @example
 * ```ts
 * const run: Run = new Map([['q1', [{ docId: 'd1', score: 3 }, { docId: 'd2', score: 1 }]]]);
 * ```
 */
export type Run = Map<string, RunHit[]>;

/**
 * Options of {@link evaluate}.
 *
 * @example
 * ```ts
 * const options: EvaluateOptions = { relevanceLevel: 2, completeQueries: true };
 * ```
 */
export interface EvaluateOptions {
  /** Minimum judgment value that counts as relevant (trec_eval `-l`). Default 1. Must be an integer. */
  relevanceLevel?: number;
  /** Average over every query of `qrels`, missing run queries scoring 0 (trec_eval `-c`). Default false. */
  completeQueries?: boolean;
}

/**
 * The result of {@link evaluate}: the mean of each measure (keyed by the measure name exactly as requested), each
 * evaluated query's values, and how many queries were averaged.
 *
 * @example
 * ```ts
 * const { mean, perQuery, queries } = evaluate(qrels, run, ['ndcg@10']);
 * console.log(mean['ndcg@10'], perQuery.get('q1')?.['ndcg@10'], queries);
 * ```
 */
export interface Evaluation {
  /** Mean over the evaluated queries; 0 for every measure when no query was evaluated (`queries === 0`). */
  mean: Record<string, number>;
  /** Per-query values, in ascending query-id order. */
  perQuery: Map<string, Record<string, number>>;
  /** Number of queries averaged. */
  queries: number;
}

/**
 * The measure families understood by {@link evaluate}.
 *
 * @example
 * ```ts
 * const kind: MeasureKind = parseMeasure('map@100').kind; // 'map'
 * ```
 */
export type MeasureKind = 'ndcg' | 'map' | 'recall' | 'p' | 'mrr';

/**
 * A parsed measure name such as `ndcg@10`.
 *
 * @example
 * ```ts
 * parseMeasure('NDCG@10'); // { name: 'NDCG@10', kind: 'ndcg', cutoff: 10 }
 * ```
 */
export interface Measure {
  /** The name as given, used as the result key. */
  name: string;
  kind: MeasureKind;
  /** The rank cutoff k (a positive integer). */
  cutoff: number;
}

const VALID_MEASURE_FORMS = 'ndcg@k, map@k, recall@k, p@k, mrr@k (k a positive integer, e.g. ndcg@10, recall@100)';

/**
 * Parses a measure name (`ndcg@k`, `map@k`, `recall@k`, `p@k`, `mrr@k`; case-insensitive, k a positive integer).
 * Throws `RalmError('INVALID_ARGUMENT')` listing the valid forms for anything else.
 *
 * @example
 * ```ts
 * parseMeasure('recall@100').cutoff; // 100
 * ```
 */
export function parseMeasure(name: string): Measure {
  const match = /^(ndcg|map|recall|p|mrr)@([1-9][0-9]*)$/i.exec(String(name).trim());
  if (match === null) {
    throw new RalmError('INVALID_ARGUMENT', `Unknown measure "${name}". Valid forms: ${VALID_MEASURE_FORMS}.`);
  }
  const cutoff = Number(match[2]);
  if (!Number.isSafeInteger(cutoff)) {
    throw new RalmError('INVALID_ARGUMENT', `Measure "${name}" has a cutoff too large to represent; use a smaller k.`);
  }
  return { name, kind: match[1].toLowerCase() as MeasureKind, cutoff };
}

/**
 * Compares two strings by Unicode code point (the same order as C `strcmp` on their UTF-8 bytes, which trec_eval
 * uses). Plain `<` on JavaScript strings compares UTF-16 code units and differs for characters above U+FFFF.
 *
 * @example
 * ```ts
 * compareCodePoints('a', 'b'); // -1
 * compareCodePoints('\u{1F600}', '\uFFFD'); // 1 (UTF-16 order would say -1)
 * ```
 */
export function compareCodePoints(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    let a = left.charCodeAt(index);
    let b = right.charCodeAt(index);
    if (a === b) continue;
    // Surrogates (code points above U+FFFF) must sort after U+E000..U+FFFF.
    if (a >= 0xd800 && b >= 0xd800) {
      a = a >= 0xe000 ? a - 0x800 : a + 0x2000;
      b = b >= 0xe000 ? b - 0x800 : b + 0x2000;
    }
    return a < b ? -1 : 1;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
}

/**
 * Sorts hits the way trec_eval ranks them: score descending, ties by document id descending (code-point order).
 * Returns a new array; the input is not modified.
 *
 * @example
 * ```ts
 * sortHits([{ docId: 'a', score: 1 }, { docId: 'b', score: 1 }, { docId: 'c', score: 2 }]).map((h) => h.docId);
 * // ['c', 'b', 'a']
 * ```
 */
export function sortHits(hits: readonly RunHit[]): RunHit[] {
  return [...hits].sort((x, y) => {
    if (x.score > y.score) return -1;
    if (x.score < y.score) return 1;
    return compareCodePoints(y.docId, x.docId);
  });
}

/** trec_eval's relevance value for a retrieved document that is not in the qrels. */
const NOT_IN_POOL = -1;
/** trec_eval's relevance value for a document judged with a negative value ("in the pool but unjudged"). */
const UNJUDGED = -2;

/** What every measure of one query is computed from (trec_eval's RES_RELS). */
interface RankedRelevance {
  /** Relevance value of each ranked hit (judged value, or NOT_IN_POOL / UNJUDGED). */
  relevances: number[];
  /** Count of judged documents per non-negative relevance level. */
  levelCounts: Map<number, number>;
  /** Number of judged documents with relevance ≥ relevanceLevel (and ≥ 0). */
  relevantCount: number;
}

function rankQuery(
  queryId: string,
  hits: readonly RunHit[],
  judgments: ReadonlyMap<string, number>,
  relevanceLevel: number,
): RankedRelevance {
  const seen = new Set<string>();
  for (const hit of hits) {
    if (hit === null || typeof hit !== 'object' || typeof hit.docId !== 'string') {
      throw new RalmError('INVALID_ARGUMENT', `Run query "${queryId}" has a hit that is not { docId: string, score: number }.`);
    }
    if (typeof hit.score !== 'number' || Number.isNaN(hit.score)) {
      throw new RalmError(
        'INVALID_ARGUMENT',
        `Run query "${queryId}", document "${hit.docId}" has score ${String(hit.score)}; scores must be numbers (not NaN).`,
      );
    }
    if (seen.has(hit.docId)) {
      throw new RalmError(
        'INVALID_ARGUMENT',
        `Run query "${queryId}" retrieves document "${hit.docId}" more than once; trec_eval rejects duplicate documents ` +
          `("duplicate docs") — keep one hit per document.`,
      );
    }
    seen.add(hit.docId);
  }
  const levelCounts = new Map<number, number>();
  let relevantCount = 0;
  for (const [docId, value] of judgments) {
    if (!Number.isInteger(value)) {
      throw new RalmError(
        'INVALID_ARGUMENT',
        `Qrels query "${queryId}", document "${docId}" has relevance ${String(value)}; relevance values must be integers.`,
      );
    }
    if (value < 0) continue;
    levelCounts.set(value, (levelCounts.get(value) ?? 0) + 1);
    if (value >= relevanceLevel) relevantCount++;
  }
  const relevances = sortHits(hits).map((hit) => {
    const value = judgments.get(hit.docId);
    if (value === undefined) return NOT_IN_POOL;
    return value < 0 ? UNJUDGED : value;
  });
  return { relevances, levelCounts, relevantCount };
}

function computeMeasure(measure: Measure, ranked: RankedRelevance, relevanceLevel: number): number {
  const { relevances, relevantCount } = ranked;
  const depth = Math.min(measure.cutoff, relevances.length);
  switch (measure.kind) {
    case 'p': {
      let relevantSoFar = 0;
      for (let index = 0; index < depth; index++) if (relevances[index] >= relevanceLevel) relevantSoFar++;
      return relevantSoFar / measure.cutoff;
    }
    case 'recall': {
      if (relevantCount === 0) return 0;
      let relevantSoFar = 0;
      for (let index = 0; index < depth; index++) if (relevances[index] >= relevanceLevel) relevantSoFar++;
      return relevantSoFar / relevantCount;
    }
    case 'map': {
      if (relevantCount === 0) return 0;
      let relevantSoFar = 0;
      let sum = 0;
      for (let index = 0; index < depth; index++) {
        if (relevances[index] >= relevanceLevel) {
          relevantSoFar++;
          sum += relevantSoFar / (index + 1);
        }
      }
      return sum / relevantCount;
    }
    case 'mrr': {
      for (let index = 0; index < depth; index++) if (relevances[index] >= relevanceLevel) return 1 / (index + 1);
      return 0;
    }
    case 'ndcg': {
      let dcg = 0;
      for (let index = 0; index < depth; index++) {
        const gain = relevances[index];
        if (gain > 0) dcg += gain / Math.log2(index + 2);
      }
      // Ideal ranking: every judged document with a positive level, highest level first (trec_eval's rel_levels).
      const levels = [...ranked.levelCounts.keys()].filter((level) => level > 0).sort((a, b) => b - a);
      let idealDcg = 0;
      let position = 0;
      for (const level of levels) {
        const count = ranked.levelCounts.get(level) ?? 0;
        for (let copy = 0; copy < count && position < measure.cutoff; copy++, position++) {
          idealDcg += level / Math.log2(position + 2);
        }
        if (position >= measure.cutoff) break;
      }
      return idealDcg > 0 ? dcg / idealDcg : dcg;
    }
  }
}

/**
 * Evaluates a run against relevance judgments, exactly as trec_eval 9.x / pytrec_eval (see the module comment for
 * the ranking, tie-breaking, duplicate and query-selection rules).
 *
 * - `ndcg@k`: Σ gain / log2(rank + 1) over the top k with gain = the judged relevance (≤ 0 adds nothing), divided by
 *   the same sum over the ideal ranking built from the qrels (all positive judgments, highest first, cut at k).
 * - `map@k`: Σ precision at each relevant rank ≤ k, divided by the number of judged relevant documents.
 * - `recall@k`: relevant in the top k / judged relevant (0 when the query has none).
 * - `p@k`: relevant in the top k / k, even when fewer than k were retrieved.
 * - `mrr@k`: 1 / rank of the first relevant hit within the top k, else 0. This is BEIR's MRR@k with two caveats:
 *   BEIR calls a document relevant when its grade is > 0 (the same as the default `relevanceLevel` 1 for integer
 *   grades) and orders tied scores by dictionary insertion order, where this uses trec_eval's docid order; BEIR
 *   divides by the number of qrels queries, which is what `completeQueries: true` gives.
 *
 * "Relevant" means judgment ≥ `relevanceLevel` (default 1).
 *
 * @example
 * ```ts
 * const qrels: Qrels = new Map([['q1', new Map([['d1', 1]])]]);
 * const run: Run = new Map([['q1', [{ docId: 'd0', score: 2 }, { docId: 'd1', score: 1 }]]]);
 * evaluate(qrels, run, ['mrr@10', 'p@2']).mean; // { 'mrr@10': 0.5, 'p@2': 0.5 }
 * ```
 */
export function evaluate(qrels: Qrels, run: Run, measures: readonly string[], options: EvaluateOptions = {}): Evaluation {
  if (!(qrels instanceof Map)) throw new RalmError('INVALID_ARGUMENT', 'qrels must be a Map of query id → Map of document id → relevance.');
  if (!(run instanceof Map)) throw new RalmError('INVALID_ARGUMENT', 'run must be a Map of query id → array of { docId, score }.');
  if (!Array.isArray(measures) || measures.length === 0) {
    throw new RalmError('INVALID_ARGUMENT', `measures must be a non-empty array of names such as ${VALID_MEASURE_FORMS}.`);
  }
  const parsed = measures.map(parseMeasure);
  const relevanceLevel = options.relevanceLevel ?? 1;
  if (!Number.isInteger(relevanceLevel)) {
    throw new RalmError('INVALID_ARGUMENT', `relevanceLevel must be an integer (trec_eval -l), got ${String(relevanceLevel)}.`);
  }
  const completeQueries = options.completeQueries ?? false;

  const queryIds = [...qrels.keys()].filter((queryId) => completeQueries || run.has(queryId)).sort(compareCodePoints);
  const perQuery = new Map<string, Record<string, number>>();
  const sums = new Map<string, number>();
  for (const measure of parsed) sums.set(measure.name, 0);

  for (const queryId of queryIds) {
    const hits = run.get(queryId) ?? [];
    if (!Array.isArray(hits)) {
      throw new RalmError('INVALID_ARGUMENT', `Run query "${queryId}" must map to an array of { docId, score }.`);
    }
    const ranked = rankQuery(queryId, hits, qrels.get(queryId) ?? new Map(), relevanceLevel);
    const values: Record<string, number> = {};
    for (const measure of parsed) {
      const value = computeMeasure(measure, ranked, relevanceLevel);
      values[measure.name] = value;
      sums.set(measure.name, (sums.get(measure.name) ?? 0) + value);
    }
    perQuery.set(queryId, values);
  }

  const mean: Record<string, number> = {};
  for (const measure of parsed) mean[measure.name] = queryIds.length === 0 ? 0 : (sums.get(measure.name) ?? 0) / queryIds.length;
  return { mean, perQuery, queries: queryIds.length };
}
