import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { standardTokenize, segmenterTokenize, MAX_TOKEN_LENGTH, standardTokenRanges, TokenRanges } from '../../src/analysis/index.js';
import { hashRange, textUnits } from '../../src/analysis/standard-tokenizer.js';
import { sharedPath } from '../helpers/shared.js';

// Expected values worked out from Lucene's StandardTokenizer documentation / TestStandardAnalyzer and
// the UAX #29 rules (WB6/7 letters across . ' : ; WB11/12 digits across . , ; WB13a/b underscore).
const luceneCases: Array<[string, string[]]> = [
  ['U.S.A.', ['U.S.A']],
  ["can't", ["can't"]],
  ['don’t', ['don’t']],
  ["O'Reilly's you're", ["O'Reilly's", "you're"]],
  ['3.14', ['3.14']],
  ['1,000', ['1,000']],
  ['216.239.63.104', ['216.239.63.104']],
  ['R2D2 C3PO', ['R2D2', 'C3PO']],
  ['David has 5000 bones', ['David', 'has', '5000', 'bones']],
  ['foo_bar', ['foo_bar']],
  ['e-mail', ['e', 'mail']],
  ['test@example.com', ['test', 'example.com']],
  ['http://www.apache.org/licenses', ['http', 'www.apache.org', 'licenses']],
  ['"QUOTED" word', ['QUOTED', 'word']],
  ["'quoted'", ['quoted']],
  ['a:b', ['a:b']],
  ['1.a a.1 1;2 a;b', ['1', 'a', 'a', '1', '1;2', 'a', 'b']],
  ['__ _x x_ 1__2', ['_x', 'x_', '1__2']],
  ['end. Next', ['end', 'Next']],
  ['安녕하세요 한글입니다'.slice(1), ['녕하세요', '한글입니다']],
  ['我是中国人。 １２３４ Ｔｅｓｔｓ ', ['我', '是', '中', '国', '人', '１２３４', 'Ｔｅｓｔｓ']],
  ['仮名遣い カタカナ', ['仮', '名', '遣', 'い', 'カタカナ']],
  ['naïve café Ørsted', ['naïve', 'café', 'Ørsted']],
  ['Ваша жизнь', ['Ваша', 'жизнь']],
];

describe('standardTokenize (Lucene StandardTokenizer cases)', () => {
  it.each(luceneCases)('%j', (text, expected) => {
    expect(standardTokenize(text)).toEqual(expected);
    expect(segmenterTokenize(text)).toEqual(expected);
  });

  it('splits tokens longer than 255 UTF-16 units', () => {
    const word = 'x'.repeat(600);
    const expected = ['x'.repeat(MAX_TOKEN_LENGTH), 'x'.repeat(MAX_TOKEN_LENGTH), 'x'.repeat(90)];
    expect(standardTokenize(`a ${word} b`)).toEqual(['a', ...expected, 'b']);
    expect(segmenterTokenize(`a ${word} b`)).toEqual(['a', ...expected, 'b']);
  });

  it('keeps a Katakana run whole even where ICU’s dictionary splits it', () => {
    expect(standardTokenize('テストカタカナです')).toEqual(['テストカタカナ', 'で', 'す']);
  });

  it('keeps a Thai run whole like Lucene’s SOUTHEAST_ASIAN token', () => {
    expect(standardTokenize('ภาษาไทยง่าย abc')).toEqual(['ภาษาไทยง่าย', 'abc']);
  });

  it('emits Han characters that ICU does not call word-like (々)', () => {
    expect(standardTokenize('人々')).toEqual(['人', '々']);
  });

  it('drops emoji (documented divergence: Lucene emits them as <EMOJI>)', () => {
    expect(standardTokenize('Hello😀world 👍🏽')).toEqual(['Hello', 'world']);
  });
});

describe('fast path equals the Intl.Segmenter path', () => {
  const alphabet = [
    ...'abcXYZ019',
    ...".,'’:;_-@/",
    ' ', ' ', '\n', '\t', '\r', '"', '(', ')',
    'é', 'ß', '·', 'µ', '\u00ad', '\u00a0', '\u0301', '中', 'か', 'カ', '한', 'ä', 'Ω', '\u2019', '😀',
    'β', 'Ж', 'ő', '–', '‘', '“', '−', '≥', '\u2024', '\u2027', '\u200d', '↔',
  ];
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((characters) => characters.join(''));

  it('on random strings over an alphabet that stresses the rules', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(standardTokenize(value)).toEqual(segmenterTokenize(value));
      }),
      { numRuns: 3000, seed: 20240601 },
    );
  });

  it("records each token's hash as hashRange computes it, after the tokens already in the ranges", () => {
    fc.assert(
      fc.property(text, text, (first, value) => {
        const ranges = new TokenRanges();
        standardTokenRanges(first, ranges);
        const before = ranges.count;
        standardTokenRanges(value, ranges);
        const tokens = [];
        for (let i = before; i < ranges.count; i++) {
          tokens.push(value.slice(ranges.starts[i], ranges.ends[i]));
          expect(ranges.hashes[i]).toBe(hashRange(value, ranges.starts[i]!, ranges.ends[i]!));
        }
        expect(tokens).toEqual(segmenterTokenize(value));
        expect(ranges.count - before).toBe(tokens.length);
        // the units the scan read are the text's
        for (let i = 0; i < value.length; i++) expect(ranges.units[i]).toBe(value.charCodeAt(i));
      }),
      { numRuns: 2000, seed: 20261121 },
    );
  });

  it('textUnits gives the UTF-16 code units of any string, lone surrogates included, whatever was copied before', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 3000 }).map((units) => String.fromCharCode(...units));
    fc.assert(
      fc.property(anyUnits, anyUnits, (first, value) => {
        textUnits(first);
        const half = value.length >> 1;
        const units = textUnits(value.slice(0, half) + value.slice(half)); // a cons string when long enough: flattened by the copy
        expect(units.length).toBeGreaterThanOrEqual(value.length);
        expect(Array.from(units.subarray(0, value.length))).toEqual(Array.from({ length: value.length }, (_, i) => value.charCodeAt(i)));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('on every character up to U+22FF (Latin-1 and the others the scanner classes among them), in every joining context', () => {
    for (let code = 0; code < 0x2300; code++) {
      const character = String.fromCharCode(code);
      for (const context of ['a#b', '1#2', '#', 'a#', '#a', '1#', '#1', '_#_', 'a #b', "a'#", '#.a', 'x#\u0301y']) {
        const value = context.replaceAll('#', character);
        expect(standardTokenize(value), JSON.stringify(value)).toEqual(segmenterTokenize(value));
      }
    }
  });

  const corpus = sharedPath('data', 'beir', 'scifact', 'corpus.jsonl.gz');
  it.skipIf(corpus === undefined)('on every SciFact document (title + " " + text)', () => {
    const lines = gunzipSync(readFileSync(corpus!)).toString('utf8').split('\n');
    let documents = 0;
    for (const line of lines) {
      if (line.length === 0) continue;
      const document = JSON.parse(line) as { _id: string; title: string; text: string };
      const value = `${document.title} ${document.text}`;
      const fast = standardTokenize(value);
      const reference = segmenterTokenize(value);
      if (fast.length !== reference.length || fast.some((token, index) => token !== reference[index])) {
        expect(fast, `document ${document._id}`).toEqual(reference);
      }
      documents++;
    }
    expect(documents).toBe(5183);
  }, 60_000);
});
