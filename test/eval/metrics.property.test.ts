import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, type Qrels, type Run, type RunHit } from '../../src/eval/metrics.js';

/**
 * A deliberately plain re-implementation of the trec_eval definitions, used as the oracle:
 * sort by score desc then docid desc (UTF-8 byte order), cut at k, and apply each textbook formula.
 */
function oracle(judgments: Map<string, number>, hits: RunHit[], k: number, level: number): Record<string, number> {
  const ranked = [...hits].sort((a, b) => {
    if (a.score !== b.score) return b.score - a.score;
    return Buffer.compare(Buffer.from(b.docId, 'utf8'), Buffer.from(a.docId, 'utf8'));
  });
  const top = ranked.slice(0, k);
  const isRelevant = (docId: string): boolean => {
    const value = judgments.get(docId);
    return value !== undefined && value >= 0 && value >= level;
  };
  const relevantTotal = [...judgments.values()].filter((value) => value >= 0 && value >= level).length;
  const relevantInTop = top.filter((hit) => isRelevant(hit.docId)).length;

  let precisionSum = 0;
  let seen = 0;
  top.forEach((hit, index) => {
    if (isRelevant(hit.docId)) {
      seen++;
      precisionSum += seen / (index + 1);
    }
  });
  const firstRelevant = top.findIndex((hit) => isRelevant(hit.docId));

  let dcg = 0;
  top.forEach((hit, index) => {
    dcg += Math.max(0, judgments.get(hit.docId) ?? 0) / Math.log2(index + 2);
  });
  const idealGains = [...judgments.values()].filter((value) => value > 0).sort((a, b) => b - a).slice(0, k);
  let idealDcg = 0;
  idealGains.forEach((gain, index) => {
    idealDcg += gain / Math.log2(index + 2);
  });

  return {
    [`p@${k}`]: relevantInTop / k,
    [`recall@${k}`]: relevantTotal === 0 ? 0 : relevantInTop / relevantTotal,
    [`map@${k}`]: relevantTotal === 0 ? 0 : precisionSum / relevantTotal,
    [`mrr@${k}`]: firstRelevant === -1 ? 0 : 1 / (firstRelevant + 1),
    [`ndcg@${k}`]: idealDcg > 0 ? dcg / idealDcg : 0,
  };
}

/** Doc ids from a small pool (to force overlaps with the qrels), including non-ASCII and astral characters. */
const docIdArbitrary = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'B', 'aa', 'd10', 'd9', 'é', '\uFFFD', '\u{1F600}', 'z\u{10000}');
/** Few distinct scores, so ties are frequent. */
const scoreArbitrary = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.double({ min: -5, max: 5, noNaN: true }));

const queryArbitrary = fc.record({
  judgments: fc.uniqueArray(fc.tuple(docIdArbitrary, fc.integer({ min: -1, max: 3 })), { selector: (pair) => pair[0], maxLength: 8 }),
  hits: fc.uniqueArray(fc.record({ docId: docIdArbitrary, score: scoreArbitrary }), { selector: (hit) => hit.docId, maxLength: 12 }),
});

const datasetArbitrary = fc.array(queryArbitrary, { minLength: 1, maxLength: 4 }).map((queries) => {
  const qrels: Qrels = new Map();
  const run: Run = new Map();
  queries.forEach((query, index) => {
    qrels.set(`q${index}`, new Map(query.judgments));
    run.set(`q${index}`, query.hits);
  });
  return { qrels, run };
});

const kinds = ['p', 'recall', 'map', 'mrr', 'ndcg'] as const;

describe('evaluate: properties against a brute-force oracle', () => {
  it('matches the oracle for every measure, cutoff and relevance level', () => {
    fc.assert(
      fc.property(datasetArbitrary, fc.integer({ min: 1, max: 15 }), fc.constantFrom(1, 2), ({ qrels, run }, k, level) => {
        const measures = kinds.map((kind) => `${kind}@${k}`);
        const result = evaluate(qrels, run, measures, { relevanceLevel: level });
        const sums: Record<string, number> = {};
        for (const [queryId, judgments] of qrels) {
          const expected = oracle(judgments, run.get(queryId)!, k, level);
          const actual = result.perQuery.get(queryId)!;
          for (const measure of measures) {
            expect(actual[measure]).toBeCloseTo(expected[measure], 12);
            sums[measure] = (sums[measure] ?? 0) + expected[measure];
          }
        }
        expect(result.queries).toBe(qrels.size);
        for (const measure of measures) expect(result.mean[measure]).toBeCloseTo(sums[measure] / qrels.size, 12);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps nDCG within [0, 1]', () => {
    fc.assert(
      fc.property(datasetArbitrary, fc.integer({ min: 1, max: 15 }), ({ qrels, run }, k) => {
        for (const values of evaluate(qrels, run, [`ndcg@${k}`]).perQuery.values()) {
          expect(values[`ndcg@${k}`]).toBeGreaterThanOrEqual(0);
          expect(values[`ndcg@${k}`]).toBeLessThanOrEqual(1 + 1e-12);
        }
      }),
    );
  });

  it('gives nDCG = 1 for the ideal run (judged documents scored by their grade)', () => {
    fc.assert(
      fc.property(queryArbitrary, fc.integer({ min: 1, max: 15 }), ({ judgments }, k) => {
        fc.pre(judgments.some(([, grade]) => grade > 0));
        const qrels: Qrels = new Map([['q', new Map(judgments)]]);
        const run: Run = new Map([['q', judgments.map(([docId, grade]) => ({ docId, score: grade }))]]);
        expect(evaluate(qrels, run, [`ndcg@${k}`]).mean[`ndcg@${k}`]).toBeCloseTo(1, 12);
      }),
    );
  });

  it('makes recall@k and the number of relevant hits monotone in k', () => {
    fc.assert(
      fc.property(datasetArbitrary, fc.integer({ min: 1, max: 14 }), ({ qrels, run }, k) => {
        const result = evaluate(qrels, run, [`recall@${k}`, `recall@${k + 1}`]);
        for (const values of result.perQuery.values()) {
          expect(values[`recall@${k}`]).toBeLessThanOrEqual(values[`recall@${k + 1}`]);
        }
      }),
    );
  });

  it('does not depend on the input order of the hits (ties included)', () => {
    fc.assert(
      fc.property(datasetArbitrary, fc.integer({ min: 1, max: 15 }), fc.integer(), ({ qrels, run }, k, seed) => {
        const measures = kinds.map((kind) => `${kind}@${k}`);
        const shuffled: Run = new Map();
        let state = seed >>> 0;
        for (const [queryId, hits] of run) {
          const copy = [...hits];
          for (let index = copy.length - 1; index > 0; index--) {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            const other = state % (index + 1);
            [copy[index], copy[other]] = [copy[other], copy[index]];
          }
          shuffled.set(queryId, copy);
        }
        expect(evaluate(qrels, shuffled, measures)).toEqual(evaluate(qrels, run, measures));
      }),
    );
  });
});
