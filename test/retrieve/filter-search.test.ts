/**
 * The contract between filters and the sparse index: the compiled predicate runs inside the searcher's top-k
 * collection (`SparseSearcher.search(…, { filter: (docKey) => predicate(metadataOf(docKey)) })`), so a filtered
 * search returns k hits whenever k matching documents exist — never fewer because non-matching documents took the
 * top places.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Metadata } from '../../src/core/types.js';
import { DEFAULT_BM25_PARAMS, SegmentWriter, SparseSearcher } from '../../src/index/sparse/index.js';
import { compileFilter, parseFilter } from '../../src/retrieve/index.js';

function build(documents: Array<{ terms: string[]; metadata: Metadata }>): SparseSearcher {
  const writer = new SegmentWriter();
  documents.forEach((document, key) => writer.add(key, document.terms));
  return new SparseSearcher({ segments: [writer.finish()], params: DEFAULT_BM25_PARAMS });
}

describe('filtered sparse search', () => {
  it('returns k hits when k matching documents exist, even if every better-scoring document fails the filter', () => {
    // 300 documents; the 250 best-scoring (many "fox") are English drafts, the 50 weakest match the filter.
    const documents = Array.from({ length: 300 }, (_, key) => {
      const matching = key >= 250;
      const foxes = matching ? 1 : 2 + (key % 5);
      return {
        terms: [...Array<string>(foxes).fill('fox'), 'dog', `unique${key}`],
        metadata: matching ? { lang: 'zh', year: 2020 + (key % 3), tags: ['a', 'b'] } : { lang: 'en', year: 2022, draft: true },
      };
    });
    const searcher = build(documents);
    const predicate = compileFilter(parseFilter('lang = "zh" and year >= 2020 and not (draft = true)'));
    const metadataOf = (docKey: number) => documents[docKey]!.metadata;
    const query = [{ term: 'fox', boost: 1 }];

    const unfiltered = searcher.search(query, { k: 10 });
    expect(unfiltered.every((hit) => !predicate(metadataOf(hit.docKey)))).toBe(true); // post-filtering would return 0

    const hits = searcher.search(query, { k: 10, filter: (docKey) => predicate(metadataOf(docKey)) });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => predicate(metadataOf(hit.docKey)))).toBe(true);
    // Exactly the 10 best of the matching documents.
    const expected = searcher
      .search(query, { k: documents.length })
      .filter((hit) => predicate(metadataOf(hit.docKey)))
      .slice(0, 10);
    expect(hits).toEqual(expected);
    // Fewer matches than k: all of them.
    expect(searcher.search(query, { k: 80, filter: (docKey) => predicate(metadataOf(docKey)) })).toHaveLength(50);
  });

  it('equals the filtered exhaustive ranking for random metadata and filters', () => {
    const vocabulary = ['fox', 'dog', 'cat', 'bird'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            terms: fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 8 }),
            metadata: fc.record({ lang: fc.constantFrom('zh', 'en'), year: fc.integer({ min: 2018, max: 2023 }), tag: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 2 }) }),
          }),
          { minLength: 1, maxLength: 150 },
        ),
        fc.constantFrom('lang = "zh"', 'year >= 2021 and tag in ("a")', 'not (lang = "en") or year between 2019 and 2020', 'tag = "c"', 'false'),
        fc.integer({ min: 1, max: 40 }),
        fc.subarray(vocabulary, { minLength: 1 }),
        (documents, filterText, k, queryTerms) => {
          const searcher = build(documents);
          const predicate = compileFilter(parseFilter(filterText));
          const filter = (docKey: number) => predicate(documents[docKey]!.metadata);
          const query = queryTerms.map((term) => ({ term, boost: 1 }));
          const all = searcher.search(query, { k: documents.length }).filter((hit) => filter(hit.docKey));
          const hits = searcher.search(query, { k, filter });
          expect(hits).toEqual(all.slice(0, k));
          expect(hits).toHaveLength(Math.min(k, all.length));
        },
      ),
      { numRuns: 150 },
    );
  });
});
