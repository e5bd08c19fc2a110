/**
 * The shared contract every VectorIndex implementation runs (Lucene's BaseXFormatTestCase idea): add/replace/
 * remove, k bounds, filters inside the search, ordering and ties, validation, persistence round trip with seq.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../../src/core/errors.js';
import { loadVectorIndex, type VectorIndex, type VectorMetric } from '../../../src/index/dense/index.js';
import { clusteredVectors } from './random.js';

export interface ContractSubject {
  name: string;
  /** An approximate index (HNSW): near-ties within float error may come in either order. */
  approximate?: boolean;
  create(metric: VectorMetric, dimensions: number): Promise<VectorIndex>;
}

export function vectorIndexContract(subject: ContractSubject): void {
  describe(`VectorIndex contract: ${subject.name}`, () => {
    let folder = '';
    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'ralm-dense-'));
    });
    afterAll(async () => {
      await rm(folder, { recursive: true, force: true });
    });

    const metrics: VectorMetric[] = ['cosine', 'inner-product', 'l2'];

    for (const metric of metrics) {
      it(`${metric}: finds each vector itself first, scores descending`, async () => {
        const d = 8;
        const n = 60;
        const data = clusteredVectors(11, n, d);
        const index = await subject.create(metric, d);
        expect(index.metric).toBe(metric);
        expect(index.dimensions).toBe(d);
        index.add(Array.from({ length: n }, (_, i) => i * 3), data);
        expect(index.size).toBe(n);
        for (let i = 0; i < n; i += 7) {
          const hits = index.search(data.subarray(i * d, (i + 1) * d), { k: 5 });
          expect(hits).toHaveLength(5);
          if (metric !== 'inner-product') {
            if (subject.approximate) {
              // an approximate index may order near-ties (within float error of the self-similarity) either way
              expect(hits.map((h) => h.key)).toContain(i * 3);
              const self = hits.find((h) => h.key === i * 3)!;
              expect(Math.abs(hits[0]!.score - self.score)).toBeLessThan(1e-4);
            } else expect(hits[0]!.key).toBe(i * 3);
          }
          for (let j = 1; j < hits.length; j++) expect(hits[j - 1]!.score).toBeGreaterThanOrEqual(hits[j]!.score);
        }
      });
    }

    it('returns min(k, size) hits; k = 0 and an empty index give []', async () => {
      const index = await subject.create('cosine', 4);
      expect(index.search(new Float32Array([1, 0, 0, 0]), { k: 3 })).toEqual([]);
      index.add([1, 2], [new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0])]);
      expect(index.search(new Float32Array([1, 0, 0, 0]), { k: 10 }).map((h) => h.key)).toEqual([1, 2]);
      expect(index.search(new Float32Array([1, 0, 0, 0]), { k: 0 })).toEqual([]);
    });

    it('adding an existing key replaces its vector; remove deletes it', async () => {
      const index = await subject.create('cosine', 3);
      index.add([5, 6], [new Float32Array([1, 0, 0]), new Float32Array([0, 1, 0])]);
      index.add([5], [new Float32Array([0, 0, 1])]);
      expect(index.size).toBe(2);
      expect(index.search(new Float32Array([0, 0, 1]), { k: 1 })[0]!.key).toBe(5);
      expect(index.search(new Float32Array([1, 0, 0]), { k: 2 }).find((h) => h.key === 5)!.score).toBeCloseTo(0, 5);
      expect(index.remove(5)).toBe(true);
      expect(index.remove(5)).toBe(false);
      expect(index.has(5)).toBe(false);
      expect(index.has(6)).toBe(true);
      expect(index.size).toBe(1);
      expect(index.search(new Float32Array([0, 0, 1]), { k: 5 }).map((h) => h.key)).toEqual([6]);
    });

    it('applies the filter inside the search: k passing hits even when the best are filtered out', async () => {
      const d = 6;
      const n = 400;
      const data = clusteredVectors(5, n, d, 4);
      const index = await subject.create('cosine', d);
      index.add(Array.from({ length: n }, (_, i) => i), data);
      const query = data.subarray(0, d);
      for (const modulus of [2, 7, 50]) {
        const hits = index.search(query, { k: 5, filter: (key) => key % modulus === 1 });
        expect(hits).toHaveLength(5);
        for (const hit of hits) expect(hit.key % modulus).toBe(1);
      }
      expect(index.search(query, { k: 5, filter: () => false })).toEqual([]);
      expect(index.search(query, { k: 5, filter: (key) => key === 123 }).map((h) => h.key)).toEqual([123]);
    });

    it('rejects wrong dimensions, bad keys and bad k with INVALID_ARGUMENT', async () => {
      const index = await subject.create('l2', 3);
      const code = (run: () => unknown): string | undefined => {
        try {
          run();
        } catch (error) {
          return RalmError.is(error) ? error.code : 'not a RalmError';
        }
        return undefined;
      };
      expect(code(() => index.add([1], [new Float32Array(2)]))).toBe('INVALID_ARGUMENT');
      expect(code(() => index.add([-1], [new Float32Array(3)]))).toBe('INVALID_ARGUMENT');
      expect(code(() => index.add([1.5], [new Float32Array(3)]))).toBe('INVALID_ARGUMENT');
      expect(code(() => index.add([1, 2], new Float32Array(5)))).toBe('INVALID_ARGUMENT');
      expect(code(() => index.search(new Float32Array(4), { k: 1 }))).toBe('INVALID_ARGUMENT');
      expect(code(() => index.search(new Float32Array(3), { k: -1 }))).toBe('INVALID_ARGUMENT');
    });

    it('save/load round trip keeps keys, results and the seq; a corrupted byte is a CHECKSUM error', async () => {
      const d = 8;
      const n = 200;
      const data = clusteredVectors(3, n, d);
      const index = await subject.create('cosine', d);
      index.add(Array.from({ length: n }, (_, i) => 1000 + i), data);
      index.remove(1005);
      const path = join(folder, `${subject.name}.index`);
      await index.save(path, { seq: 42 });
      const { index: loaded, seq } = await loadVectorIndex(path);
      expect(seq).toBe(42);
      expect(loaded.kind).toBe(index.kind);
      expect(loaded.size).toBe(n - 1);
      expect(loaded.has(1005)).toBe(false);
      for (let i = 0; i < n; i += 17) {
        const query = data.subarray(i * d, (i + 1) * d);
        expect(loaded.search(query, { k: 10 })).toEqual(index.search(query, { k: 10 }));
      }
      const bytes = new Uint8Array(await readFile(path));
      bytes[bytes.length - 3] ^= 0x5a;
      await writeFile(path, bytes);
      await expect(loadVectorIndex(path)).rejects.toMatchObject({ code: 'CHECKSUM' });
    });
  });
}
