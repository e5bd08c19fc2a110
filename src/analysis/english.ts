/**
 * The `english` analyzer: Anserini's DefaultEnglishAnalyzer, i.e. Lucene StandardTokenizer →
 * EnglishPossessiveFilter → LowerCaseFilter → StopFilter (Lucene's English stop set) → PorterStemFilter.
 */
import type { TermIdAnalyzer, TermVocabulary } from './types.js';
import { hashUnits, TokenRanges, standardTokenRanges, standardTokenize } from './standard-tokenizer.js';
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
  /** The analyzer's name (default `english`). */
  name?: string;
  /**
   * Whether terms are Porter-stemmed (default true). Without it, a term is the lower-cased token without its possessive
   * (stop words still dropped): the first stage of `english` in parallel analysis, whose second stage is `porterStem`.
   */
  stem?: boolean;
  /** See `Analyzer.parallelStages`. */
  parallelStages?: { readonly worker: string; readonly finish: (term: string) => string };
}

const EMPTY_ID = -1;

/** Fields of a memo slot (`RECORD` int32 values): the token's hash, where its key starts in the pool (0: empty slot), … */
const HASH = 0;
const KEY = 1;
/** …the vocabulary generation its `ID` belongs to, and the term's id in that vocabulary (-1 for a stop word). */
const STAMP = 2;
const ID = 3;
const RECORD = 4;
/** A key in the pool: length (two units), entry number (two units), then the token's UTF-16 units. */
const KEY_HEADER = 4;
/**
 * Initial sizes of a memo's table (slots) and key pool (units). Small on purpose: both grow within the first text, while
 * its code still runs in V8's interpreter and records what the growing takes; first grown later, from optimized code,
 * the growing path was new to it and sent `insert` (and the analysis loop it is inlined in) back to be compiled again.
 */
const INITIAL_SLOTS = 64;
const INITIAL_POOL = 256;

/**
 * The memo of an analyzer: raw token → term (null for a stop word), an open-addressing hash table looked up by the
 * token's characters in the text, so a token seen before costs no string. A slot holds what a lookup needs in one
 * place (hash, key position, memoized term id), the keys' characters sit in one pool: a hit touches two places in
 * memory, not five or six as a `Map` of strings does. Each slot also remembers its term's id in the last
 * {@link TermVocabulary} asked for (valid while its stamp equals the analyzer's generation).
 */
class TokenMemo {
  table: Int32Array;
  private mask: number;
  private pool: Uint16Array = new Uint16Array(INITIAL_POOL);
  private poolLength = 1; // offset 0 marks an empty slot
  /** Term (null for a stop word) by entry number (order of insertion). */
  readonly terms: Array<string | null> = [];
  size = 0;

  constructor() {
    this.table = new Int32Array(INITIAL_SLOTS * RECORD);
    this.mask = INITIAL_SLOTS - 1;
  }

