import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byte4ToInt, intToByte4, LENGTH_TABLE } from '../../../src/index/sparse/index.js';
import { oracleStoredLength } from './oracle.js';

describe('Lucene norm encoding (SmallFloat.intToByte4 / byte4ToInt)', () => {
  it('stores lengths 0..23 exactly, as the byte itself', () => {
    for (let i = 0; i < 24; i++) {
      expect(intToByte4(i)).toBe(i);
      expect(byte4ToInt(i)).toBe(i);
    }
  });

  it('matches values worked out by hand from the definition', () => {
    // 24 + longToInt4(dl - 24): 4 significant bits, mantissa in the low 3 bits, shift + 1 above them
    expect(intToByte4(24)).toBe(24); // v = 0, subnormal
    expect(intToByte4(31)).toBe(31); // v = 7, subnormal
    expect(intToByte4(32)).toBe(32); // v = 8 = 0b1000: shift 0, mantissa 0 → 0 | 1 << 3 = 8
    expect(byte4ToInt(32)).toBe(32);
    expect(intToByte4(100)).toBe(57); // v = 76 = 0b1001100: shift 3, top 0b1001 → 1 | 4 << 3 = 33
    expect(byte4ToInt(57)).toBe(96); // (1 | 8) << 3 = 72, + 24
    expect(intToByte4(1000)).toBe(87); // v = 976 = 0b1111010000: shift 6, top 15 → 7 | 7 << 3 = 63
    expect(byte4ToInt(87)).toBe(984); // 15 << 6 = 960, + 24
    expect(intToByte4(2 ** 31 - 1)).toBe(255);
    expect(byte4ToInt(255)).toBe(24 + 15 * 2 ** 27); // mantissa 7, shift 27
    expect(LENGTH_TABLE[255]).toBe(Math.fround(24 + 15 * 2 ** 27));
  });

  it('decodes monotonically and every byte round-trips', () => {
    for (let b = 1; b < 256; b++) expect(byte4ToInt(b)).toBeGreaterThan(byte4ToInt(b - 1));
    for (let b = 0; b < 256; b++) expect(intToByte4(byte4ToInt(b))).toBe(b);
  });

  it('decode(encode(x)) ≤ x, is monotone in x, and equals 4-significant-bit truncation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (x, y) => {
        const dx = byte4ToInt(intToByte4(x));
        expect(dx).toBeLessThanOrEqual(x);
        expect(dx).toBe(oracleStoredLength(x));
        if (x <= y) expect(intToByte4(x)).toBeLessThanOrEqual(intToByte4(y));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses negative and non-integer lengths', () => {
    expect(() => intToByte4(-1)).toThrow(/document length/);
    expect(() => intToByte4(1.5)).toThrow(/document length/);
  });
});
