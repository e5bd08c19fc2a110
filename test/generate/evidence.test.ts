import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { evidenceDefaults, weighPassages } from '../../src/generate/evidence.js';

describe('weighPassages', () => {
  it('is a softmax over score / temperature, sorted by weight, keyed 1, 2, … in that order', () => {
    const weighted = weighPassages([{ score: 3, text: 'b' }, { score: 9, text: 'a' }], { temperature: 3 });
    const expected = Math.exp(6 / 3) / (Math.exp(6 / 3) + 1);
    expect(weighted.map((p) => p.text)).toEqual(['a', 'b']);
    expect(weighted.map((p) => p.key)).toEqual(['1', '2']);
    expect(weighted[0]!.weight).toBeCloseTo(expected, 12);
    expect(weighted[1]!.weight).toBeCloseTo(1 - expected, 12);
  });

  it('drops passages at or under the floor; an empty result means nothing relevant', () => {
    expect(weighPassages([{ score: 2 }, { score: 5 }], { floor: 5 })).toEqual([]);
    const kept = weighPassages([{ score: 2 }, { score: 6 }], { floor: 5 });
    expect(kept).toEqual([{ score: 6, weight: 1, key: '1' }]);
    expect(weighPassages([])).toEqual([]);
    expect(evidenceDefaults.floor).toBe(0);
    expect(weighPassages([{ score: 0 }, { score: -1 }])).toEqual([]);
  });

  it('keeps caller keys, ties keep input order, minWeight renormalises', () => {
    const weighted = weighPassages([{ score: 1, key: 'x' }, { score: 1 }, { score: 1 }]);
    expect(weighted.map((p) => p.key)).toEqual(['x', '2', '3']);
    const pruned = weighPassages([{ score: 10 }, { score: 9 }, { score: 1 }], { temperature: 1, minWeight: 0.1 });
    expect(pruned).toHaveLength(2);
    expect(pruned[0]!.weight + pruned[1]!.weight).toBeCloseTo(1, 12);
  });

  it('rejects bad options with a message naming the value', () => {
    expect(() => weighPassages([{ score: 1 }], { temperature: 0 })).toThrow(/temperature must be a positive finite number, got 0/);
    expect(() => weighPassages([{ score: Number.NaN }])).toThrow(RalmError);
    expect(() => weighPassages([{ score: 1 }], { minWeight: 1 })).toThrow(/minWeight/);
  });

  it('property: weights are in (0, 1], sum to 1, descend, and follow the scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 200, noNaN: true }), { maxLength: 30 }),
        fc.double({ min: 0.05, max: 100, noNaN: true }),
        (scores, temperature) => {
          const weighted = weighPassages(scores.map((score, index) => ({ score, index })), { temperature });
          expect(weighted.length).toBe(scores.filter((s) => s > 0).length);
          if (weighted.length === 0) return;
          const total = weighted.reduce((sum, p) => sum + p.weight, 0);
          expect(total).toBeCloseTo(1, 9);
          for (let i = 0; i < weighted.length; i++) {
            expect(weighted[i]!.weight).toBeGreaterThanOrEqual(0);
            expect(weighted[i]!.key).toBe(String(i + 1));
            if (i > 0) {
              expect(weighted[i]!.weight).toBeLessThanOrEqual(weighted[i - 1]!.weight);
              expect(weighted[i]!.score).toBeLessThanOrEqual(weighted[i - 1]!.score);
            }
          }
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
