// Document preparation shares one tokenization between the chunker, the near-duplicate signature and the analyzer;
// it must give exactly what the straightforward way gives (each step tokenizing for itself).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAnalyzer, TermTable } from '../../src/analysis/index.js';
import { chunkDocument, type ChunkOptions } from '../../src/ingest/chunk.js';
import { minhashSignature } from '../../src/ingest/dedup.js';
import { chunkText, hasAtLeastWords, MIN_DEDUPLICATE_TOKENS, prepareDocument } from '../../src/engine/prepare.js';
import { documentHash } from '../../src/store/index.js';

const word = fc.constantFrom(
  'alpha', 'Beta', 'GAMMA', "don't", 'U.S.A.', '3.14', 'naïve', 'Straße', 'ÉCOLE', 'µm', 'x_y', 'e-mail', 'İstanbul', 'Ωmega',
  '我们', 'カタカナ', '한국어', '\u0301accent', 'soft\u00adhyphen', '\u00adlead', '👍', '—', '«quoted»', '1,000',
);
const separator = fc.constantFrom(' ', ' ', ' ', '. ', ', ', '\n', '\n\n', '\t', '\u00a0', '');
const text = fc.array(fc.tuple(word, separator), { maxLength: 120 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
const title = fc.oneof(fc.constant(''), text.map((t) => t.slice(0, 40)), fc.constantFrom('Title', 'Title ', ' spaced ', 'ends with \u200d', 'Émile'));
const chunking: fc.Arbitrary<false | ChunkOptions> = fc.oneof(
  fc.constant(false as const),
  fc.integer({ min: 4, max: 40 }).map((targetTokens) => ({ targetTokens, overlapTokens: Math.floor(targetTokens / 4), maxTokens: 2 * targetTokens })),
);

describe('prepareDocument', () => {
  it('equals chunking, signing and analyzing each chunk on its own (property)', () => {
    const table = new TermTable();
    fc.assert(
      fc.property(title, text, chunking, fc.constantFrom('auto', 'english', 'plain', 'cjk'), fc.boolean(), (documentTitle, body, chunks, analyzerName, deduplicate) => {
        const analyzer = getAnalyzer(analyzerName);
        const settings = { analyzer: analyzerName, chunking: chunks, deduplicate };
        const prepared = prepareDocument({ id: 'd', title: documentTitle, text: body }, 0, settings);
        const expectedChunks =
          chunks === false || body.length === 0
            ? [{ ordinal: 0, start: 0, end: body.length }]
            : chunkDocument({ text: body }, chunks).map((c, ordinal) => ({ ordinal, start: c.start, end: c.end, headingPath: c.headingPath, page: c.page }));
        expect(prepared.chunks).toEqual(expectedChunks);
        expect(prepared.hash).toBe(documentHash({ title: documentTitle, text: body, metadata: {} }));
        const expectedTerms = expectedChunks.map((c) => analyzer.analyze(chunkText(documentTitle, body, c)));
        expect(prepared.terms).toEqual(expectedTerms);
        // with a vocabulary (ingest threads), the same terms come out as ids in it, chunk after chunk
        table.idOf('alpha'); // a table used before: ids of known terms are reused
        const encoded = prepareDocument({ id: 'd', title: documentTitle, text: body }, 0, settings, analyzer, table);
        expect(encoded.terms).toEqual([]);
        expect(encoded.encodedTerms!.table).toBe(table.terms);
        const decoded: string[][] = [];
        let at = 0;
        for (const length of encoded.encodedTerms!.lengths) {
          decoded.push([...encoded.encodedTerms!.ids.subarray(at, at + length)].map((id) => table.terms[id]!));
          at += length;
        }
        expect(at).toBe(encoded.encodedTerms!.ids.length);
        expect(decoded).toEqual(expectedTerms);
        expect(encoded.chunks).toEqual(prepared.chunks);
        expect(encoded.signatures).toEqual(prepared.signatures);
        if (deduplicate) {
          const expectedSignatures = expectedChunks.map((c) => {
            const slice = body.slice(c.start, c.end);
            return hasAtLeastWords(slice, MIN_DEDUPLICATE_TOKENS) ? minhashSignature(slice) : null;
          });
          expect(prepared.signatures).toEqual(expectedSignatures);
        } else expect(prepared.signatures).toBeUndefined();
      }),
      { numRuns: 400, seed: 20261121 },
    );
  });

  it('carries the metadata as the store keeps it, the same JSON the hash covers', () => {
    const settings = { analyzer: 'english', chunking: false as const, deduplicate: false };
    const document = { id: 'm', text: 'body', metadata: { year: 2024, tags: ['a', 'b'] } };
    const prepared = prepareDocument(document, 0, settings);
    expect(prepared.metadataJson).toBe(JSON.stringify(document.metadata));
    expect(prepared.hash).toBe(documentHash({ title: '', text: 'body', metadata: document.metadata }));
    expect(prepareDocument({ id: 'e', text: 'body' }, 0, settings).metadataJson).toBe('{}');
  });

  it('reports an invalid document like Collection.add', () => {
    const settings = { analyzer: 'english', chunking: false as const, deduplicate: false };
    expect(() => prepareDocument({ id: '', text: 'x' }, 2, settings)).toThrow(/document #3 has no id/);
    expect(() => prepareDocument({ id: 'a', text: 5 as unknown as string }, 0, settings)).toThrow(/document "a" has no text/);
  });
});
