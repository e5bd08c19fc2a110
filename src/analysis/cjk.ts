/**
 * CJK analyzers. Text is first width-normalised like Lucene's CJKWidthFilter (full-width ASCII →
 * half-width, half-width Katakana → full-width with voiced marks composed). Runs of CJK letters
 * (Han, Hiragana, Katakana, Hangul) are turned into words, bigrams or both; every other stretch is
 * tokenized and lower-cased like the `plain` analyzer.
 */
import type { Analyzer } from './types.js';
import { CharacterClass, characterClassOf, isCjkClass } from './characters.js';
import { standardTokenize } from './standard-tokenizer.js';
import { lowerCase } from './text-filters.js';

/**
 * Full-width ASCII variants (U+FF01–U+FF5E) to ASCII and half-width Katakana (U+FF65–U+FF9F) to
 * full-width Katakana, composing voiced sound marks, like Lucene's CJKWidthFilter.
 *
 * @example
 * ```ts
 * normalizeWidth('ＡＢＣ１２３ ｶﾞｷﾞ'); // 'ABC123 ガギ'
 * ```
 */
export function normalizeWidth(text: string): string {
  if (!/[\uff01-\uff5e\uff65-\uff9f]/.test(text)) return text;
  return text.replace(/[\uff01-\uff5e]|[\uff65-\uff9f]+/g, (match) =>
    match.length === 1 && match.charCodeAt(0) <= 0xff5e
      ? String.fromCharCode(match.charCodeAt(0) - 0xfee0)
      : match.normalize('NFKC'),
  );
}

/** Created on first use (the first Intl.Segmenter of a thread loads ICU's data, ~16 ms). */
let chineseSegmenter: Intl.Segmenter | undefined;

/** Which kinds of CJK terms an analyzer emits. */
export interface CjkAnalyzerOptions {
  /** Emit dictionary words from `Intl.Segmenter('zh')`. */
  words: boolean;
  /** Emit overlapping character bigrams (a lone CJK character as a unigram). */
  bigrams: boolean;
}

function pushBigrams(characters: string[], out: string[]): void {
  if (characters.length === 1) {
    out.push(characters[0]);
    return;
  }
  for (let index = 0; index + 1 < characters.length; index++) out.push(characters[index] + characters[index + 1]);
}

function pushWords(run: string, out: string[]): void {
  for (const segment of (chineseSegmenter ??= new Intl.Segmenter('zh', { granularity: 'word' })).segment(run)) {
    const value = segment.segment;
    if (segment.isWordLike === true) {
      out.push(value);
      continue;
    }
    // Keep CJK letters that ICU does not call word-like (e.g. 々); drop punctuation.
    for (const character of value) {
      if (isCjkClass(characterClassOf(character.codePointAt(0)!))) out.push(character);
    }
  }
}

function pushPlain(text: string, out: string[]): void {
  const tokens = standardTokenize(text);
  for (let index = 0; index < tokens.length; index++) out.push(lowerCase(tokens[index]));
}

/**
 * Shared implementation of the CJK analyzers: `cjk-words`, `cjk-bigrams` and `cjk-both`.
 *
 * @example
 * ```ts
 * new CjkAnalyzer('cjk-bigrams', { words: false, bigrams: true }).analyze('中文分词 BM25');
 * // ['中文', '文分', '分词', 'bm25']
 * ```
 */
export class CjkAnalyzer implements Analyzer {
  readonly name: string;
  private readonly options: CjkAnalyzerOptions;

  constructor(name: string, options: CjkAnalyzerOptions) {
    this.name = name;
    this.options = options;
  }

  analyze(text: string): string[] {
    const normalized = normalizeWidth(text);
    const out: string[] = [];
    const length = normalized.length;
    let plainStart = 0;
    let index = 0;
    while (index < length) {
      const code = normalized.charCodeAt(index);
      if (code < 0x1100) {
        index++;
        continue;
      }
      const codePoint = normalized.codePointAt(index)!;
      if (!isCjkClass(characterClassOf(codePoint))) {
        index += codePoint > 0xffff ? 2 : 1;
        continue;
      }
      // A run of CJK letters (with attached combining marks) starts here.
      if (index > plainStart) pushPlain(normalized.slice(plainStart, index), out);
      const runStart = index;
      const characters: string[] = [];
      while (index < length) {
        const point = normalized.codePointAt(index)!;
        const width = point > 0xffff ? 2 : 1;
        const characterClass = characterClassOf(point);
        if (isCjkClass(characterClass)) {
          characters.push(normalized.slice(index, index + width));
        } else if (characterClass === CharacterClass.Extend && characters.length > 0) {
          characters[characters.length - 1] += normalized.slice(index, index + width);
        } else {
          break;
        }
        index += width;
      }
      if (this.options.words) pushWords(normalized.slice(runStart, index), out);
      if (this.options.bigrams) pushBigrams(characters, out);
      plainStart = index;
    }
    if (plainStart < length) pushPlain(plainStart === 0 ? normalized : normalized.slice(plainStart), out);
    return out;
  }
}
