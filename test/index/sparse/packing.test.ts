import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pack, packedLength, unpackDocs, unpackFreqs, widthFor } from '../../../src/index/sparse/packing.js';

describe('block packing', () => {
  it('round-trips doc gaps and frequencies at every width, including raw 32-bit values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 128 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (bits, count, seed) => {
        let state = seed;
        const values: number[] = [];
        for (let i = 0; i < count; i++) {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          values.push(bits === 0 ? 0 : Math.floor((state / 2 ** 32) * 2 ** bits));
        }
        const max = Math.max(...values);
        const width = widthFor(max);
        expect(width === 32 || max < 2 ** width).toBe(true);
        // frequencies: stored minus one
        const freqs = values.map((v) => Math.min(v, 2 ** 30) + 1);
        const freqWidth = widthFor(Math.max(...freqs) - 1);
        const out = new Uint8Array(packedLength(count, freqWidth) + 4);
        const end = pack(freqs, 0, count, 1, freqWidth, out, 2);
        expect(end).toBe(2 + packedLength(count, freqWidth));
        const decodedFreqs = new Int32Array(128);
        expect(unpackFreqs(out, 2, count, freqWidth, decodedFreqs)).toBe(end);
        expect([...decodedFreqs.subarray(0, count)]).toEqual(freqs);
        // docs: gaps minus one after previous doc 5, kept below 2^31
        const gaps = values.map((v) => Math.min(v, Math.floor((2 ** 31 - 10) / count) - 1));
        const docs: number[] = [];
        let doc = 5;
        for (const g of gaps) docs.push((doc += g + 1));
        const gapWidth = widthFor(Math.max(...gaps));
        const docBytes = new Uint8Array(packedLength(count, gapWidth));
        pack(gaps, 0, count, 0, gapWidth, docBytes, 0);
        const decodedDocs = new Int32Array(128);
        unpackDocs(docBytes, 0, count, gapWidth, 5, decodedDocs);
        expect([...decodedDocs.subarray(0, count)]).toEqual(docs);
      }),
      { numRuns: 300 },
    );
  });
});
