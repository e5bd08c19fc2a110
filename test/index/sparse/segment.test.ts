import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RalmError } from '../../../src/core/errors.js';
import { decodeSegment, encodeSegment, intToByte4, mergeSegments, SegmentWriter, SparseSearcher, DeletedDocs } from '../../../src/index/sparse/index.js';
import { buildSegments, randomCorpus, randomQuery } from './corpus.js';
import type { OracleDocument } from './oracle.js';

/** Postings computed directly from raw documents: term → [doc id, freq][]. */
function rawPostings(documents: readonly OracleDocument[]): Map<string, [number, number][]> {
  const postings = new Map<string, [number, number][]>();
  documents.forEach((d, id) => {
    const counts = new Map<string, number>();
    for (const t of d.terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [t, c] of counts) {
      if (!postings.has(t)) postings.set(t, []);
      postings.get(t)!.push([id, c]);
    }
  });
  return postings;
}

function codePointOrder(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

describe('SegmentWriter and Segment', () => {
  it('stores exactly the postings, norms, statistics and a code-point-sorted dictionary of its input', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const corpus = randomCorpus(seed, { maxDocuments: 400 });
        const documents = corpus.segments[0]!;
        const writer = new SegmentWriter();
        for (const d of documents) writer.add(d.key, d.terms);
        expect(writer.documentCount).toBe(documents.length);
        const segment = writer.finish();
        expect([...segment.docKeys]).toEqual(documents.map((d) => d.key));
        expect([...segment.norms]).toEqual(documents.map((d) => intToByte4(d.terms.length)));
        expect(segment.documentsWithTerms).toBe(documents.filter((d) => d.terms.length > 0).length);
        expect(segment.sumTotalTermFreq).toBe(documents.reduce((a, d) => a + d.terms.length, 0));
        const expected = rawPostings(documents);
        const terms = [...expected.keys()].sort(codePointOrder);
        expect(Array.from({ length: segment.termCount }, (_, t) => segment.term(t))).toEqual(terms);
        for (const [term, list] of expected) {
          const t = segment.findTerm(term);
          expect(t).toBeGreaterThanOrEqual(0);
          expect(segment.docFreq(t)).toBe(list.length);
          const { docs, freqs } = segment.readPostings(t);
          expect([...docs]).toEqual(list.map((p) => p[0]));
          expect([...freqs]).toEqual(list.map((p) => p[1]));
          expect(segment.totalTermFreqs[t]).toBe(list.reduce((a, p) => a + p[1], 0));
        }
        expect(segment.findTerm('not-a-term')).toBe(-1);
      }),
      { numRuns: 25 },
    );
  });

  it('sorts astral and BMP private-use terms by code point and finds them', () => {
    const writer = new SegmentWriter();
    const terms = ['\u{1F600}', '\uE000', 'z', 'é', '', 'a\u{10000}', 'a\uFFFF'];
    writer.add(1, terms);
    const segment = writer.finish();
    expect(Array.from({ length: segment.termCount }, (_, t) => segment.term(t))).toEqual([...terms].sort(codePointOrder));
    for (const term of terms) expect(segment.term(segment.findTerm(term))).toBe(term);
  });

  it('packs large frequencies, large gaps and huge documents', () => {
    const writer = new SegmentWriter();
    writer.add(0, Array(70_000).fill('x'));
    for (let d = 1; d < 300; d++) writer.add(d * 1000, d % 150 === 0 ? ['x', 'y'] : ['y']);
    writer.add(4_000_000_000, ['x']);
    const segment = writer.finish();
    const x = segment.readPostings(segment.findTerm('x'));
    expect([...x.docs]).toEqual([0, 150, 300]);
    expect([...x.freqs]).toEqual([70_000, 1, 1]);
    expect(segment.docKeys[300]).toBe(4_000_000_000);
  });

  it('refuses non-increasing or invalid doc keys and use after finish', () => {
    const writer = new SegmentWriter();
    writer.add(5, ['a']);
    expect(() => writer.add(5, ['a'])).toThrow(RalmError);
    expect(() => writer.add(-1, ['a'])).toThrow(/docKey/);
    expect(() => writer.add(2 ** 32, ['a'])).toThrow(/docKey/);
    writer.finish();
    expect(() => writer.add(9, ['a'])).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});

