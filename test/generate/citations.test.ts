import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCitations, parseCitations, stripCitations } from '../../src/generate/citations.js';
import { splitSentences } from '../../src/generate/sentences.js';

describe('parseCitations', () => {
  it('finds [1], [2, 3] and [1][2] with the span of the whole marker', () => {
    const text = 'Paris is the capital [1][2]. It is large [3, 4].';
    expect(parseCitations(text)).toEqual([
      { key: '1', start: 21, end: 24 },
      { key: '2', start: 24, end: 27 },
      { key: '3', start: 41, end: 47 },
      { key: '4', start: 41, end: 47 },
    ]);
    expect(text.slice(41, 47)).toBe('[3, 4]');
    expect(parseCitations('巴黎是首都【1】，也很大［2，3］。').map((c) => c.key)).toEqual(['1', '2', '3']);
    expect(parseCitations('no citation [a] or [ ] here')).toEqual([]);
  });
});

describe('checkCitations', () => {
  it('flags fabricated keys and counts uncited sentences', () => {
    expect(checkCitations('Paris is the capital [1]. It has 2 million people [9]. It is old.', ['1', '2'])).toEqual({
      cited: ['1'],
      unknown: ['9'],
      uncitedSentences: 1,
    });
    expect(checkCitations('A [1][1]. B [2, 7]. C [42].', new Set(['1', '2']))).toEqual({ cited: ['1', '2'], unknown: ['7', '42'], uncitedSentences: 0 });
    expect(checkCitations('巴黎是法国的首都[1]。上海很大。', ['1'])).toEqual({ cited: ['1'], unknown: [], uncitedSentences: 1 });
  });

  it('counts a marker that opens the next sentence for the previous one', () => {
    expect(checkCitations('Paris is the capital. [1] Lyon is smaller. [2]', ['1', '2']).uncitedSentences).toBe(0);
  });

  it('property: fabricated keys are always reported, provided ones never', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('Alpha beta gamma', 'Delta is here', 'The sky is blue'), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 20 }),
        (parts, providedCount) => {
          const provided = Array.from({ length: providedCount }, (_, i) => String(i + 1));
          const answer = parts.map(([sentence, key]) => `${sentence} [${key}].`).join(' ');
          const check = checkCitations(answer, provided);
          const keys = [...new Set(parts.map(([, key]) => String(key)))];
          expect(check.unknown.sort()).toEqual(keys.filter((k) => Number(k) > providedCount).sort());
          expect(check.cited.sort()).toEqual(keys.filter((k) => Number(k) <= providedCount).sort());
          expect(check.uncitedSentences).toBe(0);
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe('stripCitations', () => {
  it('removes markers and the space before them', () => {
    expect(stripCitations('Paris is the capital of France [1].')).toBe('Paris is the capital of France.');
    expect(stripCitations('巴黎是法国的首都[1][2]。')).toBe('巴黎是法国的首都。');
    expect(stripCitations('A [1, 2]. B.')).toBe('A. B.');
  });
});

describe('splitSentences', () => {
  it('keeps numbers, abbreviations and initials inside sentences (measured Intl.Segmenter gaps repaired)', () => {
    const text = 'Pi is 3.14 roughly. The U.S. Army won in 1945. Dr. Smith left e.g. early. He said "Stop!" and left. J. R. R. Tolkien wrote it. See No. 5. He moved to the U.S. The next year he left.';
    expect(splitSentences(text).map((s) => s.text)).toEqual([
      'Pi is 3.14 roughly.',
      'The U.S. Army won in 1945.',
      'Dr. Smith left e.g. early.',
      'He said "Stop!" and left.',
      'J. R. R. Tolkien wrote it.',
      'See No. 5.',
      'He moved to the U.S.',
      'The next year he left.',
    ]);
  });

  it('splits Chinese on 。！？ (and on ； when asked)', () => {
    const text = '北京是首都。上海很大！真的吗？是的；当然。价格是3.14元。';
    expect(splitSentences(text).map((s) => s.text)).toEqual(['北京是首都。', '上海很大！', '真的吗？', '是的；当然。', '价格是3.14元。']);
    expect(splitSentences(text, { splitOnSemicolon: true }).map((s) => s.text)).toContain('是的；');
  });

  it('property: every sentence is the exact, trimmed slice at its offsets, in order, without overlap', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', ' ', '.', '!', '?', '。', '；', '北', '3', '\n', '"', 'Dr', 'U.S.') , maxLength: 80 }), (text) => {
        let previous = 0;
        for (const s of splitSentences(text, { splitOnSemicolon: true })) {
          expect(text.slice(s.start, s.end)).toBe(s.text);
          expect(s.text).toBe(s.text.trim());
          expect(s.text.length).toBeGreaterThan(0);
          expect(s.start).toBeGreaterThanOrEqual(previous);
          previous = s.end;
        }
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});
