import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maximalMarginalRelevance } from '../../src/retrieve/mmr.js';

/** Brute force: at every step recompute every remaining candidate's MMR value from scratch. */
function bruteForceMmr(candidates: Array<{ key: number; score: number }>, similarity: (a: number, b: number) => number, lambda: number, k: number): number[] {
  const picked: number[] = [];
  const remaining = [...candidates];
  while (picked.length < k && remaining.length > 0) {
    const values = remaining.map((c) => ({
      c,
      value: lambda * c.score - (1 - lambda) * (picked.length === 0 ? 0 : Math.max(...picked.map((p) => similarity(c.key, p)))),
    }));
    values.sort((a, b) => b.value - a.value || b.c.score - a.c.score || a.c.key - b.c.key);
    picked.push(values[0]!.c.key);
    remaining.splice(remaining.indexOf(values[0]!.c), 1);
  }
  return picked;
}

describe('maximalMarginalRelevance', () => {
  it('equals the brute-force MMR for vectors (cosine) and callbacks, any λ and k', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 0, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(0, 0.25, 0.5, 0.7, 1),
        fc.integer({ min: 0, max: 25 }),
        (keys, seed, lambda, k) => {
          let state = seed;
          const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % 5);
          const vectors = new Map(keys.map((key) => [key, [next() - 2, next() - 2, next() - 2]]));
          const candidates = keys.map((key) => ({ key, score: next() / 4 }));
          const cosine = (a: number, b: number) => {
            const x = vectors.get(a)!;
            const y = vectors.get(b)!;
            const dot = x[0]! * y[0]! + x[1]! * y[1]! + x[2]! * y[2]!;
            const n = Math.hypot(...x) * Math.hypot(...y);
            return n > 0 ? dot / n : 0;
          };
          const expected = bruteForceMmr(candidates, cosine, lambda, Math.min(k, keys.length));
          const viaVectors = maximalMarginalRelevance({ candidates, vectors: (key) => vectors.get(key)!, lambda, k });
          expect(viaVectors).toEqual(expected);
          const overlap = (a: number, b: number) => (a % 3 === b % 3 ? 1 : 0) * 0.5;
          expect(maximalMarginalRelevance({ candidates, similarity: overlap, lambda, k })).toEqual(bruteForceMmr(candidates, overlap, lambda, Math.min(k, keys.length)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('λ = 1 is the relevance order; near-duplicates are pushed down at λ = 0.5', () => {
    const candidates = [
      { key: 1, score: 0.9 },
      { key: 2, score: 0.89 },
      { key: 3, score: 0.5 },
    ];
    const similarity = (a: number, b: number) => (a + b === 3 ? 1 : 0);
    expect(maximalMarginalRelevance({ candidates, similarity, lambda: 1 })).toEqual([1, 2, 3]);
    expect(maximalMarginalRelevance({ candidates, similarity, lambda: 0.5, k: 2 })).toEqual([1, 3]);
    expect(() => maximalMarginalRelevance({ candidates, lambda: 2, similarity })).toThrow(/lambda/);
    expect(() => maximalMarginalRelevance({ candidates, lambda: 0.5 })).toThrow(/vectors or a similarity/);
  });
});
