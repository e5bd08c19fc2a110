import { describe, expect, it } from 'vitest';
import { getAnalyzer, normalizeWidth } from '../../src/analysis/index.js';

describe('CJK analyzers', () => {
  const bigrams = getAnalyzer('cjk-bigrams');
  const words = getAnalyzer('cjk-words');
  const both = getAnalyzer('cjk-both');

  it('normalises width like CJKWidthFilter', () => {
    expect(normalizeWidth('ＡＢＣ１２３ ｶﾞｷﾞ')).toBe('ABC123 ガギ');
  });

  it('bigrams Chinese runs and keeps Latin/digit runs like plain', () => {
    // 我爱北京 → 我爱 爱北 北京; 。 ends the run; 天 alone is a unigram.
    expect(bigrams.analyze('我爱北京。天 BM25 Ranking')).toEqual(['我爱', '爱北', '北京', '天', 'bm25', 'ranking']);
  });

  it('bigrams across Japanese scripts in one run', () => {
    // 東京タワー (Han Han Katakana×3 with ー) → 東京 京タ タワ ワー
    expect(bigrams.analyze('東京タワー')).toEqual(['東京', '京タ', 'タワ', 'ワー']);
    expect(bigrams.analyze('ﾃｽﾄ')).toEqual(['テス', 'スト']);
  });

  it('bigrams Hangul words', () => {
    expect(bigrams.analyze('한국어 문장')).toEqual(['한국', '국어', '문장']);
  });

  it('segments Chinese words with the dictionary and drops punctuation', () => {
    expect(words.analyze('我爱北京天安门。Hello')).toEqual(['我', '爱', '北京', '天安门', 'hello']);
  });

  it('emits words then bigrams per run in cjk-both', () => {
    expect(both.analyze('北京大学')).toEqual([...words.analyze('北京大学'), '北京', '京大', '大学']);
  });

  it('cjk is an alias of cjk-both', () => {
    const text = '《战国无双3》是由光荣和ω-force开发的。';
    expect(getAnalyzer('cjk').analyze(text)).toEqual(both.analyze(text));
  });
});