  /** The slot (offset into `table`) holding the token `units[start, end)`, whose hash is `hash`, or -1. */
  find(units: Uint16Array, start: number, end: number, hash: number): number {
    const table = this.table;
    const pool = this.pool;
    const mask = this.mask;
    const length = end - start;
    let slot = hash & mask;
    for (;;) {
      const at = slot * RECORD;
      const key = table[at + KEY];
      if (key === 0) return -1;
      if (table[at + HASH] === hash && pool[key] + pool[key + 1] * 0x10000 === length) {
        const chars = key + KEY_HEADER;
        let index = 0;
        while (index < length && pool[chars + index] === units[start + index]) index++;
        if (index === length) return at;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** The term of the slot at `at`. */
  termAt(at: number): string | null {
    const key = this.table[at + KEY];
    return this.terms[this.pool[key + 2] + this.pool[key + 3] * 0x10000];
  }

  /** Adds the token `units[start, end)` (not present; hash `hash`) with its term; returns its slot. */
  insert(units: Uint16Array, start: number, end: number, hash: number, term: string | null): number {
    const length = end - start;
    const entry = this.size++;
    this.terms.push(term);
    if (this.poolLength + KEY_HEADER + length > this.pool.length) {
      const pool = new Uint16Array(Math.max(this.pool.length * 2, this.poolLength + KEY_HEADER + length));
      pool.set(this.pool.subarray(0, this.poolLength));
      this.pool = pool;
    }
    const key = this.poolLength;
    const pool = this.pool;
    pool[key] = length & 0xffff;
    pool[key + 1] = length >>> 16;
    pool[key + 2] = entry & 0xffff;
    pool[key + 3] = entry >>> 16;
    for (let index = 0; index < length; index++) pool[key + KEY_HEADER + index] = units[start + index]!;
    this.poolLength = key + KEY_HEADER + length;
    if (this.size * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    return this.place(hash, key, 0, EMPTY_ID);
  }

  clear(): void {
    this.table = new Int32Array(INITIAL_SLOTS * RECORD);
    this.mask = INITIAL_SLOTS - 1;
    this.poolLength = 1;
    this.terms.length = 0;
    this.size = 0;
  }

  private place(hash: number, key: number, stamp: number, id: number): number {
    const table = this.table;
    let slot = hash & this.mask;
    while (table[slot * RECORD + KEY] !== 0) slot = (slot + 1) & this.mask;
    const at = slot * RECORD;
    table[at + HASH] = hash;
    table[at + KEY] = key;
    table[at + STAMP] = stamp;
    table[at + ID] = id;
    return at;
  }

  private rehash(capacity: number): void {
    const old = this.table;
    this.table = new Int32Array(capacity * RECORD);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += RECORD) {
      if (old[at + KEY] !== 0) this.place(old[at + HASH], old[at + KEY], old[at + STAMP], old[at + ID]);
    }
  }
}

/**
 * English analysis equivalent to Anserini's DefaultEnglishAnalyzer (Lucene StandardTokenizer,
 * possessive removal, lower-case, 33 stop words, Porter stemmer). Terms of each distinct raw token are
 * memoized in a bounded hash table looked up by the token's characters, so a repeated word costs one
 * lookup and creates no string.
 *
 * @example
 * ```ts
 * new EnglishAnalyzer().analyze("The researcher's cats are running studies");
 * // ['research', 'cat', 'run', 'studi']
 * ```
 */
export class EnglishAnalyzer implements TermIdAnalyzer {
  readonly name: string;
  readonly parallelStages?: { readonly worker: string; readonly finish: (term: string) => string };
  private readonly stem: boolean;
  /** A custom tokenizer; undefined: `standardTokenRanges` (the tokens of `standardTokenize`, without a string per token). */
  private readonly tokenize: ((text: string) => string[]) | undefined;
  private readonly cacheSize: number;
  private readonly memo = new TokenMemo();
  private readonly ranges = new TokenRanges();
  /** The units of a token given as a string (see `slotOfToken`). */
  private tokenUnits = new Uint16Array(64);
  /** Ids handed out by `analyzeToIds` (its result is a view of this buffer). */
  private idBuffer: Int32Array = new Int32Array(16); // grows with the first text (see INITIAL_SLOTS)
  private vocabulary: TermVocabulary | null = null;
  /** Incremented whenever `analyzeToIds` is given another vocabulary: memoized ids of older ones are stale. */
  private generation = 0;

  constructor(options: EnglishAnalyzerOptions = {}) {
    this.tokenize = options.tokenize === standardTokenize ? undefined : options.tokenize;
    this.cacheSize = Math.max(1, options.cacheSize ?? 200_000);
    this.name = options.name ?? 'english';
    this.stem = options.stem ?? true;
    if (options.parallelStages) this.parallelStages = options.parallelStages;
  }

  /** Terms of one raw token (null for a stop word), without the cache. */
  static termOf(token: string): string | null {
    const lower = lowerCase(removePossessive(token));
    if (ENGLISH_STOP_WORDS.has(lower)) return null;
    return porterStem(lower);
  }

  /** {@link termOf} without the stemming (the `stem: false` analyzer's term). */
  static unstemmedTermOf(token: string): string | null {
    const lower = lowerCase(removePossessive(token));
    return ENGLISH_STOP_WORDS.has(lower) ? null : lower;
  }

  analyze(text: string): string[] {
    const memo = this.memo;
    const out: string[] = [];
    if (this.tokenize !== undefined) {
      for (const token of this.tokenize(text)) {
        const term = memo.termAt(this.slotOfToken(token));
        if (term !== null) out.push(term);
      }
      return out;
    }
    const ranges = this.ranges;
    ranges.count = 0;
    standardTokenRanges(text, ranges);
    const { starts, ends, hashes, count, units } = ranges;
    for (let index = 0; index < count; index++) {
      const term = memo.termAt(this.slotOfHashed(units, text, starts[index]!, ends[index]!, hashes[index]!));
      if (term !== null) out.push(term);
    }
    return out;
  }

  /**
   * {@link analyze} of a text whose `standardTokenize` tokens are given (see `Analyzer.analyzeTokens`); the tokens
   * are not modified. An analyzer with another tokenizer analyzes the text.
   *
   * @example
   * ```ts
   * const text = 'The cats are running';
   * new EnglishAnalyzer().analyzeTokens(text, standardTokenize(text)); // ['cat', 'run']
   * ```
   */
  analyzeTokens(text: string, tokens: readonly string[]): string[] {
    if (this.tokenize !== undefined) return this.analyze(text);
    const memo = this.memo;
    const out: string[] = [];
    for (const token of tokens) {
      const term = memo.termAt(this.slotOfToken(token));
      if (term !== null) out.push(term);
    }
    return out;
  }

  /**
   * The terms of `text` as ids in `vocabulary` (the indexing fast path; see {@link TermIdAnalyzer}).
   *
   * @example
   * ```ts
   * const writer = new SegmentWriter();
   * writer.addIds(1, englishAnalyzer.analyzeToIds('Running cats', writer));
   * ```
   */
  analyzeToIds(text: string, vocabulary: TermVocabulary): Int32Array {
    if (vocabulary !== this.vocabulary) {
      this.vocabulary = vocabulary;
      this.generation++;
    }
    if (this.tokenize !== undefined) {
      const tokens = this.tokenize(text);
      this.reserveIds(tokens.length);
      let length = 0;
      for (const token of tokens) {
        const id = this.idAt(this.slotOfToken(token), vocabulary);
        if (id !== EMPTY_ID) this.idBuffer[length++] = id;
      }
      return this.idBuffer.subarray(0, length);
    }
    const ranges = this.ranges;
    ranges.count = 0;
    standardTokenRanges(text, ranges);
    const { starts, ends, hashes, count, units } = ranges;
    this.reserveIds(count);
    const ids = this.idBuffer;
    const generation = this.generation;
    let length = 0;
    for (let index = 0; index < count; index++) {
      const at = this.slotOfHashed(units, text, starts[index]!, ends[index]!, hashes[index]!);
      const table = this.memo.table;
      const id = table[at + STAMP] === generation ? table[at + ID] : this.idAt(at, vocabulary);
      if (id !== EMPTY_ID) ids[length++] = id;
    }
    return ids.subarray(0, length);
  }

  /**
   * {@link analyzeTokens} as ids in `vocabulary` (see `Analyzer.analyzeTokensToIds`); the result is a view of a buffer
   * the next call reuses.
   *
   * @example
   * ```ts
   * const text = 'The cats are running';
   * const table = new TermTable();
   * new EnglishAnalyzer().analyzeTokensToIds(text, standardTokenize(text), table); // Int32Array [0, 1]; table.terms: ['cat', 'run']
   * ```
   */
  analyzeTokensToIds(text: string, tokens: readonly string[], vocabulary: TermVocabulary): Int32Array {
    if (this.tokenize !== undefined) return this.analyzeToIds(text, vocabulary);
    if (vocabulary !== this.vocabulary) {
      this.vocabulary = vocabulary;
      this.generation++;
    }
    this.reserveIds(tokens.length);
    const ids = this.idBuffer;
    const generation = this.generation;
    let length = 0;
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index]!;
      const at = this.slotOfToken(token);
      const table = this.memo.table;
      const id = table[at + STAMP] === generation ? table[at + ID] : this.idAt(at, vocabulary);
      if (id !== EMPTY_ID) ids[length++] = id;
    }
    return ids.subarray(0, length);
  }

  private reserveIds(count: number): void {
    if (this.idBuffer.length < count) this.idBuffer = new Int32Array(Math.max(count, this.idBuffer.length * 2));
  }

  /** The id in `vocabulary` (the current one) of the term of the memo slot at `at`, memoized there; -1 for a stop word. */
  private idAt(at: number, vocabulary: TermVocabulary): number {
    const table = this.memo.table;
    if (table[at + STAMP] === this.generation) return table[at + ID];
    const term = this.memo.termAt(at);
    const id = term === null ? EMPTY_ID : vocabulary.idOf(term);
    table[at + ID] = id;
    table[at + STAMP] = this.generation;
    return id;
  }

  /** The memo slot of a token given as a string, computing its term when it is new. */
  private slotOfToken(token: string): number {
    const length = token.length;
    if (this.tokenUnits.length < length) this.tokenUnits = new Uint16Array(Math.max(length, this.tokenUnits.length * 2));
    const units = this.tokenUnits;
    for (let index = 0; index < length; index++) units[index] = token.charCodeAt(index);
    return this.slotOfHashed(units, token, 0, length, hashUnits(units, 0, length));
  }

  /**
   * The memo slot of the token `text[start, end)`, whose units are `units[start, end)` and whose hash (`hashUnits`) is
   * `hash`, computing its term when it is new.
   */
  private slotOfHashed(units: Uint16Array, text: string, start: number, end: number, hash: number): number {
    const memo = this.memo;
    const at = memo.find(units, start, end, hash);
    if (at >= 0) return at;
    if (memo.size >= this.cacheSize) memo.clear();
    const token = text.slice(start, end);
    return memo.insert(units, start, end, hash, this.stem ? EnglishAnalyzer.termOf(token) : EnglishAnalyzer.unstemmedTermOf(token));
  }
}
