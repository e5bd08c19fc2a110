import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { analyzerNames, detectLanguage, getAnalyzer } from '../../src/analysis/index.js';

describe('analyzer registry', () => {
  it('lists the analyzers and returns shared instances with matching names', () => {
    expect([...analyzerNames].sort()).toEqual(['auto', 'cjk', 'cjk-bigrams', 'cjk-both', 'cjk-words', 'english', 'plain']);
    for (const name of analyzerNames) {
      expect(getAnalyzer(name).name).toBe(name);
      expect(getAnalyzer(name)).toBe(getAnalyzer(name));
    }
  });

  it('rejects an unknown name with INVALID_ARGUMENT naming it and the valid ones', () => {
    let caught: unknown;
    try {
      getAnalyzer('klingon');
    } catch (error) {
      caught = error;
    }
    expect(RalmError.is(caught)).toBe(true);
    expect((caught as RalmError).code).toBe('INVALID_ARGUMENT');
    expect((caught as RalmError).message).toContain('"klingon"');
    for (const name of analyzerNames) expect((caught as RalmError).message).toContain(name);
  });

  it('plain lower-cases without stop words or stemming', () => {
    expect(getAnalyzer('plain').analyze('The Cats are RUNNING')).toEqual(['the', 'cats', 'are', 'running']);
  });
});

describe('detectLanguage and auto', () => {
  it.each([
    ['The quick brown fox jumps over the lazy dog', 'en'],
    ['这是一个中文句子，用于测试。', 'zh'],
    ['これは日本語の文です。', 'ja'],
    ['한국어 문장입니다', 'ko'],
    ['Быстрая коричневая лиса', 'other'],
    ['1234 5678 !!!', 'other'],
    ['BM25 是一种排序函数', 'zh'],
  ])('%s → %s', (text, language) => {
    expect(detectLanguage(text)).toBe(language);
  });

  it('only samples the beginning of long texts', () => {
    expect(detectLanguage('English words here. '.repeat(300) + '中文'.repeat(5000))).toBe('en');
  });

  it('auto applies english or cjk per text', () => {
    const auto = getAnalyzer('auto');
    expect(auto.analyze('Running dogs')).toEqual(getAnalyzer('english').analyze('Running dogs'));
    expect(auto.analyze('北京大学的学生')).toEqual(getAnalyzer('cjk').analyze('北京大学的学生'));
  });
});
