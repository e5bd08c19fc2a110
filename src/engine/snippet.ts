/**
 * Query-biased snippets: the window of a passage that holds the most distinct query terms.
 */
import type { Analyzer } from '../analysis/types.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}'’_.-]*/gu;

/**
 * Returns about `length` characters of `text` around the densest cluster of query terms
 * (words whose analyzed form is in `terms`), with ellipses where it was cut.
 * @example makeSnippet('A long text about ranking functions…', new Set(['rank']), getAnalyzer('english'), 80)
 */
export function makeSnippet(text: string, terms: ReadonlySet<string>, analyzer: Analyzer, length: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= length) return flat;
  const matches: number[] = [];
  WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  let scanned = 0;
  while ((m = WORD.exec(flat)) !== null && scanned < 4000) {
    scanned++;
    for (const term of analyzer.analyze(m[0])) {
      if (terms.has(term)) {
        matches.push(m.index);
        break;
      }
    }
  }
  let start = 0;
  if (matches.length > 0) {
    // slide a window over the match positions; keep the one with most matches
    let best = 0;
    let bestStart = matches[0]!;
    let j = 0;
    for (let i = 0; i < matches.length; i++) {
      while (matches[i]! - matches[j]! > length * 0.8) j++;
      if (i - j + 1 > best) {
        best = i - j + 1;
        bestStart = matches[j]!;
      }
    }
    start = Math.max(0, bestStart - Math.floor(length * 0.15));
    const space = flat.lastIndexOf(' ', start);
    if (start > 0 && space > start - 30 && space >= 0) start = space + 1;
  }
  let end = Math.min(flat.length, start + length);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > start + length / 2) end = space;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}
