import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attentionFusion,
  fuse,
  normalizedScoreFusion,
  reciprocalRankFusion,
  type FusedHit,
  type FusionOptions,
  type RankedList,
} from '../../src/retrieve/fusion.js';

const hitsArbitrary = fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 40 }), score: fc.integer({ min: -50, max: 50 }).map((x) => x / 2) }), {
  selector: (hit) => hit.key,
  maxLength: 25,
});
const listsArbitrary = fc
  .uniqueArray(fc.constantFrom('bm25', 'lsa', 'splade', 'title'), { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map((name) => hitsArbitrary.map((hits): RankedList => ({ retriever: name, hits })))));

const methods: FusionOptions[] = [
  { method: 'rrf' },
  { method: 'rrf', k: 10, weights: {} },
  { method: 'normalized', normalization: 'min-max' },
  { method: 'normalized', normalization: 'z-score', missing: 'minimum' },
  { method: 'normalized', normalization: 'z-score', missing: 'zero' },
  { method: 'attention', temperature: 3 },
];

const plain = (hits: FusedHit[]) => hits.map(({ key, score }) => ({ key, score }));
const canonical = (list: RankedList) => [...list.hits].sort((a, b) => b.score - a.score || a.key - b.key).map((h) => h.key);

describe('fusion properties', () => {
  for (const options of methods) {
    const name = JSON.stringify(options);

    it(`${name}: the order of the lists and of hits within a list does not matter`, () => {
      fc.assert(
        fc.property(listsArbitrary, fc.integer(), (lists, seed) => {
          const reversed = [...lists].reverse().map((list) => ({ ...list, hits: [...list.hits].reverse() }));
          const rotated = lists.map((list) => ({ ...list, hits: list.hits.map((_, i) => list.hits[(i + Math.abs(seed)) % list.hits.length]!) }));
          const expected = plain(fuse(lists, options));
          expect(plain(fuse(reversed, options))).toEqual(expected);
          expect(plain(fuse(rotated, options))).toEqual(expected);
        }),
        { numRuns: 50 },
      );
    });

    it(`${name}: a single list comes back in its own order (score desc, key asc)`, () => {
      fc.assert(
        fc.property(hitsArbitrary, (hits) => {
          const list = { retriever: 'only', hits };
          expect(fuse([list], options).map((h) => h.key)).toEqual(canonical(list));
        }),
        { numRuns: 50 },
      );
    });

    it(`${name}: weight 0 removes a retriever`, () => {
      fc.assert(
        fc.property(listsArbitrary, (lists) => {
          if (lists.length < 2) return;
          const dropped = lists[0]!.retriever;
          const weights = { [dropped]: 0 };
          const withZero = plain(fuse(lists, { ...options, weights } as FusionOptions));
          const without = plain(fuse(lists.slice(1), { ...options, weights: {} } as FusionOptions));
          expect(withZero).toEqual(without);
        }),
        { numRuns: 50 },
      );
    });

    it(`${name}: deterministic ties (descending score, then ascending key), explanation value = score`, () => {
      fc.assert(
        fc.property(listsArbitrary, (lists) => {
          const fused = fuse(lists, options);
          for (let i = 1; i < fused.length; i++) {
            const a = fused[i - 1]!;
            const b = fused[i]!;
            expect(a.score > b.score || (a.score === b.score && a.key < b.key)).toBe(true);
          }
          for (const hit of fused) {
            expect(hit.explanation.value).toBe(hit.score);
            expect(hit.explanation.details).toHaveLength(lists.length);
            const sum = hit.explanation.details.reduce((s, d) => s + d.value, 0);
            expect(sum).toBeCloseTo(hit.score, 12);
          }
          expect(new Set(fused.map((h) => h.key))).toEqual(new Set(lists.flatMap((l) => l.hits.map((h) => h.key))));
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe('fusion formulas', () => {
  const bm25: RankedList = { retriever: 'bm25', hits: [{ key: 1, score: 10 }, { key: 2, score: 6 }, { key: 3, score: 2 }] };
  const lsa: RankedList = { retriever: 'lsa', hits: [{ key: 3, score: 0.9 }, { key: 4, score: 0.5 }] };

  it('RRF: sum of w / (k + rank), explained per retriever with rank, raw score, weight and k', () => {
    const fused = reciprocalRankFusion([bm25, lsa], { k: 60, weights: { lsa: 2 } });
    const byKey = new Map(fused.map((h) => [h.key, h]));
    expect(byKey.get(3)!.score).toBeCloseTo(1 / 63 + 2 / 61, 15);
    expect(byKey.get(1)!.score).toBeCloseTo(1 / 61, 15);
    expect(fused[0]!.key).toBe(3);
    const bm25Part = byKey.get(3)!.explanation.details.find((d) => d.description.includes('"bm25"'))!;
    expect(bm25Part.details.map((d) => [d.description.split(',')[0], d.value])).toEqual([
      ['rank', 3],
      ['raw score', 2],
      ['weight', 1],
      ['k', 60],
    ]);
    expect(byKey.get(1)!.explanation.details.find((d) => d.description.includes('"lsa"'))!.description).toMatch(/not retrieved/);
    expect(reciprocalRankFusion([bm25, lsa], { limit: 2 })).toHaveLength(2);
  });

  it('min-max fusion: missing documents get the list minimum (0); alpha is a convex weight of the first list', () => {
    const fused = normalizedScoreFusion([bm25, lsa], { normalization: 'min-max', alpha: 0.25 });
    const byKey = new Map(fused.map((h) => [h.key, h.score]));
    expect(byKey.get(1)).toBeCloseTo(0.25 * 1 + 0.75 * 0, 15);
    expect(byKey.get(2)).toBeCloseTo(0.25 * 0.5, 15);
    expect(byKey.get(3)).toBeCloseTo(0.25 * 0 + 0.75 * 1, 15);
    expect(byKey.get(4)).toBeCloseTo(0.25 * 0 + 0.75 * 0, 15);
  });

  it('z-score fusion: missing → the list minimum z-score, or 0 with missing: "zero"', () => {
    const mean = 6;
    const sd = Math.sqrt(((10 - 6) ** 2 + 0 + (2 - 6) ** 2) / 3);
    const minimumZ = (2 - mean) / sd;
    const lsaZ = [1, -1];
    const minimum = new Map(normalizedScoreFusion([bm25, lsa], { normalization: 'z-score' }).map((h) => [h.key, h.score]));
    expect(minimum.get(4)).toBeCloseTo(minimumZ + lsaZ[1]!, 12);
    expect(minimum.get(1)).toBeCloseTo((10 - mean) / sd + lsaZ[1]!, 12);
    const zero = new Map(normalizedScoreFusion([bm25, lsa], { normalization: 'z-score', missing: 'zero' }).map((h) => [h.key, h.score]));
    expect(zero.get(4)).toBeCloseTo(lsaZ[1]!, 12);
    expect(zero.get(1)).toBeCloseTo((10 - mean) / sd, 12);
  });

  it('attention fusion: per-list softmax with temperature, weighted sum; explained with softmax, temperature, weight', () => {
    const fused = attentionFusion([bm25, lsa], { temperature: { bm25: 4, lsa: 0.5 }, weights: { bm25: 0.3, lsa: 0.7 } });
    const z = Math.exp(10 / 4) + Math.exp(6 / 4) + Math.exp(2 / 4);
    const zl = Math.exp(0.9 / 0.5) + Math.exp(0.5 / 0.5);
    const byKey = new Map(fused.map((h) => [h.key, h]));
    expect(byKey.get(3)!.score).toBeCloseTo((0.3 * Math.exp(2 / 4)) / z + (0.7 * Math.exp(0.9 / 0.5)) / zl, 12);
    const part = byKey.get(3)!.explanation.details.find((d) => d.description.includes('"lsa"'))!;
    expect(part.details[0]!.value).toBeCloseTo(Math.exp(0.9 / 0.5) / zl, 12);
    expect(part.details[0]!.details.map((d) => d.value)).toEqual([0.9, 0.5, 2]);
    expect(part.details[1]!.value).toBe(0.7);
  });

  it('rejects duplicate retrievers, unknown weights, bad alpha, bad temperature', () => {
    expect(() => reciprocalRankFusion([bm25, bm25])).toThrow(/twice/);
    expect(() => reciprocalRankFusion([bm25], { weights: { nope: 1 } })).toThrow(/unknown retriever/);
    expect(() => normalizedScoreFusion([bm25], { alpha: 0.5 })).toThrow(/exactly two/);
    expect(() => normalizedScoreFusion([bm25, lsa], { alpha: 1.5 })).toThrow(/alpha/);
    expect(() => attentionFusion([bm25], { temperature: 0 })).toThrow(/temperature/);
    expect(() => fuse([bm25], { method: 'nope' } as unknown as FusionOptions)).toThrow(/unknown fusion method/);
  });
});
