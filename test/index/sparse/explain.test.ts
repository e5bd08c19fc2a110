import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../../src/core/types.js';
import { bm25Idf, DEFAULT_BM25_PARAMS, SegmentWriter, SparseSearcher } from '../../../src/index/sparse/index.js';
import { buildSegments, randomCorpus, randomQuery } from './corpus.js';
import { oracleContext, oracleStatistics, oracleStoredLength, oracleTermScores } from './oracle.js';

function find(explanation: Explanation, prefix: string): Explanation | undefined {
  if (explanation.description.startsWith(prefix)) return explanation;
  for (const detail of explanation.details) {
    const found = find(detail, prefix);
    if (found) return found;
  }
  return undefined;
}

describe('SparseSearcher.explain', () => {
  it('explains every hit with the score search computed and the oracle per-term scores and factors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const corpus = randomCorpus(seed, { maxDocuments: 300 });
        const params = DEFAULT_BM25_PARAMS;
        const searcher = new SparseSearcher({ segments: buildSegments(corpus), deleted: corpus.deleted, params });
        const documents = corpus.segments.flat();
        const query = randomQuery(seed, corpus.vocabulary);
        const context = oracleContext({ documents, query });
        for (const hit of searcher.search(query, { k: 10 })) {
          const explanation = searcher.explain(query, hit.docKey)!;
          expect(explanation.value).toBe(hit.score);
          expect(explanation.description).toBe('sum of:');
          const document = documents.find((d) => d.key === hit.docKey)!;
          const termScores = oracleTermScores({ params, query }, context, document)!;
          const matching = query.map((q, i) => ({ ...q, score: termScores[i]! })).filter((q) => document.terms.includes(q.term));
          expect(explanation.details.map((d) => d.value)).toEqual(matching.map((q) => q.score));
          explanation.details.forEach((detail, i) => {
            const { term, boost } = matching[i]!;
            expect(detail.description).toContain(`weight(${term} in ${hit.docKey})`);
            const n = find(detail, 'n, number of documents')!.value;
            const N = find(detail, 'N, total number')!.value;
            expect(n).toBe(context.docFreq.get(term));
            expect(N).toBe(context.docCount);
            expect(find(detail, 'idf')!.value).toBe(Math.fround(Math.log(1 + (N - n + 0.5) / (n + 0.5))));
            expect(find(detail, 'freq, occurrences')!.value).toBe(document.terms.filter((t) => t === term).length);
            expect(find(detail, 'avgdl')!.value).toBe(oracleStatistics(documents).averageLength);
            expect(find(detail, 'dl, length of field')!.value).toBe(oracleStoredLength(document.terms.length));
            expect(find(detail, 'boost')?.value ?? 1).toBe(Math.fround(boost));
          });
        }
      }),
      { numRuns: 30 },
    );
  });

  it('returns null for unknown, deleted and non-matching documents', () => {
    const writer = new SegmentWriter();
    writer.add(1, ['a', 'b']);
    writer.add(2, ['b']);
    writer.add(3, ['c']);
    const searcher = new SparseSearcher({ segments: [writer.finish()], deleted: new Set([2]), params: DEFAULT_BM25_PARAMS });
    expect(searcher.explain([{ term: 'a', boost: 1 }], 99)).toBeNull();
    expect(searcher.explain([{ term: 'b', boost: 1 }], 2)).toBeNull();
    expect(searcher.explain([{ term: 'a', boost: 1 }], 3)).toBeNull();
    const explanation = searcher.explain([{ term: 'a', boost: 1 }], 1)!;
    // N = 3 documents with terms, n = 1: idf = log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    expect(find(explanation, 'idf')!.value).toBe(Math.fround(Math.log(1 + 2.5 / 1.5)));
    expect(find(explanation, 'dl, length of field')!.value).toBe(2);
    expect(find(explanation, 'avgdl')!.value).toBe(Math.fround(4 / 3));
  });
});

describe('SparseSearcher statistics and arguments', () => {
  it('reports global statistics over segments, deleted documents included', () => {
    const a = new SegmentWriter();
    a.add(1, ['x', 'y', 'y']);
    a.add(2, []);
    const b = new SegmentWriter();
    b.add(3, ['y', 'z']);
    const searcher = new SparseSearcher({ segments: [a.finish(), b.finish()], deleted: new Set([1]), params: DEFAULT_BM25_PARAMS });
    expect(searcher.stats()).toEqual({ documentCount: 2, sumTotalTermFreq: 5, averageDocumentLength: Math.fround(5 / 2), termCount: 3 });
    expect(searcher.docFreq('y')).toBe(2);
    expect(searcher.docFreq('nope')).toBe(0);
    expect(bm25Idf({ docFreq: 2, docCount: 2 })).toBe(Math.fround(Math.log(1 + 0.5 / 2.5)));
  });

  it('refuses bad k, boosts, strategies and BM25 parameters', () => {
    const writer = new SegmentWriter();
    writer.add(1, ['x']);
    const segments = [writer.finish()];
    const searcher = new SparseSearcher({ segments, params: DEFAULT_BM25_PARAMS });
    expect(() => searcher.search([{ term: 'x', boost: 1 }], { k: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => searcher.search([{ term: 'x', boost: 1 }], { k: 1.5 })).toThrow(/k must be/);
    expect(() => searcher.search([{ term: 'x', boost: -1 }], { k: 1 })).toThrow(/boost/);
    expect(() => searcher.search([{ term: 'x', boost: NaN }], { k: 1 })).toThrow(/boost/);
    expect(() => searcher.search([{ term: 'x', boost: 1 }], { k: 1, strategy: 'fast' as 'auto' })).toThrow(/strategy/);
    expect(() => new SparseSearcher({ segments, params: { k1: -1, b: 0.4 } })).toThrow(/k1/);
    expect(() => new SparseSearcher({ segments, params: { k1: 1, b: 1.5 } })).toThrow(/b must/);
    expect(searcher.search([], { k: 5 })).toEqual([]);
    expect(searcher.search([{ term: 'x', boost: 1 }], { k: 0 })).toEqual([]);
  });
});
