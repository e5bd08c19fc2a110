// The dictionary order of a segment: terms sorted by UTF-8 bytes (= code points). The multikey quicksort must give
// exactly what a comparison sort by code points gives, on ASCII terms with long shared prefixes, on any Unicode
// (surrogate pairs, U+E000..U+FFFF, where UTF-16 order differs), with duplicates and empty strings (property test).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, sortTermIds, sortTerms } from '../../../src/index/sparse/segment.js';

const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const term = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'z', '0', '9'), maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '\ud83d\ude00', '\uffee', '\ue000', 'é', '中'), maxLength: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((n) => `${'prefix'.repeat(n)}x`) },
);

describe('sortTermIds / sortTerms', () => {
  it('sorts ids by their terms in UTF-8 byte order, as a comparison sort does (property)', () => {
    const check = (terms: string[]) => {
      const ids = Int32Array.from(terms.keys());
      sortTermIds(terms, ids);
      expect(Array.from(ids, (id) => terms[id]!)).toEqual([...terms].sort(utf8));
      expect([...ids].sort((a, b) => a - b)).toEqual([...terms.keys()]); // a permutation
      expect(sortTerms([...terms])).toEqual([...terms].sort(compareCodePoints));
    };
    fc.assert(
      fc.property(fc.array(term, { maxLength: 400, size: 'max' }), (terms) => {
        // below U+D800 only (the multikey sort's order is final), then as generated (surrogates and U+E000..U+FFFF too)
        check(terms.filter((t) => !/[\ud800-\uffff]/.test(t)));
        check(terms);
      }),
      { numRuns: 200, seed: 20261121 },
    );
  });

  it('sorts a subset of ids and leaves the others out', () => {
    const terms = ['delta', 'alpha', 'charlie', 'bravo', 'alp'];
    const ids = Int32Array.of(0, 2, 4);
    sortTermIds(terms, ids);
    expect([...ids]).toEqual([4, 2, 0]);
  });
});
