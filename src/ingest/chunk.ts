/**
 * Structure-aware chunking: splits a document's text into spans ("chunks") of about `targetTokens` tokens that
 * are the unit of indexing and citation. A chunk is a pair of character offsets into the original text, so
 * `text.slice(chunk.start, chunk.end)` is exactly what gets indexed, shown and highlighted.
 *
 * How the text is cut, from the strongest boundary to the weakest:
 * 1. headings and pages (from the loader's `sections`) start a new chunk; a chunk never crosses them, except that
 *    a heading with no text of its own before the next heading travels with the following text (no heading-only
 *    chunks);
 * 2. paragraphs (blank-line separated, or the loader's `paragraph` sections) and code blocks are kept whole when
 *    they fit: a paragraph that would straddle two chunks moves to the next chunk;
 * 3. a paragraph longer than the target is split at sentence boundaries (`Intl.Segmenter`, sentence granularity:
 *    English `.!?`, Chinese `。！？`); a sentence longer than the target is split at the soft boundaries `；`, `;`
 *    and `…`; a code block longer than `maxTokens` is split at line ends;
 * 4. a piece still longer than `maxTokens` is split at word boundaries (every Han/Kana/Hangul character is a word).
 *
 * Consecutive chunks of the same section overlap by whole sentences totalling at most `overlapTokens`.
 * A text of at most `targetTokens` tokens is always exactly one chunk spanning the whole text.
 */
import { standardTokenize } from '../analysis/index.js';
import { characterClassOf, isCjkClass } from '../analysis/characters.js';
import { RalmError } from '../core/errors.js';
import type { Section } from './loaders/types.js';

export type { Section } from './loaders/types.js';

/**
 * Options of {@link chunkDocument}. Every field is optional; see {@link DEFAULT_CHUNK_OPTIONS}.
 *
 * @example
 * ```ts
 * const options: ChunkOptions = { targetTokens: 256, overlapTokens: 32, maxTokens: 512 };
 * ```
 */
export interface ChunkOptions {
  /** Size a chunk is packed up to, in tokens (integer ≥ 1). Default {@link DEFAULT_CHUNK_OPTIONS}.targetTokens. */
  targetTokens?: number;
  /**
   * Tokens of whole sentences repeated from the end of one chunk at the start of the next (integer, 0 ≤ overlap <
   * target). Default: 38, or `floor(targetTokens × 38 / 256)` (≈ 15 %) when `targetTokens` is given.
   */
  overlapTokens?: number;
  /**
   * Hard ceiling (integer ≥ targetTokens): a sentence or code block up to this size is never split; nothing longer
   * survives except a single word. Default: 512, or `2 × targetTokens` when `targetTokens` is given.
   */
  maxTokens?: number;
}

/**
 * One chunk: a span `[start, end)` of the document's text (UTF-16 offsets), the titles of the headings enclosing it
 * (outermost first), the 1-based page it starts on when the document has pages, and its token count
 * ({@link countTokens} of the span).
 *
 * @example
 * ```ts
 * const chunk: Chunk = { ordinal: 0, start: 0, end: 120, headingPath: ['Guide', 'Install'], tokens: 24 };
 * text.slice(chunk.start, chunk.end); // the chunk's text
 * ```
 */
export interface Chunk {
  ordinal: number;
  start: number;
  end: number;
  headingPath: string[];
  page?: number;
  tokens: number;
}

/**
 * The chunking defaults, chosen by measurement (`bench/chunking.ts`, results in `bench/results/chunking.md`): on
 * SciFact with BM25 and max-pooled chunks, 256 / 38 tokens matches whole-document indexing (nDCG@10 0.6797 vs
 * 0.6789, Recall@100 0.9236 vs 0.9253) while 128 (0.6721) and 64 (0.6480) lose. SciFact abstracts are short (most
 * fit in one 256-token chunk), so on long documents we expect 256-token passages to beat whole documents (BM25 length
 * normalisation over a whole book dilutes local matches) and to remain a comfortable size for rerankers and prompts.
 *
 * @example
 * ```ts
 * chunkDocument({ text }, { ...DEFAULT_CHUNK_OPTIONS, overlapTokens: 0 });
 * ```
 */
export const DEFAULT_CHUNK_OPTIONS: Readonly<Required<ChunkOptions>> = Object.freeze({
  targetTokens: 256,
  overlapTokens: 38,
  maxTokens: 512,
});

