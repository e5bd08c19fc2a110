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
  /**
   * `analyzeTokens(text, tokens)` as ids in `vocabulary` (the ingest fast path: a token seen before costs one lookup
   * in the analyzer's memo and no string). The result is a view of a buffer that the next call reuses.
   */
  analyzeTokensToIds?(text: string, tokens: readonly string[], vocabulary: TermVocabulary): Int32Array;
  /**
   * How a parallel analysis may split this analyzer's work (`ParallelAnalysis`, option `split`): worker threads run the
   * analyzer `worker` (loaded by name with `getWorkerAnalyzer`), and the calling thread turns each distinct term they
   * hand back into this analyzer's term with `finish`. `finish(t)` for the terms of `worker` must give exactly the terms
   * of this analyzer, in the same positions (for `english`: the workers tokenize, remove possessives, lower-case and drop
   * stop words; the calling thread stems).
   */
  readonly parallelStages?: { readonly worker: string; readonly finish: (term: string) => string };
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

/**
 * A {@link TermVocabulary} that keeps its terms in an array, in id order: what a thread preparing documents numbers
 * its terms with, so that ids (not strings) travel to the index writer, which maps each table id to its own once.
 *
 * @example
 * ```ts
 * const table = new TermTable();
 * table.idOf('cat'); // 0
 * table.idOf('dog'); // 1
 * table.idOf('cat'); // 0
 * table.terms; // ['cat', 'dog']
 * ```
 */
export class TermTable implements TermVocabulary {
  /** The terms by id. */
  readonly terms: string[] = [];
  private readonly ids = new Map<string, number>();

  idOf(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.ids.set(term, id);
      this.terms.push(term);
    }
    return id;
  }

  get size(): number {
    return this.terms.length;
  }
}
