/**
 * Text analysis: tokenizers, token filters and analyzers (English, CJK, plain, auto). The same
 * analyzer is used at index time and at query time.
 *
 * @example
 * ```ts
 * import { getAnalyzer } from './analysis/index.js';
 * getAnalyzer('english').analyze('Lucene-compatible analysis'); // ['lucen', 'compat', 'analysi']
 * ```
 */
export type { Analyzer, TermVocabulary, TermIdAnalyzer } from './types.js';
export { hasTermIds, TermTable } from './types.js';
export { standardTokenize, standardTokenRanges, TokenRanges, segmenterTokenize, MAX_TOKEN_LENGTH } from './standard-tokenizer.js';
export { porterStem } from './porter-stemmer.js';
export { lowerCase, removePossessive } from './text-filters.js';
export { EnglishAnalyzer, ENGLISH_STOP_WORDS, type EnglishAnalyzerOptions } from './english.js';
export { ParallelAnalysis, defaultAnalysisWorkers, type ParallelAnalysisOptions } from './parallel.js';
export { PlainAnalyzer } from './plain.js';
export { CjkAnalyzer, normalizeWidth, type CjkAnalyzerOptions } from './cjk.js';
export { detectLanguage, DETECTION_SAMPLE_LENGTH, type DetectedLanguage } from './detect-language.js';
export {
  getAnalyzer,
  getWorkerAnalyzer,
  analyzerNames,
  englishAnalyzer,
  plainAnalyzer,
  cjkAnalyzer,
  cjkWordsAnalyzer,
  cjkBigramsAnalyzer,
  cjkBothAnalyzer,
  autoAnalyzer,
} from './registry.js';
