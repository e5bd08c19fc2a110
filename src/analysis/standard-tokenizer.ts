/**
 * Word segmentation equivalent to Lucene's StandardTokenizer (Unicode UAX #29 word boundaries).
 *
 * Two implementations that produce identical tokens:
 * - {@link segmenterTokenize}: the reference, built on `Intl.Segmenter(…, {granularity: 'word'})` (ICU);
 * - {@link standardTokenize}: a hand-written scanner for Latin-1 text (U+0000–U+00FF except the soft
 *   hyphen U+00AD) and a few frequent characters beyond it (Latin Extended, basic Greek and Cyrillic
 *   letters, dashes, curly quotes, arrows and math signs) that hands every stretch containing another
 *   character, cut at ASCII whitespace, to the reference. Cutting at whitespace is exact: UAX #29 always
 *   breaks before a whitespace character and after one that is followed by a scanned character (no rule
 *   looks across whitespace, and a scanned character is never Extend/Format/ZWJ, so WB4 cannot glue it
 *   to the space).
 *
 * Lucene behaviour reproduced on top of ICU's segments:
 * - only word-like segments (letters, numbers, ideographs, kana) are tokens; a segment made only of
 *   ExtendNumLet characters (`__`) is dropped, as Lucene's grammar needs a letter or digit;
 * - every Han ideograph and every Hiragana character is its own token (ICU groups them into dictionary
 *   words); Katakana runs stay whole (ICU's dictionary may split them; adjacent pieces are re-joined);
 *   a Han character inside a segment that ICU does not call word-like (e.g. `々`) is still a token;
 * - adjacent word-like segments that UAX #29 itself would not separate (ICU's dictionary splits of
 *   Hangul+Latin such as `한국어abc`, and runs of Thai/Lao/Khmer/Myanmar words, which Lucene keeps as one
 *   token) are re-joined;
 * - tokens longer than 255 UTF-16 units are split every 255 units (StandardTokenizer's default
 *   max token length; Lucene re-scans the remainder with its grammar, we simply cut).
 *
 * Known divergences from Lucene's JFlex grammar (none of them occurs in English prose):
 * - emoji: Lucene (8+) emits emoji sequences as `<EMOJI>` tokens; ICU does not call them word-like, so
 *   they are dropped here;
 * - Unicode version: Lucene's grammar is generated from an older Unicode release than Node's ICU, so
 *   characters assigned or re-classified since then may be treated differently;
 * - a token cut at 255 units whose remainder starts with a joining punctuation mark keeps that mark
 *   (Lucene would drop it when re-scanning);
 * - a Hangul syllable run directly followed by a Latin letter or digit is one token in both, but Lucene
 *   does not bigram it in CJK analysis (see `cjk-bigrams`).
 */
import { CharacterClass, characterClassOf } from './characters.js';

/** StandardTokenizer's default maximum token length in UTF-16 code units; longer tokens are split. */
export const MAX_TOKEN_LENGTH = 255;

// ---------------------------------------------------------------------------------------------
// Scanner classes (UAX #29 Word_Break property values of U+0000–U+00FF and of the characters listed beyond).
const OTHER = 0;
const LETTER = 1; // ALetter
const DIGIT = 2; // Numeric
const MID_LETTER = 3; // MidLetter: ':' and '·'
const MID_NUMBER = 4; // MidNum: ',' and ';'
const MID_NUMBER_LETTER = 5; // MidNumLet and Single_Quote: '.' and "'"
const EXTEND_NUMBER_LETTER = 6; // ExtendNumLet: '_'
const SLOW = 7; // not handled by the scanner (U+00AD, which is Format, and every character ≥ U+0100 not listed below)

