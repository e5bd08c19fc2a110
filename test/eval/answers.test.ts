import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import {
  answerTokens,
  containsAnswer,
  exactMatch,
  f1,
  longestCommonSubstring,
  normalizeAnswer,
  type AnswerLanguage,
} from '../../src/eval/answers.js';

describe('English (SQuAD v1.1 evaluate script)', () => {
  it('normalises: lower-case, drop ASCII punctuation, drop a/an/the as words, collapse whitespace', () => {
    expect(normalizeAnswer('The  Denver Broncos!', 'en')).toBe('denver broncos');
    expect(normalizeAnswer('An apple a day', 'en')).toBe('apple day');
    expect(normalizeAnswer('theater and anagram', 'en')).toBe('theater and anagram'); // articles only as whole words
    expect(normalizeAnswer("Levi's Stadium", 'en')).toBe('levis stadium');
    // Python's \b is Unicode-aware: the "a" in "éa" is inside a word; "café a" loses its article.
    expect(normalizeAnswer('éa b', 'en')).toBe('éa b');
    expect(normalizeAnswer('café a', 'en')).toBe('café');
    // string.punctuation is ASCII only: dashes outside ASCII stay.
    expect(normalizeAnswer('Broncos\u201424\u201310', 'en')).toBe('broncos\u201424\u201310');
    // "the-end": punctuation goes first, so "theend" is one word and keeps its letters.
    expect(normalizeAnswer('the-end', 'en')).toBe('theend');
  });

  it('exact match takes the best gold', () => {
    expect(exactMatch('the Denver Broncos', ['Denver Broncos'], 'en')).toBe(1);
    expect(exactMatch('Broncos', ['Denver Broncos', 'Carolina Panthers'], 'en')).toBe(0);
    expect(exactMatch('x', [], 'en')).toBe(0);
    expect(exactMatch('The', 'a', 'en')).toBe(1); // both normalise to ''
  });

  it('F1 is the bag-of-tokens F1, max over golds', () => {
    // pred [denver, broncos, team], gold [denver, broncos]: 2 shared; P = 2/3, R = 1 → 2·(2/3)/(5/3) = 0.8.
    expect(f1('Denver Broncos team', ['Denver Broncos'], 'en')).toBeCloseTo(0.8, 15);
    // pred [x, y, y, z], gold [y, y, y]: shared y×2; P = 2/4, R = 2/3 → (2/3)/(7/6) = 4/7.
    expect(f1('x y y z', ['y y y'], 'en')).toBeCloseTo(4 / 7, 15);
    expect(f1('x y', ['x', 'x y'], 'en')).toBe(1);
    expect(f1('nothing shared', ['Denver'], 'en')).toBe(0);
    // SQuAD v1.1: no token on either side → 0, even though exact match is 1.
    expect(f1('the', ['the'], 'en')).toBe(0);
  });

  it('containsAnswer matches whole normalised tokens', () => {
    expect(containsAnswer('They beat the Denver Broncos in 2016.', ['Denver Broncos'], 'en')).toBe(true);
    expect(containsAnswer('They beat the Denver Broncos in 2016.', ['Carolina', 'broncos in'], 'en')).toBe(true);
    expect(containsAnswer('Broncosaurus', ['Broncos'], 'en')).toBe(false);
    expect(containsAnswer('anything', ['the', ''], 'en')).toBe(false); // golds normalising to '' never match
  });
});

describe('Chinese (CMRC 2018 evaluate script)', () => {
  it('normalises: lower-case, drop Chinese and ASCII punctuation and all whitespace', () => {
    expect(normalizeAnswer('《战国无双3》 光荣。', 'zh')).toBe('战国无双3光荣');
    expect(normalizeAnswer('ω-Force ＋ 光荣\u3000！', 'zh')).toBe('ωforce光荣');
    expect(normalizeAnswer('「一」、（二）～三…', 'zh')).toBe('一二三');
  });

  it('segments like mixed_segmentation: one token per CJK character, words for other runs', () => {
    expect(answerTokens('The 2018年 World Cup', 'zh')).toEqual(['the', '2018', '年', 'world', 'cup']);
    expect(answerTokens('光荣和ω-force', 'zh')).toEqual(['光', '荣', '和', 'ωforce']);
  });

  it('exact match and F1 over the longest common substring', () => {
    expect(exactMatch('光荣和ω-force。', ['光荣和ω-force'], 'zh')).toBe(1);
    // pred [光, 荣, 公, 司], gold [光, 荣, 和, ωforce]: longest common substring 光荣 = 2; P = R = 2/4 → 0.5.
    expect(f1('光荣公司', ['光荣和ω-force'], 'zh')).toBeCloseTo(0.5, 15);
    // Substring, not subsequence: pred 甲乙丙丁, gold 甲丙丁 → 丙丁 = 2 (a subsequence would give 3).
    // P = 2/4, R = 2/3 → (2/3)/(7/6) = 4/7.
    expect(f1('甲乙丙丁', ['甲丙丁'], 'zh')).toBeCloseTo(4 / 7, 15);
    // pred [2018, 年, 世, 界, 杯], gold [2018, 年]: 2 → P = 2/5, R = 1 → 0.8/1.4 = 4/7.
    expect(f1('2018年世界杯', ['2018年'], 'zh')).toBeCloseTo(4 / 7, 15);
    expect(f1('乙', ['甲', '乙丙'], 'zh')).toBeCloseTo(2 / 3, 15); // best gold: P = 1, R = 1/2
    expect(f1('', ['甲'], 'zh')).toBe(0);
  });

  it('containsAnswer matches normalised substrings', () => {
    expect(containsAnswer('他在2018年，加入了光荣公司。', ['光荣', '任天堂'], 'zh')).toBe(true);
    expect(containsAnswer('他在2018年，加入了光荣公司。', ['2018年加入'], 'zh')).toBe(true); // punctuation ignored
    expect(containsAnswer('他在2018年', ['任天堂', '。'], 'zh')).toBe(false);
  });
});

describe('helpers and errors', () => {
  it('longestCommonSubstring is the longest contiguous common run', () => {
    expect(longestCommonSubstring(['a', 'b', 'c'], ['x', 'b', 'c'])).toBe(2);
    expect(longestCommonSubstring(['a', 'b', 'c', 'd'], ['a', 'c', 'd', 'b'])).toBe(2);
    expect(longestCommonSubstring([], ['a'])).toBe(0);
  });

  it('rejects an unknown language, naming the valid choices', () => {
    try {
      normalizeAnswer('x', 'fr' as AnswerLanguage);
      throw new Error('expected a RalmError');
    } catch (error) {
      expect(error).toBeInstanceOf(RalmError);
      expect((error as RalmError).code).toBe('INVALID_ARGUMENT');
      expect((error as RalmError).message).toContain('en, zh');
    }
  });
});
