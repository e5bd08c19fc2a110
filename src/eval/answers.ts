/**
 * Answer scoring for extractive QA, as the official scripts compute it.
 *
 * English follows SQuAD v1.1's `evaluate-v1.1.py`: lower-case, drop ASCII punctuation (Python's `string.punctuation`),
 * drop the articles a/an/the as whole words, collapse whitespace; exact match compares the normalised strings,
 * F1 is the bag-of-tokens F1 of the normalised whitespace tokens (0 when either side has no token).
 *
 * Chinese follows CMRC 2018's `cmrc2018_evaluate.py`: F1 uses the **longest common substring** (contiguous, despite
 * the script's "lcs" name) of the two segmentations, precision = lcs / prediction length, recall = lcs / gold length.
 * Segmentation as in the script's `mixed_segmentation`: every CJK character U+4E00..U+9FA5 is one token, runs of other
 * characters are split into words. Deliberate, documented differences from the script: punctuation removal covers all
 * Unicode punctuation and ASCII symbols (the script removes a fixed list of 34 characters), whitespace is removed for
 * exact match (the script only trims the ends), and non-CJK runs are split on whitespace instead of NLTK's
 * `word_tokenize` (the same for runs without punctuation, which is removed first).
 */
import { RalmError } from '../core/errors.js';

/**
 * The languages with their own answer normalisation.
 *
 * @example
 * ```ts
 * const language: AnswerLanguage = 'zh';
 * ```
 */
export type AnswerLanguage = 'en' | 'zh';

/** Python's `string.punctuation`: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (the ASCII ranges 21-2F, 3A-40, 5B-60, 7B-7E). */
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/g;
/** Python's `str.split()` whitespace (Unicode White_Space plus U+001C..U+001F, U+0085), used by SQuAD's script. */
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
/** Every whitespace character (JavaScript's and Python's). */
const ANY_WHITESPACE = /[\s\x1c-\x1f\x85]/gu;
/** The articles SQuAD removes, as whole words (Python `\b` is Unicode-aware: letters, digits and `_` are word chars). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
/** Characters removed for Chinese: all Unicode punctuation, ASCII punctuation/symbols, and CMRC's list. */
const CHINESE_PUNCTUATION = /[\p{P}!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~～·＋＝＾｀｜￥]/gu;
/** CMRC's test for a Chinese character. */
const CJK = /[\u4e00-\u9fa5]/;

function checkLanguage(language: AnswerLanguage): void {
  if (language !== 'en' && language !== 'zh') {
    throw new RalmError('INVALID_ARGUMENT', `Unknown answer language "${String(language)}"; valid choices: en, zh.`);
  }
}

function splitPythonWhitespace(text: string): string[] {
  return text.split(PYTHON_WHITESPACE).filter((token) => token !== '');
}

/**
 * Normalises an answer for comparison. English (SQuAD): lower-case, remove ASCII punctuation, remove the articles
 * a/an/the, collapse whitespace to single spaces. Chinese (CMRC): lower-case, remove Chinese and ASCII punctuation,
 * remove all whitespace.
 *
 * @example
 * ```ts
 * normalizeAnswer('The  Denver Broncos!', 'en'); // 'denver broncos'
 * normalizeAnswer('《战国无双3》 光荣。', 'zh'); // '战国无双3光荣'
 * ```
 */
export function normalizeAnswer(text: string, language: AnswerLanguage): string {
  checkLanguage(language);
  const lower = String(text).toLowerCase();
  if (language === 'zh') return lower.replace(CHINESE_PUNCTUATION, '').replace(ANY_WHITESPACE, '');
  return splitPythonWhitespace(lower.replace(ASCII_PUNCTUATION, '').replace(ARTICLES, ' ')).join(' ');
}

/**
 * The tokens F1 is computed over: SQuAD's whitespace tokens of the normalised text for English; CMRC's mixed
 * segmentation (one token per CJK character, whitespace-separated words for other runs) for Chinese.
 *
 * @example
 * ```ts
 * answerTokens('The 2018年 World Cup', 'zh'); // ['the', '2018', '年', 'world', 'cup']
 * ```
 */
