import { describe, expect, it } from 'vitest';
import { ExactVectorIndex, HnswVectorIndex, LayeredVectorIndex } from '../../../src/index/dense/index.js';
import { vectorIndexContract } from './contract.js';
import { clusteredVectors } from './random.js';

const available = await import('usearch').then(
  () => true,
  () => false,
);

if (available) {
  vectorIndexContract({ name: 'layered (graph + exact delta)', approximate: true, create: async (metric, dimensions) => new LayeredVectorIndex(await HnswVectorIndex.create({ metric, dimensions })) });
}

describe.runIf(available)('LayeredVectorIndex', () => {
  it('keeps every key in one layer, merges both layers in search, and compacts the delta into the graph', async () => {
    const d = 16;
    const n = 600;
    const data = clusteredVectors(5, n, d, 8);
    const vector = (i: number) => data.subarray(i * d, (i + 1) * d);
    const layered = new LayeredVectorIndex(await HnswVectorIndex.create({ metric: 'cosine', dimensions: d, expansionSearch: 400 }));
    const exact = new ExactVectorIndex({ metric: 'cosine', dimensions: d });
    const keys = Array.from({ length: n }, (_, i) => i);
    layered.add(keys.slice(0, 400), data.subarray(0, 400 * d));
    await layered.compact();
    expect([layered.base.size, layered.delta.size]).toEqual([400, 0]);
    layered.add(keys.slice(400), data.subarray(400 * d));
    layered.add([7], [vector(450)]); // a key of the graph replaced: it moves to the delta
    for (const key of [3, 410]) layered.remove(key);
    exact.add(keys, data);
    exact.add([7], [vector(450)]);
    for (const key of [3, 410]) exact.remove(key);
    expect([layered.base.size, layered.delta.size, layered.size]).toEqual([398, 200, 598]);
    expect(layered.has(7) && !layered.has(3) && !layered.has(410)).toBe(true);
    expect(layered.allKeys().sort((a, b) => a - b)).toEqual(exact.allKeys().sort((a, b) => a - b));
    const check = () => {
      let found = 0;
      for (const q of [0, 120, 450, 599]) {
        const truth = exact.search(vector(q), { k: 10, filter: (key) => key % 2 === 0 }).map((h) => h.key);
        const hits = layered.search(vector(q), { k: 10, filter: (key) => key % 2 === 0 });
        expect(hits.every((h) => h.key % 2 === 0)).toBe(true);
        expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
        found += hits.filter((h) => truth.includes(h.key)).length;
      }
      expect(found / 40).toBeGreaterThanOrEqual(0.9);
    };
    check();
    await layered.compact();
    expect([layered.base.size, layered.delta.size]).toEqual([598, 0]);
    check();
  });
});
