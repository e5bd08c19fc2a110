import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RalmError } from '../../../src/core/errors.js';
import { encodeSegment, SegmentWriter } from '../../../src/index/sparse/index.js';
import { randomCorpus } from './corpus.js';

describe('SegmentWriter term ids', () => {
  it('addIds with ids from idOf builds the same segment as add with the terms, in any id order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(), (seed, reversed) => {
        const documents = randomCorpus(seed, { maxDocuments: 300 }).segments[0]!;
        const byTerms = new SegmentWriter();
        for (const d of documents) byTerms.add(d.key, d.terms);
        const byIds = new SegmentWriter();
        // ids handed out in another order than first use, and some terms given ids but never added
        const vocabulary = [...new Set(documents.flatMap((d) => d.terms)), 'never-added'];
        for (const term of reversed ? vocabulary.reverse() : vocabulary) byIds.idOf(term);
        for (const d of documents) byIds.addIds(d.key, Int32Array.from(d.terms, (t) => byIds.idOf(t)));
        expect(byIds.documentCount).toBe(byTerms.documentCount);
        expect(encodeSegment(byIds.finish())).toEqual(encodeSegment(byTerms.finish()));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses ids it did not hand out, and use after finish()', () => {
    const writer = new SegmentWriter();
    const fox = writer.idOf('fox');
    expect(writer.idOf('fox')).toBe(fox);
    expect(() => writer.addIds(1, Int32Array.of(fox, 7))).toThrow(/term id 7 at position 1 of doc 1/);
    writer.addIds(2, Int32Array.of(fox, fox));
    writer.finish();
    expect(() => writer.idOf('dog')).toThrow(RalmError);
    expect(() => writer.addIds(3, Int32Array.of(fox))).toThrow(/after finish/);
  });
});