// ---------------------------------------------------------------------------------------------------------------
// Token counting

function cjkCount(token: string): number {
  let cjk = 0;
  let other = false;
  for (const character of token) {
    if (isCjkClass(characterClassOf(character.codePointAt(0)!))) cjk++;
    else other = true;
  }
  return cjk === 0 ? 1 : cjk + (other ? 1 : 0);
}

function hasNonLatin1(token: string): boolean {
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) >= 0x300) return true;
  return false;
}

/**
 * The token count used by chunking: one per word of `standardTokenize` (Lucene's StandardTokenizer) for Latin
 * and other alphabetic text, one per Han, Kana or Hangul character (a word mixing CJK and other letters counts its
 * CJK characters plus one).
 *
 * @example
 * ```ts
 * countTokens('The quick brown fox.'); // 4
 * countTokens('我们去公园'); // 5
 * ```
 */
export function countTokens(text: string): number {
  return countOfTokens(text, standardTokenize(text));
}

/** {@link countTokens} of `text` given its `standardTokenize` tokens. */
function countOfTokens(text: string, tokens: readonly string[]): number {
  let plain = true; // no character at or above U+0300: every token counts one
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x300) {
      plain = false;
      break;
    }
  }
  if (plain) return tokens.length;
  let count = 0;
  for (const token of tokens) count += hasNonLatin1(token) ? cjkCount(token) : 1;
  return count;
}

/**
 * A lower bound of {@link countTokens}, from one pass over the characters: the runs between ASCII whitespace that
 * hold an ASCII letter or digit. Each such run holds at least one token (an ASCII letter or digit always starts or
 * joins a word) and no token crosses ASCII whitespace.
 */
function tokenCountLowerBound(text: string): number {
  let count = 0;
  let counted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) counted = false;
    else if (!counted && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a))) {
      counted = true;
      count++;
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------------------
// Options and input validation

function resolveOptions(options: ChunkOptions | undefined): Required<ChunkOptions> {
  const given = options ?? {};
  if (typeof given !== 'object') throw new RalmError('INVALID_ARGUMENT', `chunk options must be an object, got ${typeof given}`);
  const target = given.targetTokens ?? DEFAULT_CHUNK_OPTIONS.targetTokens;
  if (!Number.isInteger(target) || target < 1) {
    throw new RalmError('INVALID_ARGUMENT', `targetTokens must be an integer ≥ 1, got ${String(target)}`);
  }
  const ratio = DEFAULT_CHUNK_OPTIONS.overlapTokens / DEFAULT_CHUNK_OPTIONS.targetTokens;
  const overlap = given.overlapTokens ?? (given.targetTokens === undefined ? DEFAULT_CHUNK_OPTIONS.overlapTokens : Math.floor(target * ratio));
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= target) {
    throw new RalmError('INVALID_ARGUMENT', `overlapTokens must be an integer in 0..${target - 1} (below targetTokens ${target}), got ${String(overlap)}`);
  }
  const max = given.maxTokens ?? Math.max(2 * target, given.targetTokens === undefined ? DEFAULT_CHUNK_OPTIONS.maxTokens : 0);
  if (!Number.isInteger(max) || max < target) {
    throw new RalmError('INVALID_ARGUMENT', `maxTokens must be an integer ≥ targetTokens (${target}), got ${String(max)}`);
  }
  return { targetTokens: target, overlapTokens: overlap, maxTokens: max };
}

const SECTION_KINDS = ['heading', 'page', 'paragraph', 'code'] as const;

function checkSections(sections: readonly Section[], length: number): Section[] {
  sections.forEach((section, index) => {
    if (section === null || typeof section !== 'object') throw new RalmError('INVALID_ARGUMENT', `sections[${index}] must be an object, got ${String(section)}`);
    if (!SECTION_KINDS.includes(section.kind)) {
      throw new RalmError('INVALID_ARGUMENT', `sections[${index}].kind must be one of ${SECTION_KINDS.join(', ')}, got "${String(section.kind)}"`);
    }
    const { start, end } = section;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > length) {
      throw new RalmError('INVALID_ARGUMENT', `sections[${index}] has offsets [${String(start)}, ${String(end)}); expected integers with 0 ≤ start ≤ end ≤ ${length} (the text length)`);
    }
  });
  return [...sections].sort((a, b) => a.start - b.start || b.end - a.end);
}

