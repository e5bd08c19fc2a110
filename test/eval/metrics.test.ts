import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { compareCodePoints, evaluate, parseMeasure, sortHits, type Qrels, type Run } from '../../src/eval/metrics.js';

const log2 = Math.log2;

/**
 * The hand-made fixture used below.
 *
 * q1 (graded): judged d1=2, d2=1, d3=0, d4=1, d5=-1 (negative: "unjudged"); d4 is never retrieved.
 *    run: d3 3.0, d1 2.0, d5 1.5, d2 1.0  → ranking d3, d1, d5, d2 with relevances 0, 2, (-), 1.
 *    judged relevant (≥1): d1, d2, d4 → 3.
 * q2 (ties): judged a=1. run: a, b, c all with score 1 → trec_eval breaks ties by docid DEScending: c, b, a.
 * q3 (no relevant docs): judged x=0. run: x 1.0.
 * q4 (missing from the run): judged y=1.
 * q5 (in the run, not judged): ignored.
 */
function fixture(): { qrels: Qrels; run: Run } {
  const qrels: Qrels = new Map([
    ['q1', new Map([['d1', 2], ['d2', 1], ['d3', 0], ['d4', 1], ['d5', -1]])],
    ['q2', new Map([['a', 1]])],
    ['q3', new Map([['x', 0]])],
    ['q4', new Map([['y', 1]])],
  ]);
  const run: Run = new Map([
    ['q1', [
      { docId: 'd2', score: 1.0 },
      { docId: 'd5', score: 1.5 },
      { docId: 'd3', score: 3.0 },
      { docId: 'd1', score: 2.0 },
    ]],
    ['q2', [
      { docId: 'a', score: 1 },
      { docId: 'b', score: 1 },
      { docId: 'c', score: 1 },
    ]],
    ['q3', [{ docId: 'x', score: 1 }]],
    ['q5', [{ docId: 'z', score: 1 }]],
  ]);
  return { qrels, run };
}

