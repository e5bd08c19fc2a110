/**
 * An Analyzer turns text into the terms that are indexed and searched. The same analyzer is used
 * at index time and at query time; a collection records the name of the one it was built with.
 */
export interface Analyzer {
  /** Registered name, e.g. `english`, `cjk`, `plain`, `auto`. Stored in the collection. */
  readonly name: string;
  /** Terms in order of position (stop words already removed). */
  analyze(text: string): string[];
  /**
   * The same terms as `analyze(text)`, given `tokens = standardTokenize(text)` (not modified), for callers that
   * tokenized the text already (ingest: the chunker counts tokens). Only analyzers built on `standardTokenize` have it.
   */
  analyzeTokens?(text: string, tokens: readonly string[]): string[];
}

/**
 * Interns terms as dense integer ids: the term dictionary of an index writer. Ids start at 0 and
 * are assigned in the order terms are first seen.
 */
export interface TermVocabulary {
  /** The id of `term`, assigning the next unused one when the term is new. */
  idOf(term: string): number;
}

/**
 * An analyzer that can also hand its terms out as ids of a {@link TermVocabulary}: the indexing fast
 * path, which creates no string per term.
 */
export interface TermIdAnalyzer extends Analyzer {
  /**
   * The terms `analyze(text)` gives, in order, as their ids in `vocabulary`. The result is a view of a
   * buffer that the next call reuses.
   */
  analyzeToIds(text: string, vocabulary: TermVocabulary): Int32Array;
}

/**
 * Whether `analyzer` implements the term-id fast path.
 *
 * @example
 * ```ts
 * if (hasTermIds(analyzer)) writer.addIds(key, analyzer.analyzeToIds(text, writer));
 * ```
 */
export function hasTermIds(analyzer: Analyzer): analyzer is TermIdAnalyzer {
  return typeof (analyzer as Partial<TermIdAnalyzer>).analyzeToIds === 'function';
}
