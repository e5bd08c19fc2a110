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

  it('addCounts of any grouping of a document\'s terms into (id, count) pairs builds the same segment as add', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed, grouping) => {
        const documents = randomCorpus(seed, { maxDocuments: 300 }).segments[0]!;
        const byTerms = new SegmentWriter();
        for (const d of documents) byTerms.add(d.key, d.terms);
        const byCounts = new SegmentWriter();
        let random = grouping;
        const next = () => (random = (Math.imul(random, 1103515245) + 12345) >>> 0);
        for (const d of documents) {
          // each run of equal terms (in a shuffled order) becomes one pair or is split in two: ids repeat, counts add up
          const terms = [...d.terms].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const ids: number[] = [];
          const freqs: number[] = [];
          for (let i = 0; i < terms.length; ) {
            let j = i;
            while (j < terms.length && terms[j] === terms[i]) j++;
            const id = byCounts.idOf(terms[i]!);
            const first = j - i > 1 && next() % 2 === 0 ? 1 + (next() % (j - i - 1)) : j - i;
            ids.push(id);
            freqs.push(first);
            if (first < j - i) {
              ids.push(id);
              freqs.push(j - i - first);
            }
            i = j;
          }
          for (let k = ids.length - 1; k > 0; k--) {
            const r = next() % (k + 1);
            [ids[k], ids[r]] = [ids[r]!, ids[k]!];
            [freqs[k], freqs[r]] = [freqs[r]!, freqs[k]!];
          }
          byCounts.addCounts(d.key, Int32Array.from(ids), Int32Array.from(freqs));
        }
        expect(encodeSegment(byCounts.finish())).toEqual(encodeSegment(byTerms.finish()));
      }),
      { numRuns: 40 },
    );
  });

  it('addCounts refuses counts below 1, a count missing, and ids it did not hand out', () => {
    const writer = new SegmentWriter();
    const fox = writer.idOf('fox');
    expect(() => writer.addCounts(1, Int32Array.of(fox), Int32Array.of(0))).toThrow(/count 0/);
    expect(() => writer.addCounts(1, Int32Array.of(fox, fox), Int32Array.of(1))).toThrow(/2 term ids but 1 counts/);
    expect(() => writer.addCounts(1, Int32Array.of(9), Int32Array.of(1))).toThrow(/term id 9/);
    writer.addCounts(1, Int32Array.of(fox), Int32Array.of(3));
    expect(writer.documentCount).toBe(1);
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