export function answerTokens(text: string, language: AnswerLanguage): string[] {
  checkLanguage(language);
  if (language === 'en') return splitPythonWhitespace(normalizeAnswer(text, 'en'));
  const cleaned = String(text).toLowerCase().replace(CHINESE_PUNCTUATION, '');
  const tokens: string[] = [];
  let run = '';
  for (const character of cleaned) {
    if (CJK.test(character)) {
      if (run !== '') tokens.push(...splitPythonWhitespace(run));
      run = '';
      tokens.push(character);
    } else {
      run += character;
    }
  }
  if (run !== '') tokens.push(...splitPythonWhitespace(run));
  return tokens;
}

function goldList(golds: readonly string[] | string): readonly string[] {
  const list = typeof golds === 'string' ? [golds] : golds;
  if (!Array.isArray(list)) throw new RalmError('INVALID_ARGUMENT', 'golds must be a string or an array of gold answer strings.');
  return list;
}

/**
 * 1 when the normalised prediction equals a normalised gold answer, else 0 (max over golds; 0 when there are none).
 *
 * @example
 * ```ts
 * exactMatch('the Denver Broncos', ['Denver Broncos'], 'en'); // 1
 * ```
 */
export function exactMatch(prediction: string, golds: readonly string[] | string, language: AnswerLanguage): number {
  const normalized = normalizeAnswer(prediction, language);
  for (const gold of goldList(golds)) if (normalizeAnswer(gold, language) === normalized) return 1;
  return 0;
}

function bagF1(prediction: readonly string[], gold: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const token of gold) counts.set(token, (counts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of prediction) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      same++;
      counts.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / prediction.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Length of the longest common contiguous run of tokens (CMRC's `find_lcs`).
 *
 * @example
 * ```ts
 * longestCommonSubstring(['a', 'b', 'c'], ['x', 'b', 'c']); // 2
 * ```
 */
export function longestCommonSubstring(left: readonly string[], right: readonly string[]): number {
  let previous = new Array<number>(right.length + 1).fill(0);
  let current = new Array<number>(right.length + 1).fill(0);
  let best = 0;
  for (let i = 0; i < left.length; i++) {
    for (let j = 0; j < right.length; j++) {
      current[j + 1] = left[i] === right[j] ? previous[j] + 1 : 0;
      if (current[j + 1] > best) best = current[j + 1];
    }
    [previous, current] = [current, previous];
  }
  return best;
}

function substringF1(prediction: readonly string[], gold: readonly string[]): number {
  const common = longestCommonSubstring(gold, prediction);
  if (common === 0) return 0;
  const precision = common / prediction.length;
  const recall = common / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Token F1 of a prediction against gold answers, the maximum over golds (0 when there are none). English: SQuAD's
 * bag-of-tokens F1. Chinese: CMRC's F1 over the longest common substring of the mixed segmentations.
 *
 * @example
 * ```ts
 * f1('Denver Broncos team', ['Denver Broncos'], 'en'); // 0.8 (precision 2/3, recall 1)
 * f1('光荣公司', ['光荣和ω-force'], 'zh'); // lcs 2 ("光荣"), precision 2/4, recall 2/4 → 0.5
 * ```
 */
export function f1(prediction: string, golds: readonly string[] | string, language: AnswerLanguage): number {
  const predictionTokens = answerTokens(prediction, language);
  let best = 0;
  for (const gold of goldList(golds)) {
    const goldTokens = answerTokens(gold, language);
    const score = language === 'en' ? bagF1(predictionTokens, goldTokens) : substringF1(predictionTokens, goldTokens);
    if (score > best) best = score;
  }
  return best;
}

/**
 * True when a candidate text (a retrieved passage, a generated answer) contains one of the gold answers after
 * normalisation: as a contiguous sequence of whole tokens for English, as a substring for Chinese. Golds that
 * normalise to nothing never match.
 *
 * @example
 * ```ts
 * containsAnswer('They beat the Denver Broncos in 2016.', ['Denver Broncos'], 'en'); // true
 * containsAnswer('Broncosaurus', ['Broncos'], 'en'); // false (not a whole word)
 * ```
 */
export function containsAnswer(candidate: string, golds: readonly string[] | string, language: AnswerLanguage): boolean {
  if (language === 'zh') {
    const haystack = normalizeAnswer(candidate, 'zh');
    return goldList(golds).some((gold) => {
      const needle = normalizeAnswer(gold, 'zh');
      return needle !== '' && haystack.includes(needle);
    });
  }
  const haystack = ` ${normalizeAnswer(candidate, 'en')} `;
  return goldList(golds).some((gold) => {
    const needle = normalizeAnswer(gold, 'en');
    return needle !== '' && haystack.includes(` ${needle} `);
  });
}
