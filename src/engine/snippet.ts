/**
 * Query-biased snippets: the window of a passage that holds the most query-term occurrences.
 */
import type { Analyzer } from '../analysis/types.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}'’_.-]*/gu;
/** Characters of a passage scanned for matches (a snippet comes from its beginning part). */
const MAX_SCAN = 6000;

/**
 * Tells whether a raw word matches a query term once analyzed; remembers every word it has seen, so one
 * matcher serves all the hits of a search cheaply.
 * @example const matches = createTermMatcher(new Set(['rank']), getAnalyzer('english')); matches('Ranking'); // true
 */
export function createTermMatcher(terms: ReadonlySet<string>, analyzer: Analyzer): (word: string) => boolean {
  const seen = new Map<string, boolean>();
  return (word) => {
    let known = seen.get(word);
    if (known === undefined) {
      known = analyzer.analyze(word).some((term) => terms.has(term));
      if (seen.size < 100_000) seen.set(word, known);
    }
    return known;
  };
}

/**
 * Returns about `length` characters of `text` around the densest cluster of query-term matches, with
 * whitespace collapsed and ellipses where it was cut.
 * @example makeSnippet('A long text about ranking functions…', createTermMatcher(new Set(['rank']), getAnalyzer('english')), 80)
 */
export function makeSnippet(text: string, matches: (word: string) => boolean, length: number): string {
  if (text.length <= length) return text.replace(/\s+/g, ' ').trim();
  const positions: number[] = [];
  const scanned = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(scanned); m !== null; m = WORD.exec(scanned)) if (matches(m[0])) positions.push(m.index);
  let start = 0;
  if (positions.length > 0) {
    let best = 0;
    let bestStart = positions[0]!;
    let j = 0;
    for (let i = 0; i < positions.length; i++) {
      while (positions[i]! - positions[j]! > length * 0.8) j++;
      if (i - j + 1 > best) {
        best = i - j + 1;
        bestStart = positions[j]!;
      }
    }
    start = Math.max(0, bestStart - Math.floor(length * 0.15));
    const space = text.lastIndexOf(' ', start);
    if (start > 0 && space >= 0 && space > start - 30) start = space + 1;
  }
  // take a little more than needed, since collapsing whitespace shortens it
  const raw = text.slice(start, Math.min(text.length, start + length * 2));
  const flat = raw.replace(/\s+/g, ' ').trim();
  let end = Math.min(flat.length, length);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > length / 2) end = space;
  }
  const cutAtEnd = end < flat.length || start + raw.length < text.length;
  return `${start > 0 ? '…' : ''}${flat.slice(0, end)}${cutAtEnd ? '…' : ''}`;
}