const latinClasses = new Uint8Array(0x10000).fill(SLOW, 0x100);
for (let c = 0x41; c <= 0x5a; c++) latinClasses[c] = LETTER;
for (let c = 0x61; c <= 0x7a; c++) latinClasses[c] = LETTER;
for (let c = 0x30; c <= 0x39; c++) latinClasses[c] = DIGIT;
for (let c = 0xc0; c <= 0xff; c++) latinClasses[c] = LETTER;
latinClasses[0xd7] = OTHER; // ×
latinClasses[0xf7] = OTHER; // ÷
latinClasses[0xaa] = LETTER; // ª
latinClasses[0xb5] = LETTER; // µ
latinClasses[0xba] = LETTER; // º
latinClasses[0xb8] = LETTER; // ¸ cedilla: ALetter in Node 20's ICU (Unicode 15), Other in older Unicode
latinClasses[0x3a] = MID_LETTER; // :
latinClasses[0xb7] = MID_LETTER; // ·
latinClasses[0x2c] = MID_NUMBER; // ,
latinClasses[0x3b] = MID_NUMBER; // ;
latinClasses[0x2e] = MID_NUMBER_LETTER; // .
latinClasses[0x27] = MID_NUMBER_LETTER; // '
latinClasses[0x5f] = EXTEND_NUMBER_LETTER; // _
latinClasses[0xad] = SLOW; // soft hyphen (Format: WB4 makes it transparent)
// Frequent characters above Latin-1 in English text (scientific abstracts: Greek letters, dashes, curly quotes, math
// signs), so a text with a few of them is not handed to Intl.Segmenter around each. None is Extend, Format or ZWJ, so
// cutting islands at whitespace stays exact. Each one is checked against Intl.Segmenter in every joining context by
// test/analysis/standard-tokenizer.test.ts; anything not listed stays SLOW.
latinClasses.fill(LETTER, 0x100, 0x250); // Latin Extended-A and -B
latinClasses.fill(LETTER, 0x391, 0x3aa); // Greek capitals
latinClasses[0x3a2] = SLOW; // (unassigned)
latinClasses.fill(LETTER, 0x3b1, 0x3ca); // Greek small letters
latinClasses.fill(LETTER, 0x410, 0x450); // Cyrillic basic letters
latinClasses.fill(OTHER, 0x2010, 0x2018); // hyphens and dashes, ‖ ‗
latinClasses[0x2018] = MID_NUMBER_LETTER; // ‘
latinClasses[0x2019] = MID_NUMBER_LETTER; // ’
latinClasses.fill(OTHER, 0x201a, 0x2024); // ‚ ‛ “ ” „ ‟ † ‡ •
latinClasses[0x2024] = MID_NUMBER_LETTER; // one dot leader
latinClasses[0x2025] = OTHER; // ‥
latinClasses[0x2026] = OTHER; // …
latinClasses[0x2027] = MID_LETTER; // hyphenation point
latinClasses.fill(OTHER, 0x2030, 0x203f); // ‰ ′ ″ ‴ … ‾
latinClasses[0x20ac] = OTHER; // €
latinClasses.fill(OTHER, 0x2190, 0x2300); // arrows, mathematical operators (− ≤ ≥ ∼ ≈ ∈ …)

function isCutWhitespace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/**
 * Token boundaries found in one text, in reusable buffers: token `i` is `text.slice(starts[i], ends[i])`.
 * Analyzers that look tokens up by their characters (without slicing each one) read these directly.
 *
 * @example
 * ```ts
 * const ranges = new TokenRanges();
 * standardTokenRanges('U.S.A. e-mail', ranges); // ranges.count === 3; starts [0, 7, 9], ends [5, 8, 13]
 * ```
 */
export class TokenRanges {
  // small at first: they grow within the first text, before the scanner is optimized (see INITIAL_SLOTS in english.ts)
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** {@link hashRange} of each token's UTF-16 units (computed while scanning: no second pass over them). */
  hashes = new Int32Array(16);
  count = 0;
  /**
   * The UTF-16 units of the last text {@link standardTokenRanges} scanned into these ranges (`units[i]` is
   * `text.charCodeAt(i)` for i < text.length): a view of a buffer of the thread that the next scan, into any ranges,
   * overwrites. Reading a typed array is several times cheaper than `charCodeAt` (see {@link textUnits}).
   */
  units: Uint16Array = EMPTY_UNITS;

