/**
 * An Analyzer turns text into the terms that are indexed and searched. The same analyzer is used
 * at index time and at query time; a collection records the name of the one it was built with.
 */
export interface Analyzer {
  /** Registered name, e.g. `english`, `cjk`, `plain`, `auto`. Stored in the collection. */
  readonly name: string;
  /** Terms in order of position (stop words already removed). */
  analyze(text: string): string[];
}
