import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactVectorIndex, type VectorMetric } from '../../../src/index/dense/index.js';
import { vectorIndexContract } from './contract.js';
import { integerVectors } from './random.js';

vectorIndexContract({ name: 'exact', create: async (metric, dimensions) => new ExactVectorIndex({ metric, dimensions, capacity: 2 }) });

/** The plainest possible brute force: score every vector with the textbook formula, sort, cut. */
function bruteForce(metric: VectorMetric, keys: number[], data: Float32Array, d: number, query: Float32Array, k: number, filter?: (key: number) => boolean) {
  const scored: Array<{ key: number; score: number }> = [];
  keys.forEach((key, i) => {
    if (filter && !filter(key)) return;
    let dot = 0;
    let qq = 0;
    let vv = 0;
    let l2 = 0;
    for (let j = 0; j < d; j++) {
      const q = query[j]!;
      const v = data[i * d + j]!;
      dot += q * v;
      qq += q * q;
      vv += v * v;
      l2 += (q - v) * (q - v);
    }
    const score = metric === 'inner-product' ? dot : metric === 'l2' ? -l2 : qq * vv > 0 ? dot / (Math.sqrt(qq) * Math.sqrt(vv)) : 0;
    scored.push({ key, score });
  });
  scored.sort((a, b) => b.score - a.score || a.key - b.key);
  return scored.slice(0, k);
}

describe('ExactVectorIndex against brute force', () => {
  it('returns exactly the brute-force top k (keys, scores, tie order), with filters and removals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 30 }),
        fc.constantFrom<VectorMetric>('cosine', 'inner-product', 'l2'),
        fc.constantFrom(0, 2, 3),
        (seed, n, d, k, metric, modulus) => {
          // integer components make every sum exact, so any summation order gives the same float
          const data = integerVectors(seed, n, d);
          const keys = Array.from({ length: n }, (_, i) => (i * 7919) % 100003);
          const index = new ExactVectorIndex({ metric, dimensions: d, capacity: 3 });
          index.add(keys, data);
          const removed = new Set(keys.filter((_, i) => i % 5 === 4));
          for (const key of removed) index.remove(key);
          const liveKeys = keys.filter((key) => !removed.has(key));
          const liveData = new Float32Array(liveKeys.length * d);
          let p = 0;
          keys.forEach((key, i) => {
            if (!removed.has(key)) liveData.set(data.subarray(i * d, (i + 1) * d), d * p++);
          });
          const filter = modulus === 0 ? undefined : (key: number) => key % modulus !== 1;
          const queries = integerVectors(seed + 1, 3, d);
          for (let q = 0; q < 3; q++) {
            const query = queries.subarray(q * d, (q + 1) * d);
            expect(index.search(query, { k, filter })).toEqual(bruteForce(metric, liveKeys, liveData, d, query, k, filter));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('encodeSync / decode round trip is byte-stable', () => {
    const index = new ExactVectorIndex({ metric: 'l2', dimensions: 4 });
    index.add([3, 1, 2], integerVectors(1, 3, 4));
    const bytes = index.encodeSync({ seq: 9 });
    const { index: back, seq } = ExactVectorIndex.decode(bytes);
    expect(seq).toBe(9);
    expect(back.encodeSync({ seq: 9 })).toEqual(bytes);
    expect(back.vector(2)).toEqual(index.vector(2));
  });

  it('refuses another format and an unknown version', async () => {
    const { encodeEnvelope } = await import('../../../src/core/format.js');
    const other = encodeEnvelope({ format: 'ralm.dense.hnsw', version: 1 }, new Uint8Array(4));
    expect(() => ExactVectorIndex.decode(other)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    const future = encodeEnvelope({ format: 'ralm.dense.vectors', version: 99 }, new Uint8Array(4));
    expect(() => ExactVectorIndex.decode(future)).toThrow(expect.objectContaining({ code: 'FORMAT_VERSION' }));
  });
});