  /** Appends `text[start, end)`, cut every {@link MAX_TOKEN_LENGTH} UTF-16 units like StandardTokenizer. */
  push(text: string, start: number, end: number): void {
    if (end - start > MAX_TOKEN_LENGTH) {
      for (let piece = start; piece < end; piece += MAX_TOKEN_LENGTH) this.push(text, piece, Math.min(piece + MAX_TOKEN_LENGTH, end));
      return;
    }
    this.pushHashed(start, end, hashRange(text, start, end));
  }

  /** {@link push} of a token of the scanned text's `units` longer than {@link MAX_TOKEN_LENGTH}: cut into pieces. */
  pushLong(units: Uint16Array, start: number, end: number): void {
    for (let piece = start; piece < end; piece += MAX_TOKEN_LENGTH) {
      const pieceEnd = Math.min(piece + MAX_TOKEN_LENGTH, end);
      this.pushHashed(piece, pieceEnd, hashUnits(units, piece, pieceEnd));
    }
  }

  /** Appends a token of at most {@link MAX_TOKEN_LENGTH} units whose hash is known. */
  pushHashed(start: number, end: number, hash: number): void {
    const count = this.count;
    if (count === this.starts.length) {
      const starts = new Int32Array(count * 2);
      const ends = new Int32Array(count * 2);
      const hashes = new Int32Array(count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      hashes.set(this.hashes);
      this.starts = starts;
      this.ends = ends;
      this.hashes = hashes;
    }
    this.starts[count] = start;
    this.ends[count] = end;
    this.hashes[count] = hash;
    this.count = count + 1;
  }
}

const EMPTY_UNITS = new Uint16Array(0);
/** Native byte order is little-endian: a UTF-16LE copy of a string reads back as its code units. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
let unitsBytes = Buffer.alloc(0);
let unitsView = EMPTY_UNITS;

/**
 * The UTF-16 code units of `text` in a typed array (`units[i] === text.charCodeAt(i)`, lone surrogates included), in a
 * buffer of this thread that the next call overwrites. One native copy: over SciFact's 7.7M characters, summing the
 * units this way took ~10 ms where `charCodeAt` in the same loop took 35–48 ms (V8 checks the string's representation
 * at each call), and copying them took 1–2 ms.
 *
 * @example
 * ```ts
 * const units = textUnits('Ab'); // units[0] === 65, units[1] === 98 (valid until the next call)
 * ```
 */
export function textUnits(text: string): Uint16Array {
  const length = text.length;
  if (unitsView.length < length) {
    const capacity = Math.max(length, unitsView.length * 2, 1024);
    const buffer = new ArrayBuffer(capacity * 2);
    unitsBytes = Buffer.from(buffer);
    unitsView = new Uint16Array(buffer);
  }
  if (LITTLE_ENDIAN) unitsBytes.write(text, 0, length * 2, 'utf16le');
  else for (let index = 0; index < length; index++) unitsView[index] = text.charCodeAt(index);
  return unitsView;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the UTF-16 units of `text[start, end)`: the hash {@link TokenRanges} records for each token.
 *
 * @example
 * ```ts
 * hashRange('the fox', 4, 7) === hashRange('fox', 0, 3); // true
 * ```
 */
export function hashRange(text: string, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  return hash;
}

/** {@link hashRange} of `units[start, end)`. */
export function hashUnits(units: Uint16Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ units[index]!, FNV_PRIME);
  return hash;
}

/**
 * Appends the tokens of `text` to `out` in one pass: scanner-classed characters are tokenized here (each token's hash
 * computed as its units are read); at the first character the scanner does not class, the stretch around it — from the
 * ASCII whitespace before it to the one after — is handed to Intl.Segmenter, the tokens already taken from that stretch
 * are dropped, and the scan goes on after it.
 */
function scanText(text: string, out: TokenRanges): void {
  const base = out.count;
  const units = textUnits(text);
  out.units = units;
  const length = text.length;
  /** Where the last stretch handed to Intl.Segmenter ended (no later stretch reaches back before it). */
  let settled = 0;
  for (let slow = scanClassed(units, length, 0, out); slow >= 0; slow = scanClassed(units, length, settled, out)) {
    settled = segmentIsland(text, slow, settled, base, out);
  }
}

/**
 * The scanner's loop: tokenizes `text` from `index` on into `out` until a character it does not class, whose index it
 * returns (-1 at the end of the text). Its only calls are the appends to `out`: the first call of a rarely used
 * function from optimized code (as handing a rare character to Intl.Segmenter was) sends it back to the interpreter.
 */
function scanClassed(units: Uint16Array, length: number, index: number, out: TokenRanges): number {
  while (index < length) {
    let code = units[index]!;
    let characterClass = latinClasses[code]!;
    if (characterClass === SLOW) return index;
    if (characterClass !== LETTER && characterClass !== DIGIT && characterClass !== EXTEND_NUMBER_LETTER) {
      index++;
      continue;
    }
    const tokenStart = index;
    let hasCore = false;
    let hash = FNV_OFFSET;
    for (;;) {
      // A run of letters, digits and '_' never breaks (WB5, WB8, WB9, WB10, WB13a, WB13b).
      for (;;) {
        if (characterClass !== EXTEND_NUMBER_LETTER) hasCore = true;
        hash = Math.imul(hash ^ code, FNV_PRIME);
        if (++index === length) break;
        code = units[index]!;
        characterClass = latinClasses[code]!;
        if (characterClass !== LETTER && characterClass !== DIGIT && characterClass !== EXTEND_NUMBER_LETTER) break;
      }
      // A single middle character joins when both neighbours qualify (WB6/WB7, WB11/WB12). A neighbour the scanner
      // does not class never qualifies: its stretch goes to Intl.Segmenter, this token with it.
      if (index + 1 < length && characterClass >= MID_LETTER && characterClass <= MID_NUMBER_LETTER) {
        const before = latinClasses[units[index - 1]!];
        const next = units[index + 1]!;
        const after = latinClasses[next];
        if ((before === LETTER && after === LETTER && characterClass !== MID_NUMBER) || (before === DIGIT && after === DIGIT && characterClass !== MID_LETTER)) {
          hash = Math.imul(hash ^ code, FNV_PRIME);
          index++;
          code = next;
          characterClass = after;
          continue;
        }
      }
      break;
    }
    if (hasCore) {
      if (index - tokenStart > MAX_TOKEN_LENGTH) out.pushLong(units, tokenStart, index);
      else out.pushHashed(tokenStart, index, hash);
    }
  }
  return -1;
}

// Type feedback for every branch of the scanner's loop before V8 optimizes it: a branch first taken in optimized code
// (digits joined by ',' or '.', a token over 255 units) sends it back to the interpreter to be compiled again. A few
// scans of a short text that takes them all, at load (well under a millisecond).
{
  const ranges = new TokenRanges();
  const sample = `Ab1_ x_ __ a'b a.b a:b 1,0 1.0 1;2 é. ${'w'.repeat(MAX_TOKEN_LENGTH + 1)} .`;
  for (let round = 0; round < 4; round++) {
    ranges.count = 0;
    scanClassed(textUnits(sample), sample.length, 0, ranges);
  }
}

/**
 * Hands the stretch around the unclassed character at `index` — from the ASCII whitespace before it (or `settled`,
 * where the last stretch ended) to the one after — to Intl.Segmenter, dropping the tokens `out` already holds from it
 * (those from `base` on); returns the stretch's end. Out of the scanner's loop: it runs rarely, and each of its branches
 * reached for the first time inside the optimized loop would send that back to the interpreter (a SciFact analysis
 * recompiled it six times).
 */
function segmentIsland(text: string, index: number, settled: number, base: number, out: TokenRanges): number {
  let islandStart = index;
  while (islandStart > settled && !isCutWhitespace(text.charCodeAt(islandStart - 1))) islandStart--;
  if (islandStart === index && islandStart > settled) islandStart--; // cut before that whitespace
  let islandEnd = index + 1;
  while (islandEnd < text.length && !isCutWhitespace(text.charCodeAt(islandEnd))) islandEnd++;
  while (out.count > base && out.starts[out.count - 1]! >= islandStart) out.count--;
  segmentInto(text, islandStart, islandEnd, out);
  return islandEnd;
}

// ---------------------------------------------------------------------------------------------
// Intl.Segmenter path.

/** Created on first use: constructing it loads ICU's break rules (~18 ms per thread), which text the scanner classes never needs. */
let wordSegmenter: Intl.Segmenter | undefined;

const TOKEN_WORD = 1; // letters / digits (ALetter, Hebrew, Numeric, Hangul …)
const TOKEN_SOUTH_EAST_ASIAN = 2;
const TOKEN_KATAKANA = 3;
const TOKEN_SINGLE = 4; // one Han or Hiragana character (+ attached marks); never joined

function isExtendNumberLetter(code: number): boolean {
  return (
    code === 0x5f ||
    code === 0x202f ||
    code === 0x203f ||
    code === 0x2040 ||
    code === 0x2054 ||
    code === 0xfe33 ||
    code === 0xfe34 ||
    (code >= 0xfe4d && code <= 0xfe4f) ||
    code === 0xff3f
  );
}

/** Token ranges collected from ICU segments, re-joined where Lucene keeps one token. */
class RangeCollector {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  private lastKind = 0;
  private lastEnd = -1;

