import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity,
  dotSimilarity,
  explainJaccard,
  explainSimilarity,
  jaccardSimilarity,
  l2Distance,
  l2Similarity,
  similarity,
} from '../../src/retrieve/similarity.js';

describe('similarities', () => {
  it('match textbook formulas on random vectors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }).chain((d) => fc.tuple(fc.array(fc.integer({ min: -9, max: 9 }), { minLength: d, maxLength: d }), fc.array(fc.integer({ min: -9, max: 9 }), { minLength: d, maxLength: d }))), ([a, b]) => {
        const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
        const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
        const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
        const dist = Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
        expect(dotSimilarity(a, b)).toBe(dot);
        expect(cosineSimilarity(a, b)).toBeCloseTo(na * nb > 0 ? dot / (na * nb) : 0, 12);
        expect(l2Distance(a, b)).toBeCloseTo(dist, 12);
        expect(l2Similarity(a, b)).toBeCloseTo(1 / (1 + dist), 12);
        for (const kind of ['cosine', 'dot', 'l2-distance', 'l2-similarity'] as const) expect(explainSimilarity(kind, a, b).value).toBe(similarity(kind, a, b));
      }),
      { numRuns: 200 },
    );
  });

  it('Jaccard is exact on term sets (duplicates ignored)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e')), fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e')), (a, b) => {
        const A = new Set(a);
        const B = new Set(b);
        const inter = [...A].filter((x) => B.has(x)).length;
        const union = new Set([...A, ...B]).size;
        expect(jaccardSimilarity(a, b)).toBe(union === 0 ? 0 : inter / union);
        const explained = explainJaccard(a, b);
        expect(explained.value).toBe(jaccardSimilarity(a, b));
        expect(explained.details.map((d) => d.value)).toEqual([inter, union]);
      }),
    );
  });

  it('explains cosine with its factors and rejects mismatched lengths', () => {
    const e = explainSimilarity('cosine', [1, 0], [1, 1]);
    expect(e.description).toMatch(/dot \/ \(norm\(a\) \* norm\(b\)\)/);
    expect(e.details.map((d) => d.value)).toEqual([1, 1, Math.SQRT2]);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/same length/);
  });
});
