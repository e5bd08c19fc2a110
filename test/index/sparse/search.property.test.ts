import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SparseSearcher, type SparseSearchStrategy } from '../../../src/index/sparse/index.js';
import { buildSegments, deletedDocs, randomCorpus, randomQuery } from './corpus.js';
import { oracleSearch } from './oracle.js';

const strategies: SparseSearchStrategy[] = ['exhaustive', 'pruned', 'auto'];

describe('SparseSearcher against a brute-force oracle', () => {
  it('exhaustive, pruned and auto return exactly the oracle top k (keys, float scores, tie order)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(0, 0, 2, 3),
        fc.constantFrom({ k1: 0.9, b: 0.4 }, { k1: 1.2, b: 0.75 }, { k1: 0, b: 0 }, { k1: 2.5, b: 1 }),
        (corpusSeed, querySeed, k, filterModulus, params) => {
          const corpus = randomCorpus(corpusSeed);
          const segments = buildSegments(corpus);
          const deleted = deletedDocs(corpus);
          const searcher = new SparseSearcher({ segments, deleted, params });
          const filter = filterModulus === 0 ? undefined : (key: number) => key % filterModulus !== 1;
          for (let q = 0; q < 4; q++) {
            const query = randomQuery(querySeed + q, corpus.vocabulary);
            const expected = oracleSearch({ documents: corpus.segments.flat(), deleted: corpus.deleted, params, query, k, filter });
            for (const strategy of strategies) {
              const actual = searcher.search(query, { k, filter, strategy });
              expect(actual, `strategy ${strategy}, query ${JSON.stringify(query)}`).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('pruned equals exhaustive on larger corpora with small k (where pruning skips blocks)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 20 }), (seed, k) => {
        const corpus = randomCorpus(seed, { maxDocuments: 3000 });
        const segments = buildSegments(corpus);
        const searcher = new SparseSearcher({ segments, deleted: deletedDocs(corpus), params: { k1: 0.9, b: 0.4 } });
        for (let q = 0; q < 6; q++) {
          const query = randomQuery(seed + q, corpus.vocabulary);
          expect(searcher.search(query, { k, strategy: 'pruned' })).toEqual(searcher.search(query, { k, strategy: 'exhaustive' }));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('returns k hits under a filter whenever k matching documents pass it', () => {
    const corpus = randomCorpus(7, { maxDocuments: 2000 });
    const segments = buildSegments(corpus);
    const searcher = new SparseSearcher({ segments, params: { k1: 0.9, b: 0.4 } });
    const query = [{ term: corpus.vocabulary[0]!, boost: 1 }];
    const filter = (key: number) => key % 5 === 0;
    const all = searcher.search(query, { k: 100_000, strategy: 'exhaustive' });
    const passing = all.filter((h) => filter(h.docKey)).length;
    for (const strategy of strategies) {
      expect(searcher.search(query, { k: 10, filter, strategy })).toHaveLength(Math.min(10, passing));
    }
  });
});