  add(start: number, end: number, kind: number): void {
    if (
      start === this.lastEnd &&
      kind === this.lastKind &&
      (kind === TOKEN_WORD || kind === TOKEN_SOUTH_EAST_ASIAN || kind === TOKEN_KATAKANA)
    ) {
      this.ends[this.ends.length - 1] = end;
    } else {
      this.starts.push(start);
      this.ends.push(end);
      this.lastKind = kind;
    }
    this.lastEnd = end;
  }

  /** Attaches a combining mark directly after the last token to it. */
  attach(start: number, end: number): void {
    if (start === this.lastEnd && this.ends.length > 0) {
      this.ends[this.ends.length - 1] = end;
      this.lastEnd = end;
    }
  }
}

function hasCjkCharacter(segment: string): boolean {
  for (let index = 0; index < segment.length; index++) {
    const code = segment.charCodeAt(index);
    if (code >= 0x2e80) {
      const characterClass = characterClassOf(segment.codePointAt(index)!);
      if (
        characterClass === CharacterClass.Han ||
        characterClass === CharacterClass.Hiragana ||
        characterClass === CharacterClass.Katakana
      ) {
        return true;
      }
    }
  }
  return false;
}

function collectSegment(segment: string, offset: number, isWordLike: boolean, collector: RangeCollector): void {
  if (!hasCjkCharacter(segment)) {
    if (!isWordLike) return;
    let onlyExtendNumberLetter = true;
    for (let index = 0; index < segment.length; index++) {
      const code = segment.charCodeAt(index);
      if (!isExtendNumberLetter(code) && characterClassOf(code) !== CharacterClass.Extend) {
        onlyExtendNumberLetter = false;
        break;
      }
    }
    if (onlyExtendNumberLetter) return;
    const first = characterClassOf(segment.codePointAt(0)!);
    collector.add(
      offset,
      offset + segment.length,
      first === CharacterClass.SouthEastAsian ? TOKEN_SOUTH_EAST_ASIAN : TOKEN_WORD,
    );
    return;
  }
  // A segment with Han / kana: one token per Han or Hiragana character, Katakana runs whole.
  let index = 0;
  while (index < segment.length) {
    const codePoint = segment.codePointAt(index)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const start = offset + index;
    const characterClass = characterClassOf(codePoint);
    if (characterClass === CharacterClass.Han || characterClass === CharacterClass.Hiragana) {
      collector.add(start, start + width, TOKEN_SINGLE);
    } else if (characterClass === CharacterClass.Katakana) {
      collector.add(start, start + width, TOKEN_KATAKANA);
    } else if (characterClass === CharacterClass.Extend) {
      collector.attach(start, start + width);
    } else if (isWordLike) {
      collector.add(start, start + width, TOKEN_WORD);
    }
    index += width;
  }
}

function segmentInto(text: string, start: number, end: number, out: TokenRanges): void {
  const part = start === 0 && end === text.length ? text : text.slice(start, end);
  const collector = new RangeCollector();
  for (const segment of (wordSegmenter ??= new Intl.Segmenter('en', { granularity: 'word' })).segment(part)) {
    const value = segment.segment;
    if (segment.isWordLike === true) {
      collectSegment(value, segment.index, true, collector);
    } else if (value.charCodeAt(0) >= 0x2e80 || value.length > 1) {
      // Non-word segments only matter when they hold a Han/kana character (e.g. 々).
      collectSegment(value, segment.index, false, collector);
    }
  }
  const { starts, ends } = collector;
  for (let index = 0; index < starts.length; index++) out.push(text, start + starts[index]!, start + ends[index]!);
}

/** Reused by the string-returning tokenizers (single-threaded: each call empties it first). */
const sharedRanges = new TokenRanges();

function slices(text: string, ranges: TokenRanges): string[] {
  const { starts, ends, count } = ranges;
  const out: string[] = new Array(count);
  for (let index = 0; index < count; index++) out[index] = text.slice(starts[index], ends[index]);
  return out;
}

/**
 * Lucene StandardTokenizer word segmentation computed with `Intl.Segmenter` only (the reference
 * implementation; {@link standardTokenize} gives the same tokens faster).
 *
 * @example
 * ```ts
 * segmenterTokenize("U.S.A. can't pay 1,000 e-mail"); // ['U.S.A', "can't", 'pay', '1,000', 'e', 'mail']
 * ```
 */
export function segmenterTokenize(text: string): string[] {
  sharedRanges.count = 0;
  if (text.length > 0) segmentInto(text, 0, text.length, sharedRanges);
  return slices(text, sharedRanges);
}

/**
 * Splits text into words exactly like Lucene's StandardTokenizer (UAX #29 word boundaries; each Han
 * ideograph and Hiragana character alone; tokens cut at 255 UTF-16 units). Case is kept.
 * Latin-1 text is scanned by a hand-written state machine; other stretches go through
 * `Intl.Segmenter`.
 *
 * @example
 * ```ts
 * standardTokenize('The U.S.A. costs 3.14, foo_bar e-mail'); // ['The', 'U.S.A', 'costs', '3.14', 'foo_bar', 'e', 'mail']
 * standardTokenize('中文テスト');                               // ['中', '文', 'テスト']
 * ```
 */
export function standardTokenize(text: string): string[] {
  sharedRanges.count = 0;
  standardTokenRanges(text, sharedRanges);
  return slices(text, sharedRanges);
}

/**
 * The tokens of {@link standardTokenize} as ranges of `text`, appended to `out` (which is not emptied
 * first): no string is created for a token of Latin-1 text.
 *
 * @example
 * ```ts
 * const ranges = new TokenRanges();
 * standardTokenRanges('The U.S.A.', ranges);
 * 'The U.S.A.'.slice(ranges.starts[1], ranges.ends[1]); // 'U.S.A'
 * ```
 */
export function standardTokenRanges(text: string, out: TokenRanges): void {
  scanText(text, out);
}
