import { describe, expect, it } from 'vitest';
import type { RerankModel } from '../../src/models/index.js';
import { crossEncoderRerank, DEFAULT_FEATURE_WEIGHTS, featureRerank, minimumCoveringWindow } from '../../src/retrieve/rerank.js';

const whitespace = { analyze: (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean) };

const hits = [
  { key: 1, text: 'bm25 ranking in the okapi system', title: 'Okapi BM25', bm25: 10, dense: 0.5, score: 10 },
  { key: 2, text: 'the okapi bm25 ranking function', bm25: 8, dense: 0.2, score: 8 },
  { key: 3, text: 'ranking of tennis players', dense: 0.9 },
];

describe('minimumCoveringWindow', () => {
  it('finds the shortest span containing every term', () => {
    expect(minimumCoveringWindow(['a', 'x', 'b', 'a', 'y', 'b'], new Set(['a', 'b']))).toBe(2);
    expect(minimumCoveringWindow(['a', 'x', 'y', 'b'], new Set(['a', 'b']))).toBe(4);
    expect(minimumCoveringWindow(['a'], new Set(['a']))).toBe(1);
    expect(minimumCoveringWindow(['a'], new Set(['a', 'z']))).toBe(Infinity);
    expect(minimumCoveringWindow(['a'], new Set())).toBe(0);
  });
});

describe('featureRerank', () => {
  it('computes the hand-worked features and scores with the default weights', () => {
    expect(DEFAULT_FEATURE_WEIGHTS).toEqual({ bm25: 1, dense: 1, proximity: 0.5, title: 0.25, phrase: 0.5 });
    const reranked = featureRerank('okapi bm25 ranking', hits, { analyzer: whitespace });
    expect(reranked.map((h) => h.key)).toEqual([2, 1, 3]);
    const [h2, h1, h3] = reranked;
    // hit 2: bm25 8/10, dense 0.2, window of 3 covering 3/3 terms → 1, no title, exact phrase
    expect(h2!.features).toEqual({ bm25: 0.8, dense: 0.2, proximity: 1, title: 0, phrase: 1 });
    expect(h2!.score).toBeCloseTo(0.8 + 0.2 + 0.5 + 0.5, 12);
    // hit 1: bm25 10/10, dense 0.5, window of 5 covering 3/3 → 3/5, title has 2 of 3 terms, no phrase
    expect(h1!.features.proximity).toBeCloseTo(0.6, 12);
    expect(h1!.features.title).toBeCloseTo(2 / 3, 12);
    expect(h1!.features.phrase).toBe(0);
    expect(h1!.score).toBeCloseTo(1 + 0.5 + 0.3 + 0.25 * (2 / 3), 12);
    expect(h1!.previousScore).toBe(10);
    // hit 3: no BM25 score, dense 0.9, one of three terms → (1/3)·(1/1)
    expect(h3!.features).toMatchObject({ bm25: 0, dense: 0.9, title: 0, phrase: 0 });
    expect(h3!.features.proximity).toBeCloseTo(1 / 3, 12);
    expect(h3!.score).toBeCloseTo(0.9 + 0.5 / 3, 12);
  });

  it('explains every score as the sum of weight × feature', () => {
    const [best] = featureRerank('okapi bm25 ranking', hits, { analyzer: whitespace });
    expect(best!.explanation.value).toBe(best!.score);
    const sum = best!.explanation.details.reduce((s, d) => s + d.value, 0);
    expect(sum).toBeCloseTo(best!.score, 12);
    const descriptions = best!.explanation.details.map((d) => d.description);
    expect(descriptions).toContain('weight 0.5 × proximity 1');
    expect(best!.explanation.details[2]!.details[0]!.description).toBe('proximity: (3 of 3 query terms) × (3 terms / window of 3 tokens)');
  });

  it('takes weight overrides and topK; ties keep first-stage order', () => {
    const onlyDense = featureRerank('okapi bm25 ranking', hits, { analyzer: whitespace, weights: { bm25: 0, proximity: 0, title: 0, phrase: 0 }, topK: 2 });
    expect(onlyDense.map((h) => h.key)).toEqual([3, 1]);
    const none = featureRerank('zzz', hits, { analyzer: whitespace, weights: { dense: 0, bm25: 0 } });
    expect(none.map((h) => h.key)).toEqual([1, 2, 3]);
    expect(() => featureRerank('q', hits, { weights: { dense: NaN } })).toThrow(/dense/);
    expect(() => featureRerank('q', [hits[0]!, hits[0]!])).toThrow(/appears twice/);
  });

  it('uses the English analyzer by default (stemming, stop words)', () => {
    const [best] = featureRerank('ranking functions', [
      { key: 1, text: 'a function for the ranks' },
      { key: 2, text: 'ranking functions compared' },
    ]);
    expect(best!.key).toBe(2);
    expect(best!.features.phrase).toBe(1);
  });
});

describe('crossEncoderRerank', () => {
  const fake: RerankModel = {
    specificationVersion: 'v1',
    provider: 'fake',
    modelId: 'length',
    rerank: async (_query, passages) => passages.map((p) => p.length),
  };

  it('orders by the model scores and keeps the first-stage score in the explanation', async () => {
    const reranked = await crossEncoderRerank(fake, 'q', hits);
    expect(reranked.map((h) => [h.key, h.score])).toEqual([[1, 32], [2, 31], [3, 25]]);
    expect(reranked[0]!.explanation.details[0]).toMatchObject({ value: 10, description: 'first-stage score (replaced, not combined)' });
    expect(await crossEncoderRerank(fake, 'q', [])).toEqual([]);
  });

  it('refuses a model that returns the wrong number of scores', async () => {
    const broken: RerankModel = { ...fake, rerank: async () => [1] };
    await expect(crossEncoderRerank(broken, 'q', hits)).rejects.toMatchObject({ code: 'PROVIDER' });
  });
});