// ---------------------------------------------------------------------------------------------------------------
// Blocks: headings, paragraphs and code blocks

type BlockKind = 'heading' | 'paragraph' | 'code';

interface Block {
  start: number;
  end: number;
  kind: BlockKind;
  /** A heading or page starts between the previous block and this one. */
  hardBefore: boolean;
}

interface Atom {
  start: number;
  end: number;
  tokens: number;
  block: number;
}

const WHITESPACE = /\s/;

function trimSpan(text: string, start: number, end: number): [number, number] {
  while (start < end && WHITESPACE.test(text[start]!)) start++;
  while (end > start && WHITESPACE.test(text[end - 1]!)) end--;
  return [start, end];
}

/** End of the heading line starting at `start` (a Setext underline included), capped at `limit`. */
function headingLineEnd(text: string, start: number, limit: number): number {
  let end = text.indexOf('\n', start);
  if (end === -1 || end > limit) return limit;
  const next = text.indexOf('\n', end + 1);
  const underline = text.slice(end + 1, next === -1 || next > limit ? limit : next);
  if (/^ {0,3}(=+|-+)[ \t\r]*$/.test(underline)) return next === -1 || next > limit ? limit : next;
  return end;
}

function headingTitle(text: string, section: Section): string {
  if (typeof section.title === 'string') return section.title;
  const line = text.slice(section.start, headingLineEnd(text, section.start, section.end)).split('\n')[0] ?? '';
  return line.replace(/^\s*#+\s*/, '').replace(/\s*#+\s*$/, '').trim();
}

interface Structure {
  blocks: Block[];
  headings: Array<{ start: number; lineEnd: number; end: number; level: number; title: string }>;
  pages: Array<{ start: number; end: number; page: number }>;
}

function analyzeStructure(text: string, sections: Section[]): Structure {
  const length = text.length;
  const cuts = new Set<number>([0, length]);
  const hard: number[] = [];
  const headingRanges: Array<[number, number]> = [];
  const codeRanges: Array<[number, number]> = [];
  const headings: Structure['headings'] = [];
  const pages: Structure['pages'] = [];
  for (const section of sections) {
    if (section.kind === 'heading') {
      const lineEnd = headingLineEnd(text, section.start, section.end);
      headingRanges.push([section.start, lineEnd]);
      headings.push({ start: section.start, lineEnd, end: section.end, level: section.level ?? 1, title: headingTitle(text, section) });
      cuts.add(section.start).add(lineEnd);
      hard.push(section.start);
    } else if (section.kind === 'page') {
      pages.push({ start: section.start, end: section.end, page: section.page ?? pages.length + 1 });
      cuts.add(section.start).add(section.end);
      hard.push(section.start);
    } else {
      if (section.kind === 'code') codeRanges.push([section.start, section.end]);
      cuts.add(section.start).add(section.end);
    }
  }
  const inside = (ranges: Array<[number, number]>, position: number) => ranges.some(([s, e]) => s <= position && position < e);
  const sorted = [...cuts].sort((a, b) => a - b);
  hard.sort((a, b) => a - b);
  const blocks: Block[] = [];
  let hardIndex = 0;
  let previousEnd = 0;
  const push = (start: number, end: number, kind: BlockKind) => {
    [start, end] = trimSpan(text, start, end);
    if (start === end) return;
    let hardBefore = false;
    while (hardIndex < hard.length && hard[hardIndex]! <= start) {
      if (hard[hardIndex]! >= previousEnd && blocks.length > 0) hardBefore = true;
      hardIndex++;
    }
    blocks.push({ start, end, kind, hardBefore });
    previousEnd = end;
  };
  for (let c = 0; c + 1 < sorted.length; c++) {
    const from = sorted[c]!;
    const to = sorted[c + 1]!;
    if (from === to) continue;
    if (inside(codeRanges, from)) push(from, to, 'code');
    else if (inside(headingRanges, from)) push(from, to, 'heading');
    else {
      const blank = /\n\s*\n/g;
      blank.lastIndex = 0;
      const piece = text.slice(from, to);
      let last = 0;
      for (let match = blank.exec(piece); match; match = blank.exec(piece)) {
        push(from + last, from + match.index, 'paragraph');
        last = match.index + match[0].length;
      }
      push(from + last, to, 'paragraph');
    }
  }
  headings.sort((a, b) => a.start - b.start);
  return { blocks, headings, pages };
}

// ---------------------------------------------------------------------------------------------------------------
// Atoms: sentences, lines and word pieces

/** Created on first use (the first Intl.Segmenter of a thread loads ICU's data, ~16 ms). */
let sentenceSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;
const SOFT_BOUNDARY = /[；;]+|…+/g;

/** Splits `[start, end)` at word boundaries into pieces of at most `limit` tokens (a single longer word stays whole). */
function splitWords(text: string, start: number, end: number, limit: number, out: Array<[number, number, number]>): void {
  const units: Array<[number, number]> = []; // [offset, tokens]
  for (const segment of (wordSegmenter ??= new Intl.Segmenter('zh', { granularity: 'word' })).segment(text.slice(start, end))) {
    const offset = start + segment.index;
    if (!segment.isWordLike) {
      units.push([offset, 0]);
      continue;
    }
    let hasCjk = false;
    for (const character of segment.segment) if (isCjkClass(characterClassOf(character.codePointAt(0)!))) hasCjk = true;
    if (!hasCjk) {
      units.push([offset, countTokens(segment.segment)]);
      continue;
    }
    let position = offset;
    for (const character of segment.segment) {
      units.push([position, isCjkClass(characterClassOf(character.codePointAt(0)!)) ? 1 : countTokens(character)]);
      position += character.length;
    }
  }
  let pieceStart = start;
  let sum = 0;
  for (const [offset, tokens] of units) {
    if (tokens > 0 && sum > 0 && sum + tokens > limit) {
      const [s, e] = trimSpan(text, pieceStart, offset);
      if (s < e) out.push([s, e, countTokens(text.slice(s, e))]);
      pieceStart = offset;
      sum = 0;
    }
    sum += tokens;
  }
  const [s, e] = trimSpan(text, pieceStart, end);
  if (s < e) out.push([s, e, countTokens(text.slice(s, e))]);
}

/** Trims each piece, drops empty ones and hands the rest with their token counts to `handle`. */
function eachPiece(text: string, pieces: Iterable<[number, number]>, handle: (s: number, e: number, tokens: number) => void): void {
  for (const [from, to] of pieces) {
    const [s, e] = trimSpan(text, from, to);
    if (s !== e) handle(s, e, countTokens(text.slice(s, e)));
  }
}

function* softPieces(text: string, start: number, end: number): Generator<[number, number]> {
  const piece = text.slice(start, end);
  SOFT_BOUNDARY.lastIndex = 0;
  let last = 0;
  for (let match = SOFT_BOUNDARY.exec(piece); match; match = SOFT_BOUNDARY.exec(piece)) {
    const cut = match.index + match[0].length;
    yield [start + last, start + cut];
    last = cut;
  }
  yield [start + last, end];
}

/** Longest span handed to Intl.Segmenter at once: its iteration grows faster than linearly on huge inputs. */
const SEGMENTER_WINDOW = 20_000;

function* sentencePieces(text: string, start: number, end: number): Generator<[number, number]> {
  // Long blocks (a text without blank lines, e.g. a generated index) are segmented in windows that end at a
  // line break (else a space), where a sentence ends in practice, so the cost stays linear.
  for (let from = start; from < end; ) {
    let to = end;
    if (end - from > SEGMENTER_WINDOW) {
      const limit = from + SEGMENTER_WINDOW;
      let cut = text.lastIndexOf('\n', limit);
      if (cut <= from) cut = text.lastIndexOf(' ', limit);
      to = cut > from ? cut + 1 : limit;
    }
    for (const segment of (sentenceSegmenter ??= new Intl.Segmenter('en', { granularity: 'sentence' })).segment(text.slice(from, to))) {
      yield [from + segment.index, from + segment.index + segment.segment.length];
    }
    from = to;
  }
}

function* linePieces(text: string, start: number, end: number): Generator<[number, number]> {
  let from = start;
  while (from < end) {
    let newline = text.indexOf('\n', from);
    if (newline === -1 || newline >= end) newline = end - 1;
    yield [from, newline + 1];
    from = newline + 1;
  }
}

/** The atoms (unsplittable spans, as [start, end, tokens]) of one block. */
function blockAtoms(text: string, block: Block, target: number, max: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const tokens = countTokens(text.slice(block.start, block.end));
  const finest = (s: number, e: number, t: number) => {
    if (t > max) splitWords(text, s, e, target, out);
    else out.push([s, e, t]);
  };
  if (block.kind === 'code') {
    if (tokens <= max) out.push([block.start, block.end, tokens]);
    else eachPiece(text, linePieces(text, block.start, block.end), finest);
    return out;
  }
  if (block.kind === 'heading' && tokens <= max) {
    out.push([block.start, block.end, tokens]);
    return out;
  }
  eachPiece(text, sentencePieces(text, block.start, block.end), (s, e, t) => {
    if (t > target) eachPiece(text, softPieces(text, s, e), finest);
    else out.push([s, e, t]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Heading paths and pages

function headingPathAt(structure: Structure, position: number): string[] {
  const stack: Structure['headings'] = [];
  for (const heading of structure.headings) {
    if (heading.start > position) break;
    while (stack.length > 0 && stack[stack.length - 1]!.level >= heading.level) stack.pop();
    stack.push(heading);
  }
  // A heading whose section (as the loader gave it) ends before `position` no longer encloses it, unless the
  // section is only the heading line itself (then its scope runs to the next heading of the same or higher level).
  return stack.filter((h) => h.end > position || h.end <= h.lineEnd).map((h) => h.title);
}

function pageAt(structure: Structure, position: number): number | undefined {
  let found: number | undefined;
  for (const page of structure.pages) {
    if (page.start > position) break;
    if (position < page.end || (position === page.end && page.start === page.end)) found = page.page;
  }
  return found;
}

function makeChunk(structure: Structure, ordinal: number, start: number, end: number, contentStart: number): ChunkSpan {
  const chunk: ChunkSpan = { ordinal, start, end, headingPath: headingPathAt(structure, contentStart) };
  const page = pageAt(structure, contentStart);
  if (page !== undefined) chunk.page = page;
  return chunk;
}

// ---------------------------------------------------------------------------------------------------------------
// Packing

/**
 * Splits a document's text into chunks (see the module comment for the rules). `sections` are the loader's
 * structure (`heading` spans with `level` and `title`, `page` spans with `page`, `code` and `paragraph` spans);
 * without them, paragraphs are separated by blank lines. Returns at least one chunk; chunks are ordered by `start`
 * (and by `end`), consecutive chunks overlap by at most `overlapTokens` tokens, and together they cover every
 * non-whitespace character of `text`.
 *
 * Throws `RalmError('INVALID_ARGUMENT')` for bad options or section offsets.
 *
 * @example
 * ```ts
 * const text = '# Guide\n\nIntro text.\n\n## Install\n\nRun npm install.';
 * const sections: Section[] = [
 *   { kind: 'heading', start: 0, end: text.length, level: 1, title: 'Guide' },
 *   { kind: 'heading', start: 22, end: text.length, level: 2, title: 'Install' },
 * ];
 * for (const chunk of chunkDocument({ text, sections }, { targetTokens: 4, overlapTokens: 0 })) {
 *   console.log(chunk.headingPath, text.slice(chunk.start, chunk.end));
 * }
 * // ['Guide'] '# Guide\n\nIntro text.'
 * // ['Guide', 'Install'] '## Install\n\nRun npm install.'
 * ```
 */
export function chunkDocument(input: { text: string; sections?: Section[] }, options?: ChunkOptions): Chunk[] {
  const { chunks, tokens } = chunkSpans(input, options);
  if (tokens !== null) return [{ ...chunks[0]!, tokens: countOfTokens(input.text, tokens) }];
  return chunks.map((chunk) => ({ ...chunk, tokens: countTokens(input.text.slice(chunk.start, chunk.end)) }));
}

/**
 * A chunk as {@link chunkSpans} gives it: a {@link Chunk} without its token count.
 *
 * @example
 * ```ts
 * const span: ChunkSpan = { ordinal: 0, start: 0, end: 120, headingPath: ['Guide'] };
 * ```
 */
export type ChunkSpan = Omit<Chunk, 'tokens'>;

/**
 * The chunks of {@link chunkDocument} without their token counts (which cost one more tokenization of every chunk),
 * and, when the whole text is one chunk, its `standardTokenize` tokens (`null` otherwise), so a caller that needs
 * them (e.g. for near-duplicate shingles) does not tokenize the text again.
 *
 * @example
 * ```ts
 * const { chunks, tokens } = chunkSpans({ text: 'A short note.' });
 * chunks; // [{ ordinal: 0, start: 0, end: 13, headingPath: [] }]
 * tokens; // ['A', 'short', 'note']
 * ```
 */
export function chunkSpans(input: { text: string; sections?: Section[] }, options?: ChunkOptions): { chunks: ChunkSpan[]; tokens: string[] | null } {
  if (input === null || typeof input !== 'object' || typeof input.text !== 'string') {
    throw new RalmError('INVALID_ARGUMENT', `chunkDocument expects { text: string, sections?: Section[] }, got ${input === null ? 'null' : typeof input}`);
  }
  const { targetTokens: target, overlapTokens: overlap, maxTokens: max } = resolveOptions(options);
  const text = input.text;
  const sections = checkSections(input.sections ?? [], text.length);
  const structure = analyzeStructure(text, sections);
  const { blocks } = structure;
  const firstContent = blocks.find((b) => b.kind !== 'heading') ?? blocks[0];

  // A text that surely has more than `target` tokens is not tokenized whole just to learn that.
  if (tokenCountLowerBound(text) <= target) {
    const tokens = standardTokenize(text);
    if (countOfTokens(text, tokens) <= target) return { chunks: [makeChunk(structure, 0, 0, text.length, firstContent?.start ?? 0)], tokens };
  }

  // Atoms and per-block bounds.
  const atoms: Atom[] = [];
  const blockFirstAtom: number[] = [];
  const blockTokens: number[] = [];
  blocks.forEach((block, index) => {
    blockFirstAtom.push(atoms.length);
    let sum = 0;
    for (const [start, end, tokens] of blockAtoms(text, block, target, max)) {
      atoms.push({ start, end, tokens, block: index });
      sum += tokens;
    }
    blockTokens.push(sum);
  });
  blockFirstAtom.push(atoms.length);

  // Regions: runs of blocks between hard boundaries; a region of headings only joins the next one.
  const regions: Array<[number, number]> = []; // atom ranges
  let regionStartBlock = 0;
  for (let b = 1; b <= blocks.length; b++) {
    if (b < blocks.length && !blocks[b]!.hardBefore) continue;
    let onlyHeadings = true;
    for (let x = regionStartBlock; x < b; x++) if (blocks[x]!.kind !== 'heading') onlyHeadings = false;
    if (onlyHeadings && b < blocks.length) continue; // keep the heading(s) with what follows
    regions.push([blockFirstAtom[regionStartBlock]!, blockFirstAtom[b]!]);
    regionStartBlock = b;
  }

  const isHeadingAtom = (a: number) => blocks[atoms[a]!.block]!.kind === 'heading';
  const chunks: ChunkSpan[] = [];
  for (const [regionStart, regionEnd] of regions) {
    let i = regionStart;
    let previousChunkStart = -1;
    while (i < regionEnd) {
      const budget = i === regionStart ? target : target - overlap;
      let j = i + 1;
      let sum = atoms[i]!.tokens;
      // Headings do not end a chunk: take content after them (unless that would pass maxTokens).
      while (j < regionEnd && isHeadingAtom(j - 1) && sum + atoms[j]!.tokens <= max) sum += atoms[j++]!.tokens;
      while (j < regionEnd && sum + atoms[j]!.tokens <= budget) sum += atoms[j++]!.tokens;
      if (j < regionEnd && atoms[j]!.block === atoms[j - 1]!.block) {
        // Cutting inside a block: move the block whole to the next chunk when it fits there.
        const block = atoms[j]!.block;
        const first = blockFirstAtom[block]!;
        let headingsOnly = true;
        for (let a = i; a < first; a++) if (!isHeadingAtom(a)) headingsOnly = false;
        if (first > i && !headingsOnly && blockTokens[block]! <= target - overlap) {
          for (let a = first; a < j; a++) sum -= atoms[a]!.tokens;
          j = first;
        }
      }
      let k = i;
      if (previousChunkStart >= 0) {
        let repeated = 0;
        while (k - 1 > previousChunkStart && repeated + atoms[k - 1]!.tokens <= overlap && repeated + atoms[k - 1]!.tokens + sum <= max) {
          repeated += atoms[--k]!.tokens;
        }
      }
      let content = k;
      while (content < j - 1 && isHeadingAtom(content)) content++;
      chunks.push(makeChunk(structure, chunks.length, atoms[k]!.start, atoms[j - 1]!.end, atoms[content]!.start));
      previousChunkStart = k;
      i = j;
    }
  }
  return { chunks, tokens: null };
}
