/**
 * Citation markers in answer text: finding them (`[1]`, `[2, 3]`, `[1][2]`, and the full-width forms `［1］`, `【1】`
 * that Chinese text uses), checking them against the keys that were actually provided, and removing them.
 */
import { splitSentences } from './sentences.js';

/**
 * One citation found in an answer. A group such as `[2, 3]` yields one entry per key, each with the span of the
 * whole marker (so `answer.slice(start, end)` is `'[2, 3]'` for both).
 *
 * @example
 * ```ts
 * const citation: ParsedCitation = { key: '1', start: 31, end: 34 };
 * ```
 */
export interface ParsedCitation {
  key: string;
  /** Offset of the opening bracket in the answer text. */
  start: number;
  /** Offset just past the closing bracket. */
  end: number;
}

/**
 * What {@link checkCitations} found.
 *
 * @example
 * ```ts
 * const check: CitationCheck = { cited: ['1'], unknown: ['7'], uncitedSentences: 0 };
 * ```
 */
export interface CitationCheck {
  /** Provided keys the answer cites, in order of first citation, each once. */
  cited: string[];
  /** Keys the answer cites that were not provided (fabricated citations), in order of first citation, each once. */
  unknown: string[];
  /** Number of sentences of the answer without any citation marker. */
  uncitedSentences: number;
}

const MARKER = /[[［【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]］】]/gu;
const ONLY_MARKERS = /^(?:\s*[[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】])+/u;

/**
 * Finds the citation markers of an answer, in text order: `[1]`, `[2, 3]` (also `[2,3]`, `[2，3]`, `[2、3]`),
 * `[1][2]` (two markers), and the same with `［ ］` or `【 】`. Keys are the decimal numbers as written.
 *
 * @example
 * ```ts
 * parseCitations('Paris is the capital [1][2]. It is large [3, 4].');
 * // [{ key: '1', start: 21, end: 24 }, { key: '2', start: 24, end: 27 },
 * //  { key: '3', start: 41, end: 47 }, { key: '4', start: 41, end: 47 }]
 * ```
 */
export function parseCitations(answerText: string): ParsedCitation[] {
  const out: ParsedCitation[] = [];
  for (const match of answerText.matchAll(MARKER)) {
    const start = match.index;
    const end = start + match[0].length;
    for (const key of match[1]!.split(/\s*[,，、]\s*/u)) out.push({ key, start, end });
  }
  return out;
}

/**
 * Checks an answer's citations against the keys of the passages it was given: which provided keys it cites, which
 * cited keys were never provided (a fabricated citation), and how many of its sentences cite nothing. Markers that
 * open a sentence (`France. [1] Next…`) are counted for the sentence before them, the style some models write.
 *
 * @example
 * ```ts
 * checkCitations('Paris is the capital [1]. It has 2 million people [9]. It is old.', ['1', '2']);
 * // { cited: ['1'], unknown: ['9'], uncitedSentences: 1 }
 * ```
 */
export function checkCitations(answerText: string, providedKeys: Iterable<string>): CitationCheck {
  const provided = new Set(providedKeys);
  const cited: string[] = [];
  const unknown: string[] = [];
  for (const { key } of parseCitations(answerText)) {
    const list = provided.has(key) ? cited : unknown;
    if (!list.includes(key)) list.push(key);
  }
  const sentences = splitSentences(answerText);
  let uncitedSentences = 0;
  for (let i = 0; i < sentences.length; i++) {
    const text = sentences[i]!.text;
    const leading = ONLY_MARKERS.exec(text)?.[0] ?? '';
    const own = text.slice(leading.length);
    // A sentence that is nothing but markers belongs to the previous sentence; it is not a sentence of its own.
    if (own.trim() === '') continue;
    const hasOwn = parseCitations(own).length > 0;
    const next = sentences[i + 1]?.text ?? '';
    const borrowsNext = ONLY_MARKERS.test(next);
    if (!hasOwn && !borrowsNext) uncitedSentences++;
  }
  return { cited, unknown, uncitedSentences };
}

/**
 * Removes every citation marker and the whitespace right before it, e.g. to score an answer's content.
 *
 * @example
 * ```ts
 * stripCitations('Paris is the capital of France [1].'); // 'Paris is the capital of France.'
 * stripCitations('巴黎是法国的首都[1]。'); // '巴黎是法国的首都。'
 * ```
 */
export function stripCitations(answerText: string): string {
  return answerText.replace(new RegExp(`\\s*${MARKER.source}`, 'gu'), '');
}
