/**
 * The `english` analyzer: Anserini's DefaultEnglishAnalyzer, i.e. Lucene StandardTokenizer →
 * EnglishPossessiveFilter → LowerCaseFilter → StopFilter (Lucene's English stop set) → PorterStemFilter.
 */
import type { Analyzer } from './types.js';
import { standardTokenize } from './standard-tokenizer.js';
import { porterStem } from './porter-stemmer.js';
import { lowerCase, removePossessive } from './text-filters.js';

/**
 * Lucene's default English stop words (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, 33 words).
 *
 * @example
 * ```ts
 * ENGLISH_STOP_WORDS.has('the'); // true
 * ```
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not',
  'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was',
  'will', 'with',
]);

/** Options of {@link EnglishAnalyzer}. */
export interface EnglishAnalyzerOptions {
  /** Tokenizer to use; defaults to {@link standardTokenize} (tests pass the `Intl.Segmenter` one). */
  tokenize?: (text: string) => string[];
  /** Maximum number of distinct raw tokens whose terms are memoized; the cache is cleared when full. Default 200 000. */
  cacheSize?: number;
}

/**
 * English analysis equivalent to Anserini's DefaultEnglishAnalyzer (Lucene StandardTokenizer,
 * possessive removal, lower-case, 33 stop words, Porter stemmer). Terms of each distinct raw token are
 * memoized in a bounded Map, so repeated words cost one lookup.
 *
 * @example
 * ```ts
 * new EnglishAnalyzer().analyze("The researcher's cats are running studies");
 * // ['research', 'cat', 'run', 'studi']
 * ```
 */
export class EnglishAnalyzer implements Analyzer {
  readonly name: string = 'english';
  private readonly tokenize: (text: string) => string[];
  private readonly cacheSize: number;
  /** Raw token → term, or null when the token is a stop word. */
  private cache = new Map<string, string | null>();

  constructor(options: EnglishAnalyzerOptions = {}) {
    this.tokenize = options.tokenize ?? standardTokenize;
    this.cacheSize = options.cacheSize ?? 200_000;
  }

  /** Terms of one raw token (null for a stop word), without the cache. */
  static termOf(token: string): string | null {
    const lower = lowerCase(removePossessive(token));
    if (ENGLISH_STOP_WORDS.has(lower)) return null;
    return porterStem(lower);
  }

  analyze(text: string): string[] {
    const tokens = this.tokenize(text);
    const cache = this.cache;
    let count = 0;
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index];
      let term = cache.get(token);
      if (term === undefined) {
        term = EnglishAnalyzer.termOf(token);
        if (cache.size >= this.cacheSize) cache.clear();
        cache.set(token, term);
      }
      if (term !== null) tokens[count++] = term;
    }
    tokens.length = count;
    return tokens;
  }
}
