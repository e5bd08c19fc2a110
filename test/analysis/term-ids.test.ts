import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EnglishAnalyzer,
  ParallelAnalysis,
  TokenRanges,
  getAnalyzer,
  getWorkerAnalyzer,
  hasTermIds,
  segmenterTokenize,
  standardTokenRanges,
  standardTokenize,
  type Analyzer,
  TermTable,
} from '../../src/analysis/index.js';

const alphabet = [
  ...'abcXYZ019',
  ...".,'’:;_-@/",
  ' ', ' ', ' ', '\n', '"', '(',
  'é', 'ß', 'µ', '\u00ad', '\u0301', '中', 'カ', '한', 'Ω', 'β', '😀', 'İ', 'Σ',
];
const word = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 8 }).map((c) => c.join(''));
// texts drawn from a small set of words, so that tokens repeat (memo hits) as they do in real text
const texts = fc.array(word, { minLength: 1, maxLength: 12 }).chain((words) =>
  fc.array(fc.array(fc.constantFrom(...words, 'The', 'running', "cats'", "Lucene's"), { maxLength: 30 }).map((w) => w.join(' ')), { minLength: 1, maxLength: 12 }),
);

describe('standardTokenRanges', () => {
  it('gives the tokens of standardTokenize as ranges, appended', () => {
    fc.assert(
      fc.property(texts, (values) => {
        const ranges = new TokenRanges();
        const expected: string[] = [];
        for (const text of values) {
          const before = ranges.count;
          standardTokenRanges(text, ranges);
          const tokens = [];
          for (let i = before; i < ranges.count; i++) tokens.push(text.slice(ranges.starts[i], ranges.ends[i]));
          expect(tokens).toEqual(standardTokenize(text));
          expected.push(...tokens);
        }
        expect(ranges.count).toBe(expected.length);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('EnglishAnalyzer term ids', () => {
  it('analyzeToIds gives the ids of exactly the terms analyze gives, across vocabularies, cache sizes and tokenizers', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer({ min: 1, max: 4 }), (values, cacheSize, segmenter, vocabularies) => {
        const options = { cacheSize, ...(segmenter ? { tokenize: segmenterTokenize } : {}) };
        const analyzer = new EnglishAnalyzer(options);
        const reference = new EnglishAnalyzer(options);
        const pool = Array.from({ length: vocabularies }, () => new TermTable());
        values.forEach((text, i) => {
          const vocabulary = pool[i % vocabularies]!; // switching vocabularies invalidates memoized ids
          const ids = [...analyzer.analyzeToIds(text, vocabulary)];
          expect(ids.map((id) => vocabulary.terms[id])).toEqual(reference.analyze(text));
          expect(analyzer.analyze(text)).toEqual(getAnalyzer('english').analyze(text));
        });
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('analyzeTokensToIds gives the ids of exactly the terms analyzeTokens gives, for english and auto, across vocabularies', () => {
    const mixed = fc.oneof(texts, texts.map((values) => values.map((v, i) => (i % 2 === 0 ? `中文分词的文本 ${v}` : v))));
    fc.assert(
      fc.property(mixed, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (values, cacheSize, vocabularies) => {
        const analyzer = new EnglishAnalyzer({ cacheSize });
        const auto = getAnalyzer('auto');
        const pool = Array.from({ length: vocabularies }, () => new TermTable());
        values.forEach((text, i) => {
          const vocabulary = pool[i % vocabularies]!; // switching vocabularies invalidates memoized ids
          const tokens = standardTokenize(text);
          const ids = [...analyzer.analyzeTokensToIds(text, tokens, vocabulary)];
          expect(ids.map((id) => vocabulary.terms[id])).toEqual(getAnalyzer('english').analyze(text));
          const autoIds = [...auto.analyzeTokensToIds!(text, tokens, vocabulary)];
          expect(autoIds.map((id) => vocabulary.terms[id])).toEqual(auto.analyze(text));
          expect(tokens).toEqual(standardTokenize(text)); // not modified
        });
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('is the term-id analyzer of the registry', () => {
    expect(hasTermIds(getAnalyzer('english'))).toBe(true);
    expect(hasTermIds(getAnalyzer('cjk'))).toBe(false);
  });
});

describe('ParallelAnalysis', () => {
  /** Analyzes `values` in a job (or returns null when it could not start) and returns the terms handed over. */
  function run(analyzer: Analyzer, values: string[], options: { workers: number; batchTexts: number; batchCharacters: number; swapEvery?: number; split?: boolean }): string[][] | null {
    let vocabulary = new TermTable();
    const out: string[][] = [];
    const job = ParallelAnalysis.start({
      analyzer,
      workers: options.workers,
      batchTexts: options.batchTexts,
      batchCharacters: options.batchCharacters,
      split: options.split,
      vocabulary: () => vocabulary,
      // the bag of terms of each text (the calling thread's analysis gives the terms in order, a worker's reply ids with counts)
      consume: (ids) => out.push([...ids].map((id) => vocabulary.terms[id]!).sort()),
      consumeCounts: (ids, freqs) => out.push([...ids].flatMap((id, i) => Array<string>(freqs[i]!).fill(vocabulary.terms[id]!)).sort()),
    });
    if (job === null) return null;
    try {
      values.forEach((text, i) => {
        job.push(text);
        if (options.swapEvery && i % options.swapEvery === options.swapEvery - 1) {
          job.drain(); // everything so far handed over: the next texts may go to another vocabulary
          expect(job.pending).toBe(0);
          vocabulary = new TermTable();
        }
      });
      job.drain();
      expect(job.pending).toBe(0);
    } finally {
      job.close();
    }
    return out;
  }

  it('hands over, in text order, the bag of terms the calling thread would compute, whatever the batches and workers', () => {
    fc.assert(
      fc.property(
        fc.array(texts, { minLength: 1, maxLength: 6 }).map((groups) => groups.flat()),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 300 }),
        fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
        fc.constantFrom('english', 'cjk', 'auto'),
        fc.boolean(),
        (values, workers, batchTexts, batchCharacters, swapEvery, name, split) => {
          const analyzer = getAnalyzer(name);
          const out = run(analyzer, values, { workers, batchTexts, batchCharacters, swapEvery, split });
          expect(out, 'the job started (the compiled worker is built by the test setup)').not.toBeNull();
          expect(out).toEqual(values.map((text) => analyzer.analyze(text).sort()));
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });

  it("english's first stage, stemmed, gives english's terms (what a split analysis relies on)", () => {
    const english = getAnalyzer('english');
    const stages = english.parallelStages!;
    expect(stages).toBeDefined();
    const first = getWorkerAnalyzer(stages.worker);
    expect(first.name).toBe(stages.worker);
    expect(first.analyze("The researcher's cats are running")).toEqual(['researcher', 'cats', 'running']);
    expect(() => getAnalyzer(stages.worker)).toThrow(/unknown analyzer/); // not a collection's analyzer
    fc.assert(
      fc.property(texts, (values) => {
        for (const text of values) expect(first.analyze(text).map(stages.finish)).toEqual(english.analyze(text));
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('does not start without workers, or for an analyzer the workers cannot load by name', () => {
    expect(run(getAnalyzer('english'), ['a b'], { workers: 0, batchTexts: 1, batchCharacters: 1 })).toBeNull();
    expect(run(new EnglishAnalyzer(), ['a b'], { workers: 1, batchTexts: 1, batchCharacters: 1 })).toBeNull();
    const custom: Analyzer = { name: 'english', analyze: (text) => text.split(' ') };
    expect(run(custom, ['a b'], { workers: 1, batchTexts: 1, batchCharacters: 1 })).toBeNull();
  });
});
