/**
 * The analyzer registry: names → shared analyzer instances. A collection stores the name of the
 * analyzer it was built with and gets it back from here.
 */
import { RalmError } from '../core/errors.js';
import type { Analyzer, TermVocabulary } from './types.js';
import { EnglishAnalyzer } from './english.js';
import { porterStem } from './porter-stemmer.js';
import { PlainAnalyzer } from './plain.js';
import { CjkAnalyzer } from './cjk.js';
import { detectLanguage } from './detect-language.js';

/** Name of the first stage of `english` that parallel-analysis workers run (see `Analyzer.parallelStages`). */
const ENGLISH_UNSTEMMED = 'english/unstemmed';

/**
 * `english` analyzer instance (shared; stateless apart from its term cache). Parallel analysis may leave its stemming
 * to the calling thread (`parallelStages`).
 */
export const englishAnalyzer: Analyzer = new EnglishAnalyzer({ parallelStages: { worker: ENGLISH_UNSTEMMED, finish: porterStem } });
/** `plain` analyzer instance. */
export const plainAnalyzer: Analyzer = new PlainAnalyzer();
/** `cjk-words`: dictionary words from `Intl.Segmenter('zh')`. */
export const cjkWordsAnalyzer: Analyzer = new CjkAnalyzer('cjk-words', { words: true, bigrams: false });
/** `cjk-bigrams`: overlapping character bigrams like Lucene's CJKAnalyzer. */
export const cjkBigramsAnalyzer: Analyzer = new CjkAnalyzer('cjk-bigrams', { words: false, bigrams: true });
/** `cjk-both`: dictionary words and bigrams. */
export const cjkBothAnalyzer: Analyzer = new CjkAnalyzer('cjk-both', { words: true, bigrams: true });

/**
 * `cjk`: the CJK variant with the best recall@1 on CMRC 2018 dev (848 paragraphs, 3 219 questions,
 * BM25 k1=0.9 b=0.4): cjk-both 0.9674 / recall@5 0.9969, cjk-words 0.9649 / 0.9978,
 * cjk-bigrams 0.9584 / 0.9950. It analyzes like `cjk-both` under the name `cjk`.
 *
 * @example
 * ```ts
 * cjkAnalyzer.analyze('中文分词'); // words and bigrams, e.g. ['中文', '分词', '中文', '文分', '分词']
 * ```
 */
export const cjkAnalyzer: Analyzer = new CjkAnalyzer('cjk', { words: true, bigrams: true });

/**
 * `auto`: per text, {@link detectLanguage} picks `cjk` (zh, ja, ko) or `english` (everything else).
 * Limits: the decision is per text (a document mixing long English and Chinese passages gets one
 * analyzer), it only samples the first 4 000 characters, and non-English Latin-script text is stemmed
 * with the English Porter stemmer. A query is detected separately from the documents, so a short
 * Latin-only query against a Chinese corpus is analyzed as English (its Latin words are still found,
 * but stemmed while the corpus's Latin words inside Chinese documents are not).
 *
 * @example
 * ```ts
 * autoAnalyzer.analyze('Running dogs'); // ['run', 'dog']
 * autoAnalyzer.analyze('北京大学');      // CJK terms
 * ```
 */
export const autoAnalyzer: Analyzer = {
  name: 'auto',
  analyze(text: string): string[] {
    const language = detectLanguage(text);
    return language === 'zh' || language === 'ja' || language === 'ko'
      ? cjkAnalyzer.analyze(text)
      : englishAnalyzer.analyze(text);
  },
  analyzeTokens(text: string, tokens: readonly string[]): string[] {
    const language = detectLanguage(text);
    return language === 'zh' || language === 'ja' || language === 'ko'
      ? cjkAnalyzer.analyze(text)
      : (englishAnalyzer as EnglishAnalyzer).analyzeTokens(text, tokens);
  },
  analyzeTokensToIds(text: string, tokens: readonly string[], vocabulary: TermVocabulary): Int32Array {
    const language = detectLanguage(text);
    if (language !== 'zh' && language !== 'ja' && language !== 'ko') return (englishAnalyzer as EnglishAnalyzer).analyzeTokensToIds(text, tokens, vocabulary);
    return Int32Array.from(cjkAnalyzer.analyze(text), (term) => vocabulary.idOf(term));
  },
};

const analyzers: ReadonlyMap<string, Analyzer> = new Map(
  [englishAnalyzer, plainAnalyzer, cjkAnalyzer, cjkWordsAnalyzer, cjkBigramsAnalyzer, cjkBothAnalyzer, autoAnalyzer].map(
    (analyzer) => [analyzer.name, analyzer],
  ),
);

/**
 * Names of all registered analyzers.
 *
 * @example
 * ```ts
 * analyzerNames.includes('english'); // true
 * ```
 */
export const analyzerNames: readonly string[] = Object.freeze([...analyzers.keys()]);

/** Analyzers that only parallel-analysis workers load (stages of registered ones), by name. */
const workerAnalyzers: ReadonlyMap<string, Analyzer> = new Map([[ENGLISH_UNSTEMMED, new EnglishAnalyzer({ name: ENGLISH_UNSTEMMED, stem: false })]]);

/**
 * The analyzer a parallel-analysis worker runs for `name`: a registered analyzer, or the first stage of one
 * (`Analyzer.parallelStages.worker`). Throws like {@link getAnalyzer} for any other name.
 *
 * @example
 * ```ts
 * getWorkerAnalyzer('english/unstemmed').analyze("The cat's running"); // ['cat', 'running']
 * ```
 */
export function getWorkerAnalyzer(name: string): Analyzer {
  return workerAnalyzers.get(name) ?? getAnalyzer(name);
}

/**
 * The shared analyzer registered under `name`.
 *
 * @throws RalmError `INVALID_ARGUMENT` naming the unknown name and listing the valid ones.
 * @example
 * ```ts
 * getAnalyzer('english').analyze('The cats'); // ['cat']
 * getAnalyzer('klingon'); // throws RalmError INVALID_ARGUMENT
 * ```
 */
export function getAnalyzer(name: string): Analyzer {
  const analyzer = analyzers.get(name);
  if (analyzer === undefined) {
    throw new RalmError(
      'INVALID_ARGUMENT',
      `unknown analyzer ${JSON.stringify(name)}; valid analyzers: ${analyzerNames.join(', ')}`,
    );
  }
  return analyzer;
}