describe('evaluate: hand-worked values', () => {
  it('computes graded nDCG with linear gain and log2(rank+1) discount, ideal from the qrels', () => {
    const { qrels, run } = fixture();
    const { perQuery } = evaluate(qrels, run, ['ndcg@1', 'ndcg@3', 'ndcg@10']);
    const q1 = perQuery.get('q1')!;
    // @1: d3 (gain 0) → DCG 0.
    expect(q1['ndcg@1']).toBe(0);
    // @3: DCG = 0/log2(2) + 2/log2(3) + 0 (d5 is negative → no gain) = 1.26186.
    //     IDCG@3 from grades [2, 1, 1] = 2/1 + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093 → 0.40303.
    expect(q1['ndcg@3']).toBeCloseTo(2 / log2(3) / (2 + 1 / log2(3) + 1 / 2), 14);
    expect(q1['ndcg@3']).toBeCloseTo(0.40303, 5);
    // @10: DCG adds d2 at rank 4: 1/log2(5) → 1.26186 + 0.43068 = 1.69254; IDCG unchanged (3 judged relevant) → 0.54059.
    expect(q1['ndcg@10']).toBeCloseTo((2 / log2(3) + 1 / log2(5)) / (2 + 1 / log2(3) + 1 / 2), 14);
    expect(q1['ndcg@10']).toBeCloseTo(0.54059, 5);
  });

  it('computes MAP, recall and precision with judged-relevant denominators; P@k divides by k', () => {
    const { qrels, run } = fixture();
    const { perQuery } = evaluate(qrels, run, ['map@3', 'map@10', 'recall@3', 'recall@10', 'p@3', 'p@10', 'mrr@1', 'mrr@10']);
    const q1 = perQuery.get('q1')!;
    // Relevant ranks: d1 at 2, d2 at 4; 3 judged relevant.
    expect(q1['map@3']).toBeCloseTo(1 / 2 / 3, 15); // (1/2) / 3
    expect(q1['map@10']).toBeCloseTo((1 / 2 + 2 / 4) / 3, 15); // = 1/3
    expect(q1['recall@3']).toBeCloseTo(1 / 3, 15);
    expect(q1['recall@10']).toBeCloseTo(2 / 3, 15);
    expect(q1['p@3']).toBeCloseTo(1 / 3, 15);
    expect(q1['p@10']).toBe(0.2); // 2 relevant / 10 even though only 4 were retrieved
    expect(q1['mrr@1']).toBe(0);
    expect(q1['mrr@10']).toBe(0.5);
  });

  it('breaks score ties by document id in descending order, as trec_eval does', () => {
    const { qrels, run } = fixture();
    const { perQuery } = evaluate(qrels, run, ['mrr@10', 'mrr@2', 'p@1', 'ndcg@3', 'recall@2']);
    // Order c, b, a: the relevant "a" is at rank 3.
    expect(perQuery.get('q2')).toEqual({ 'mrr@10': 1 / 3, 'mrr@2': 0, 'p@1': 0, 'ndcg@3': 1 / log2(4), 'recall@2': 0 });
    expect(sortHits(run.get('q2')!).map((hit) => hit.docId)).toEqual(['c', 'b', 'a']);
  });

  it('averages over judged queries present in the run; a query without relevant docs scores 0 and counts', () => {
    const { qrels, run } = fixture();
    const result = evaluate(qrels, run, ['mrr@10', 'recall@10', 'ndcg@10', 'map@10']);
    expect(result.queries).toBe(3); // q1, q2, q3 (q4 missing from the run, q5 not judged)
    expect([...result.perQuery.keys()]).toEqual(['q1', 'q2', 'q3']);
    expect(result.perQuery.get('q3')).toEqual({ 'mrr@10': 0, 'recall@10': 0, 'ndcg@10': 0, 'map@10': 0 });
    // MRR: (1/2 + 1/3 + 0) / 3 = 5/18.
    expect(result.mean['mrr@10']).toBeCloseTo(5 / 18, 15);
    // recall@10: (2/3 + 1 + 0) / 3 = 5/9.
    expect(result.mean['recall@10']).toBeCloseTo(5 / 9, 15);
  });

  it('completeQueries (trec_eval -c) averages every qrels query, a missing one scoring 0', () => {
    const { qrels, run } = fixture();
    const result = evaluate(qrels, run, ['mrr@10', 'p@10'], { completeQueries: true });
    expect(result.queries).toBe(4);
    expect(result.perQuery.get('q4')).toEqual({ 'mrr@10': 0, 'p@10': 0 });
    expect(result.mean['mrr@10']).toBeCloseTo((1 / 2 + 1 / 3) / 4, 15); // 5/24
    // p@10: q1 0.2, q2 0.1, q3 0, q4 0 → 0.075.
    expect(result.mean['p@10']).toBeCloseTo(0.075, 15);
  });

  it('relevanceLevel raises the bar for MAP/recall/P/MRR but not the nDCG gains', () => {
    const { qrels, run } = fixture();
    const base = evaluate(qrels, run, ['ndcg@10']).perQuery.get('q1')!;
    const strict = evaluate(qrels, run, ['map@10', 'recall@3', 'p@10', 'mrr@10', 'ndcg@10'], { relevanceLevel: 2 }).perQuery.get('q1')!;
    // Only d1 (grade 2, rank 2) is relevant now: AP = (1/2)/1, recall@3 = 1/1, P@10 = 1/10, RR = 1/2.
    expect(strict).toEqual({ 'map@10': 0.5, 'recall@3': 1, 'p@10': 0.1, 'mrr@10': 0.5, 'ndcg@10': base['ndcg@10'] });
  });

  it('orders document ids by code point (strcmp on UTF-8), not by UTF-16 code unit', () => {
    // U+1F600 > U+FFFD by code point, so with equal scores trec_eval ranks U+1F600 first.
    const qrels: Qrels = new Map([['q', new Map([['\uFFFD', 1]])]]);
    const run: Run = new Map([['q', [{ docId: '\uFFFD', score: 1 }, { docId: '\u{1F600}', score: 1 }]]]);
    expect(evaluate(qrels, run, ['mrr@10']).mean['mrr@10']).toBe(0.5);
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBe(1);
    expect(compareCodePoints('\uFFFD', '\u{1F600}')).toBe(-1);
    expect(compareCodePoints('ab', 'a')).toBe(1);
    expect(compareCodePoints('a', 'a')).toBe(0);
  });

  it('keeps measure names as given (case-insensitive parsing) and returns zeros when nothing is evaluated', () => {
    const { qrels } = fixture();
    const result = evaluate(qrels, new Map(), ['NDCG@10', 'P@5']);
    expect(result).toEqual({ mean: { 'NDCG@10': 0, 'P@5': 0 }, perQuery: new Map(), queries: 0 });
    expect(parseMeasure(' Recall@100 ')).toEqual({ name: ' Recall@100 ', kind: 'recall', cutoff: 100 });
  });

  it('an empty hit list counts as present and scores 0', () => {
    const qrels: Qrels = new Map([['q', new Map([['d', 1]])]]);
    const result = evaluate(qrels, new Map([['q', []]]), ['ndcg@10', 'p@1']);
    expect(result.queries).toBe(1);
    expect(result.mean).toEqual({ 'ndcg@10': 0, 'p@1': 0 });
  });
});

describe('evaluate: errors', () => {
  const qrels: Qrels = new Map([['q', new Map([['d', 1]])]]);

  function errorOf(action: () => unknown): RalmError {
    try {
      action();
    } catch (error) {
      if (error instanceof RalmError) return error;
      throw error;
    }
    throw new Error('expected a RalmError');
  }

  it('rejects unknown measures, listing the valid forms', () => {
    for (const name of ['ndcg', 'ndcg@0', 'ndcg@-1', 'ndcg@1.5', 'bpref@10', 'ndcg_cut_10']) {
      const error = errorOf(() => evaluate(qrels, new Map(), [name]));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(name);
      expect(error.message).toContain('ndcg@k, map@k, recall@k, p@k, mrr@k');
    }
    expect(errorOf(() => evaluate(qrels, new Map(), [])).code).toBe('INVALID_ARGUMENT');
  });

  it('rejects a document retrieved twice for one query, like trec_eval ("duplicate docs")', () => {
    const run: Run = new Map([['q', [{ docId: 'd', score: 2 }, { docId: 'd', score: 1 }]]]);
    const error = errorOf(() => evaluate(qrels, run, ['p@1']));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/"q".*"d"/);
  });

  it('rejects NaN scores, non-integer relevance and a non-integer relevanceLevel', () => {
    expect(errorOf(() => evaluate(qrels, new Map([['q', [{ docId: 'd', score: Number.NaN }]]]), ['p@1'])).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => evaluate(new Map([['q', new Map([['d', 0.5]])]]), new Map([['q', []]]), ['p@1'])).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => evaluate(qrels, new Map(), ['p@1'], { relevanceLevel: 1.5 })).code).toBe('INVALID_ARGUMENT');
  });
});
