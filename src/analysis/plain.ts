/** The `plain` analyzer: StandardTokenizer + lower-case, nothing else. */
import type { Analyzer } from './types.js';
import { standardTokenize } from './standard-tokenizer.js';
import { lowerCase } from './text-filters.js';

/**
 * Lucene StandardTokenizer followed by lower-casing; no stop words, no stemming.
 *
 * @example
 * ```ts
 * new PlainAnalyzer().analyze('The Cats are running'); // ['the', 'cats', 'are', 'running']
 * ```
 */
export class PlainAnalyzer implements Analyzer {
  readonly name: string = 'plain';

  analyze(text: string): string[] {
    const tokens = standardTokenize(text);
    for (let index = 0; index < tokens.length; index++) tokens[index] = lowerCase(tokens[index]);
    return tokens;
  }
}
