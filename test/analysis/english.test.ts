import { describe, expect, it } from 'vitest';
import { stemmer } from 'stemmer';
import {
  ENGLISH_STOP_WORDS,
  EnglishAnalyzer,
  porterStem,
  removePossessive,
  lowerCase,
  segmenterTokenize,
  getAnalyzer,
} from '../../src/analysis/index.js';
import { porterVocabularySample } from './fixtures/porter-vocabulary-sample.js';

describe('porterStem', () => {
  it('reproduces Porter’s official output on the sample of his test vocabulary', () => {
    expect(porterVocabularySample.length).toBe(150);
    for (const [word, stem] of porterVocabularySample) expect(porterStem(word), word).toBe(stem);
  });

  // Examples from Porter (1980), steps 1a–5b, traced through all later steps by hand.
  it.each([
    ['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'ti'], ['caress', 'caress'], ['cats', 'cat'],
    ['feed', 'feed'], ['agreed', 'agre'], ['plastered', 'plaster'], ['bled', 'bled'], ['motoring', 'motor'],
    ['sing', 'sing'], ['hopping', 'hop'], ['falling', 'fall'], ['hissing', 'hiss'], ['fizzed', 'fizz'],
    ['failing', 'fail'], ['filing', 'file'], ['happy', 'happi'], ['sky', 'sky'], ['relational', 'relat'],
    ['hesitanci', 'hesit'], ['digitizer', 'digit'], ['vietnamization', 'vietnam'], ['hopefulness', 'hope'],
    ['sensibiliti', 'sensibl'], ['triplicate', 'triplic'], ['goodness', 'good'], ['allowance', 'allow'],
    ['adoption', 'adopt'], ['probate', 'probat'], ['rate', 'rate'], ['cease', 'ceas'], ['controll', 'control'],
    ['roll', 'roll'], ['generalizations', 'gener'], ['oscillators', 'oscil'],
  ])('%s → %s', (word, stem) => {
    expect(porterStem(word)).toBe(stem);
  });

  it('keeps the reference implementation’s departures (bli → ble, logi → log, short words)', () => {
    expect(porterStem('conformabli')).toBe('conform'); // bli→ble, then -able removed in step 4
    expect(porterStem('archaeologi')).toBe('archaeolog');
    expect(porterStem('as')).toBe('as');
    expect(porterStem('ies')).toBe('i');
    expect(porterStem('sses')).toBe('ss');
    expect(porterStem('eed')).toBe('eed');
  });

  it('is not the `stemmer` package, which differs from the reference on edge cases', () => {
    expect([stemmer('ies'), stemmer('sses'), stemmer('eed')]).toEqual(['ie', 'sse', 'e']);
  });
});

describe('English token filters', () => {
  it('removes possessives exactly like EnglishPossessiveFilter', () => {
    expect(removePossessive("Lucene's")).toBe('Lucene');
    expect(removePossessive('JAMES’S')).toBe('JAMES');
    expect(removePossessive('Ｘ＇s')).toBe('Ｘ');
    expect(removePossessive("its")).toBe('its');
    expect(removePossessive("O'Neil")).toBe("O'Neil");
    expect(removePossessive("s'")).toBe("s'");
  });

  it('lower-cases per code point like Java', () => {
    expect(lowerCase('HeLLo')).toBe('hello');
    expect(lowerCase('ΟΔΟΣ')).toBe('οδοσ');
    expect(lowerCase('İSTANBUL')).toBe('istanbul');
  });

  it('has Lucene’s 33 stop words', () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(33);
    for (const word of ['a', 'the', 'with', 'will', 'into', 'such', 'then']) expect(ENGLISH_STOP_WORDS.has(word)).toBe(true);
    expect(ENGLISH_STOP_WORDS.has('he')).toBe(false);
  });
});

describe('EnglishAnalyzer', () => {
  const english = getAnalyzer('english');

  it('tokenizes, removes possessives and stop words, lower-cases and stems', () => {
    expect(english.analyze("The researcher's cats are running studies")).toEqual(['research', 'cat', 'run', 'studi']);
    expect(english.analyze("U.S.A.'s")).toEqual(['u.s.a', 's']); // "'s" after "." is its own token
    expect(english.analyze("It's Lucene's e-mail: THE RELATIONAL databases")).toEqual([
      'lucen', 'e', 'mail', 'relat', 'databas',
    ]);
    expect(english.analyze('To be or not to be')).toEqual([]);
  });

  it('gives the same terms with the Intl.Segmenter tokenizer and a tiny cache', () => {
    const reference = new EnglishAnalyzer({ tokenize: segmenterTokenize, cacheSize: 3 });
    const text = 'Cells’ mitochondria — “running” 3.5-fold faster; naïve T-cells’ IL-2 response. The cells ran.';
    expect(english.analyze(text)).toEqual(reference.analyze(text));
    expect(reference.analyze(text)).toEqual(reference.analyze(text));
  });
});