describe('encodeSegment / decodeSegment', () => {
  it('round-trips: identical arrays and identical search results, also from an unaligned buffer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 7 }), (seed, shift) => {
        const corpus = randomCorpus(seed, { maxDocuments: 500 });
        const segments = buildSegments(corpus);
        const decoded = segments.map((segment, i) => {
          const bytes = encodeSegment(segment);
          const shifted = new Uint8Array(bytes.length + shift);
          shifted.set(bytes, shift);
          return decodeSegment(shifted.subarray(shift), `segment ${i}`);
        });
        decoded.forEach((segment, i) => {
          const original = segments[i]!;
          expect(segment.docKeys).toEqual(original.docKeys);
          expect(segment.norms).toEqual(original.norms);
          expect(segment.postings).toEqual(original.postings);
          expect(segment.blockLastDoc).toEqual(original.blockLastDoc);
          expect(segment.termBytes).toEqual(original.termBytes);
          expect(segment.sumTotalTermFreq).toBe(original.sumTotalTermFreq);
        });
        const params = { k1: 0.9, b: 0.4 };
        const a = new SparseSearcher({ segments, deleted: corpus.deleted, params });
        const b = new SparseSearcher({ segments: decoded, deleted: corpus.deleted, params });
        for (let q = 0; q < 3; q++) {
          const query = randomQuery(seed + q, corpus.vocabulary);
          expect(b.search(query, { k: 20 })).toEqual(a.search(query, { k: 20 }));
        }
      }),
      { numRuns: 20 },
    );
  });

  function sample(): Uint8Array {
    const writer = new SegmentWriter();
    writer.add(1, ['alpha', 'beta']);
    writer.add(2, ['beta', 'gamma', 'gamma']);
    return encodeSegment(writer.finish());
  }

  it('a flipped payload byte is a CHECKSUM error naming the source', () => {
    const bytes = sample();
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 3]! ^= 0x40;
    let error: unknown;
    try {
      decodeSegment(corrupt, 'collection.sqlite:segments/3');
    } catch (e) {
      error = e;
    }
    expect(RalmError.is(error)).toBe(true);
    expect((error as RalmError).code).toBe('CHECKSUM');
    expect((error as RalmError).message).toContain('collection.sqlite:segments/3');
  });

  it('an unknown version is a FORMAT_VERSION error, another format a FORMAT error', () => {
    const bytes = sample();
    const nameLength = bytes[4]!;
    const wrongVersion = bytes.slice();
    wrongVersion[5 + nameLength] = 2; // u16 version, little-endian
    expect(() => decodeSegment(wrongVersion, 'seg.bin')).toThrow(expect.objectContaining({ code: 'FORMAT_VERSION' }));
    expect(() => decodeSegment(new Uint8Array([1, 2, 3, 4, 5, 6]), 'seg.bin')).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });

  it('an empty segment round-trips', () => {
    const segment = decodeSegment(encodeSegment(new SegmentWriter().finish()), 'empty');
    expect(segment.documentCount).toBe(0);
    expect(new SparseSearcher({ segments: [segment], params: { k1: 0.9, b: 0.4 } }).search([{ term: 'a', boost: 1 }], { k: 5 })).toEqual([]);
  });
});

describe('mergeSegments', () => {
  it('equals one segment built from the surviving documents in key order (postings, stats, search results)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const corpus = randomCorpus(seed, { maxDocuments: 500 });
        const segments = buildSegments(corpus);
        const deleted = new DeletedDocs(corpus.deleted);
        const merged = mergeSegments(segments.map((segment) => ({ segment, deleted })));
        const survivors = corpus.segments
          .flat()
          .filter((d) => !corpus.deleted.has(d.key))
          .sort((a, b) => a.key - b.key);
        const writer = new SegmentWriter();
        for (const d of survivors) writer.add(d.key, d.terms);
        const direct = writer.finish();
        expect(merged.docKeys).toEqual(direct.docKeys);
        expect(merged.norms).toEqual(direct.norms);
        expect(merged.termBytes).toEqual(direct.termBytes);
        expect(merged.docFreqs).toEqual(direct.docFreqs);
        expect(merged.postings).toEqual(direct.postings);
        expect(merged.documentsWithTerms).toBe(direct.documentsWithTerms);
        expect(merged.sumTotalTermFreq).toBe(direct.sumTotalTermFreq);
        const params = { k1: 0.9, b: 0.4 };
        const a = new SparseSearcher({ segments: [merged], params });
        const b = new SparseSearcher({ segments: [direct], params });
        for (let q = 0; q < 3; q++) {
          const query = randomQuery(seed + q, corpus.vocabulary);
          expect(a.search(query, { k: 15 })).toEqual(b.search(query, { k: 15 }));
        }
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a doc key present in two inputs', () => {
    const a = new SegmentWriter();
    a.add(1, ['x']);
    const b = new SegmentWriter();
    b.add(1, ['y']);
    expect(() => mergeSegments([{ segment: a.finish() }, { segment: b.finish() }])).toThrow(/appears in more than one/);
  });
});
