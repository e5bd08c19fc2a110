/**
 * The immutable segment: doc keys, norm bytes, a sorted term dictionary and block postings with
 * per-block skip data. The in-memory layout is the serialized layout (typed arrays), so a decoded
 * segment is a set of views over one buffer.
 */
import { RalmError } from '../../core/errors.js';
import { BLOCK_SIZE, pack, packedLength, unpackDocs, unpackFreqs, widthFor } from './packing.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let scratch = new Uint8Array(256);

/** Encodes `term` as UTF-8 into a shared scratch buffer; returns the byte length. */
function encodeScratch(term: string): number {
  if (term.length * 3 > scratch.length) scratch = new Uint8Array(term.length * 3 + 16);
  return encoder.encodeInto(term, scratch).written;
}

/** The typed arrays that make up a segment (internal; see `encodeSegment` for the byte layout). */
export interface SegmentParts {
  /** Caller-chosen doc keys, strictly ascending; index = segment-local doc id. */
  docKeys: Uint32Array;
  /** Lucene norm byte per doc (`intToByte4(length)`). */
  norms: Uint8Array;
  /** Documents with at least one term (Lucene's `docCount`). */
  documentsWithTerms: number;
  /** Sum of all term frequencies (= sum of document lengths). */
  sumTotalTermFreq: number;
  /** `termCount + 1` offsets into `termBytes`; terms sorted by UTF-8 bytes. */
  termOffsets: Uint32Array;
  termBytes: Uint8Array;
  docFreqs: Uint32Array;
  totalTermFreqs: Float64Array;
  /** `termCount + 1` entries: term t owns blocks `firstBlock[t] .. firstBlock[t + 1] - 1`. */
  firstBlock: Uint32Array;
  /** Last doc id of each block. */
  blockLastDoc: Uint32Array;
  /** `blockCount + 1` byte offsets into `postings`. */
  blockOffsets: Uint32Array;
  /** Largest frequency in each block. */
  blockMaxFreq: Uint32Array;
  /** Smallest norm byte in each block (the shortest document). */
  blockMinNorm: Uint8Array;
  postings: Uint8Array;
}

/**
 * An immutable segment of the sparse index. Build one with `SegmentWriter`, persist it with
 * `encodeSegment` / `decodeSegment`, combine several with `mergeSegments`, search with `SparseSearcher`.
 * Doc ids inside a segment are dense positions `0 .. documentCount - 1`; `docKeys[id]` is the caller's key.
 *
 * @example
 * ```ts
 * const writer = new SegmentWriter();
 * writer.add(7, ['quick', 'fox']);
 * const segment = writer.finish();
 * segment.docFreq(segment.findTerm('fox')); // 1
 * ```
 */
/** Entries of a segment's term-lookup cache before it is cleared. */
const TERM_LOOKUP_CACHE_SIZE = 50_000;

export class Segment {
  /** Number of documents, including documents without terms. */
  readonly documentCount: number;
  /** Number of distinct terms. */
  readonly termCount: number;
  /** Number of postings blocks. */
  readonly blockCount: number;
  readonly docKeys: Uint32Array;
  readonly norms: Uint8Array;
  readonly documentsWithTerms: number;
  readonly sumTotalTermFreq: number;
  readonly termOffsets: Uint32Array;
  readonly termBytes: Uint8Array;
  readonly docFreqs: Uint32Array;
  readonly totalTermFreqs: Float64Array;
  readonly firstBlock: Uint32Array;
  readonly blockLastDoc: Uint32Array;
  readonly blockOffsets: Uint32Array;
  readonly blockMaxFreq: Uint32Array;
  readonly blockMinNorm: Uint8Array;
  readonly postings: Uint8Array;
  /** Recently looked-up terms → dictionary position (or -1): queries repeat their terms. */
  private readonly termLookups = new Map<string, number>();

  /** Wraps already-built parts (internal: use `SegmentWriter`, `decodeSegment` or `mergeSegments`). */
  constructor(parts: SegmentParts) {
    this.docKeys = parts.docKeys;
    this.norms = parts.norms;
    this.documentsWithTerms = parts.documentsWithTerms;
    this.sumTotalTermFreq = parts.sumTotalTermFreq;
    this.termOffsets = parts.termOffsets;
    this.termBytes = parts.termBytes;
    this.docFreqs = parts.docFreqs;
    this.totalTermFreqs = parts.totalTermFreqs;
    this.firstBlock = parts.firstBlock;
    this.blockLastDoc = parts.blockLastDoc;
    this.blockOffsets = parts.blockOffsets;
    this.blockMaxFreq = parts.blockMaxFreq;
    this.blockMinNorm = parts.blockMinNorm;
    this.postings = parts.postings;
    this.documentCount = parts.docKeys.length;
    this.termCount = parts.docFreqs.length;
    this.blockCount = parts.blockLastDoc.length;
  }

  /**
   * Index of `term` in the dictionary, or -1. Binary search over the UTF-8 bytes; allocates nothing.
   *
   * @example
   * ```ts
   * const t = segment.findTerm('fox'); if (t >= 0) segment.docFreq(t);
   * ```
   */
  findTerm(term: string): number {
    const cached = this.termLookups.get(term);
    if (cached !== undefined) return cached;
    const index = this.searchTerm(term);
    if (this.termLookups.size >= TERM_LOOKUP_CACHE_SIZE) this.termLookups.clear();
    this.termLookups.set(term, index);
    return index;
  }

  /** Binary search of the UTF-8 term dictionary. */
  private searchTerm(term: string): number {
    const length = encodeScratch(term);
    const bytes = this.termBytes;
    const offsets = this.termOffsets;
    let low = 0;
    let high = this.termCount - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const start = offsets[middle]!;
      const end = offsets[middle + 1]!;
      const termLength = end - start;
      const common = termLength < length ? termLength : length;
      let cmp = 0;
      for (let i = 0; i < common; i++) {
        const d = bytes[start + i]! - scratch[i]!;
        if (d !== 0) {
          cmp = d;
          break;
        }
      }
      if (cmp === 0) cmp = termLength - length;
      if (cmp < 0) low = middle + 1;
      else if (cmp > 0) high = middle - 1;
      else return middle;
    }
    return -1;
  }

  /**
   * The term at dictionary position `index` (0 ≤ index < termCount).
   *
   * @example
   * ```ts
   * for (let t = 0; t < segment.termCount; t++) console.log(segment.term(t));
   * ```
   */
  term(index: number): string {
    return decoder.decode(this.termBytes.subarray(this.termOffsets[index], this.termOffsets[index + 1]));
  }

  /**
   * Number of documents of this segment containing the term at `index` (deleted ones included).
   *
   * @example
   * ```ts
   * segment.docFreq(segment.findTerm('fox'));
   * ```
   */
  docFreq(index: number): number {
    return this.docFreqs[index]!;
  }

  /**
   * Segment-local doc id of `docKey`, or -1 (binary search; keys are ascending).
   *
   * @example
   * ```ts
   * const id = segment.findDoc(42); if (id >= 0) segment.norms[id];
   * ```
   */
  findDoc(docKey: number): number {
    const keys = this.docKeys;
    let low = 0;
    let high = keys.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const key = keys[middle]!;
      if (key < docKey) low = middle + 1;
      else if (key > docKey) high = middle - 1;
      else return middle;
    }
    return -1;
  }

  /**
   * Decodes the whole postings list of the term at `index` into new arrays (for merges, checks and
   * tests; searches use cursors that decode one block at a time).
   *
   * @example
   * ```ts
   * const { docs, freqs } = segment.readPostings(segment.findTerm('fox'));
   * ```
   */
  readPostings(index: number): { docs: Int32Array; freqs: Int32Array } {
    const docFreq = this.docFreqs[index]!;
    const docs = new Int32Array(docFreq);
    const freqs = new Int32Array(docFreq);
    const docBuffer = new Int32Array(BLOCK_SIZE);
    const freqBuffer = new Int32Array(BLOCK_SIZE);
    let written = 0;
    let previous = -1;
    for (let block = this.firstBlock[index]!; block < this.firstBlock[index + 1]!; block++) {
      const count = Math.min(BLOCK_SIZE, docFreq - written);
      let p = this.blockOffsets[block]!;
      const docWidth = this.postings[p]!;
      const freqWidth = this.postings[p + 1]!;
      p = unpackDocs(this.postings, p + 2, count, docWidth, previous, docBuffer);
      unpackFreqs(this.postings, p, count, freqWidth, freqBuffer);
      docs.set(docBuffer.subarray(0, count), written);
      freqs.set(freqBuffer.subarray(0, count), written);
      written += count;
      previous = this.blockLastDoc[block]!;
    }
    return { docs, freqs };
  }

  /**
   * Approximate bytes held by this segment's arrays.
   *
   * @example
   * ```ts
   * console.log(`${(segment.byteLength / 1e6).toFixed(1)} MB`);
   * ```
   */
  get byteLength(): number {
    let total = 0;
    for (const a of [this.docKeys, this.norms, this.termOffsets, this.termBytes, this.docFreqs, this.totalTermFreqs, this.firstBlock, this.blockLastDoc, this.blockOffsets, this.blockMaxFreq, this.blockMinNorm, this.postings]) {
      total += a.byteLength;
    }
    return total;
  }
}

/** Compares two strings by Unicode code point (= UTF-8 byte order). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Sorts terms in place by UTF-8 byte order (the dictionary order). */
export function sortTerms(terms: string[]): string[] {
  const order = Int32Array.from(terms.keys());
  sortTermIds(terms, order);
  const sorted = Array.from(order, (id) => terms[id]!);
  for (let i = 0; i < sorted.length; i++) terms[i] = sorted[i]!;
  return terms;
}

/**
 * Sorts `ids` (indexes into `terms`) in place by the UTF-8 byte order of their terms (the dictionary order). A
 * multikey quicksort (Bentley & Sedgewick) on UTF-16 code units, each compared by {@link unitKey} so that the order is
 * code point order (= UTF-8 byte order) in one pass, surrogate pairs and U+E000..U+FFFF included. It never compares
 * two terms from their first character again: WordNet's 70,596 terms in 22–25 ms instead of 55–75 ms for
 * `Array.prototype.sort` on the strings plus a look-up of each id (warm; `npx vite-node` of a script timing both, 3
 * rounds).
 *
 * @example
 * ```ts
 * const ids = Int32Array.of(0, 1, 2);
 * sortTermIds(['b', 'a', 'ab'], ids); // ids: [1, 2, 0]
 * ```
 */
export function sortTermIds(terms: readonly string[], ids: Int32Array): void {
  multikeySort(terms, ids, 0, ids.length, 0);
}

/**
 * A UTF-16 unit as a number whose order is code point order: units from U+D800 on are rotated so that surrogates
 * (which encode the characters above U+FFFF) come after U+E000..U+FFFF. Two strings first differ at a unit pair that
 * either holds no surrogate (its order is the code points') or is a pair of leads or of trails of supplementary
 * characters (their order is the code points' too), so comparing keys unit by unit gives code point order (ICU's
 * "code point order" fix-up). SciFact's 10 terms with the ligature U+FB01 used to send all 28,861 terms to a second,
 * comparison sort.
 */
function unitKey(unit: number): number {
  return unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** The {@link unitKey} of the UTF-16 unit of `term` at `depth`, or -1 past its end. */
function unitAt(term: string, depth: number): number {
  return depth < term.length ? unitKey(term.charCodeAt(depth)) : -1;
}

/** Sorts `ids[from, to)` whose terms share their first `depth` units. */
function multikeySort(terms: readonly string[], ids: Int32Array, from: number, to: number, depth: number): void {
  for (;;) {
    const count = to - from;
    if (count < 2) return;
    if (count < 12) {
      // insertion sort, comparing from `depth` on
      for (let i = from + 1; i < to; i++) {
        const id = ids[i]!;
        const term = terms[id]!;
        let j = i - 1;
        while (j >= from && compareFrom(terms[ids[j]!]!, term, depth) > 0) {
          ids[j + 1] = ids[j]!;
          j--;
        }
        ids[j + 1] = id;
      }
      return;
    }
    // median of three units as the pivot
    const a = unitAt(terms[ids[from]!]!, depth);
    const b = unitAt(terms[ids[from + (count >> 1)]!]!, depth);
    const c = unitAt(terms[ids[to - 1]!]!, depth);
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // three-way partition: [from, lt) < pivot, [lt, gt) = pivot, [gt, to) > pivot
    let lt = from;
    let gt = to;
    let i = from;
    while (i < gt) {
      const unit = unitAt(terms[ids[i]!]!, depth);
      if (unit < pivot) {
        const t = ids[lt]!;
        ids[lt++] = ids[i]!;
        ids[i++] = t;
      } else if (unit > pivot) {
        const t = ids[--gt]!;
        ids[gt] = ids[i]!;
        ids[i] = t;
      } else i++;
    }
    multikeySort(terms, ids, from, lt, depth);
    multikeySort(terms, ids, gt, to, depth);
    if (pivot < 0) return; // the equal part ended there: equal terms
    // the equal part, one unit deeper (a loop, not a call: long shared prefixes recurse no deeper)
    from = lt;
    to = gt;
    depth++;
  }
}

/** Compares two terms by code points from UTF-16 unit `depth` on (their units before it are equal). */
function compareFrom(a: string, b: string, depth: number): number {
  const length = Math.min(a.length, b.length);
  for (let i = depth; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitKey(x) - unitKey(y);
  }
  return a.length - b.length;
}

/** Growable byte buffer (internal). */
class ByteBuffer {
  bytes: Uint8Array;
  length = 0;
  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }
  ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/** What `buildSegment` needs: postings grouped by term, each term's docs ascending. */
export interface SegmentSource {
  docKeys: Uint32Array;
  norms: Uint8Array;
  /** Term strings by term id. */
  terms: readonly string[];
  /** Term ids in dictionary order (UTF-8 byte order of their strings). */
  order: ArrayLike<number>;
  /** By term id: postings of term id are `docs[postingsStart[id] .. postingsStart[id + 1] - 1]`. */
  postingsStart: ArrayLike<number>;
  docs: Int32Array;
  freqs: Int32Array;
}

/** Builds a segment from grouped postings (internal; the writer's path). */
export function buildSegment(source: SegmentSource): Segment {
  const { docKeys, norms, terms, order, postingsStart, docs, freqs } = source;
  // sized for what is known: no buffer grows (copying it) while the terms are packed
  let termUnits = 0;
  for (let i = 0; i < order.length; i++) termUnits += terms[order[i]!]!.length;
  const builder = new SegmentBuilder(docKeys, norms, { terms: order.length, postings: docs.length, termUnits });
  for (let i = 0; i < order.length; i++) {
    const id = order[i]!;
    builder.addTerm(terms[id]!, docs, freqs, postingsStart[id]!, postingsStart[id + 1]!);
  }
  return builder.finish();
}

/** A growable Uint32Array (internal). */
class U32List {
  values: Uint32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.values = new Uint32Array(Math.max(1, capacity));
  }
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  toArray(): Uint32Array {
    return this.values.slice(0, this.length);
  }
}

/**
 * Packs a segment term by term, in dictionary order (internal; shared by `buildSegment` and merges): only the packed
 * output and the term being added are in memory, so a merge never holds its inputs' postings unpacked all at once.
 *
 * @example
 * ```ts
 * const builder = new SegmentBuilder(docKeys, norms);
 * builder.addTerm('fox', docs, freqs, 0, docs.length); // terms in UTF-8 byte order, docs ascending
 * const segment = builder.finish();
 * ```
 */
export class SegmentBuilder {
  private readonly documentCount: number;
  private readonly termBytes: ByteBuffer;
  private readonly termOffsets: U32List;
  private readonly docFreqs: U32List;
  private totalTermFreqs: Float64Array;
  private readonly firstBlock: U32List;
  private readonly blockLastDoc: U32List;
  private readonly blockOffsets: U32List;
  private readonly blockMaxFreq: U32List;
  private blockMinNorm: Uint8Array;
  private blocks = 0;
  private readonly out: ByteBuffer;
  private readonly seen: Uint8Array;
  private documentsWithTerms = 0;
  private sumTotalTermFreq = 0;
  private terms = 0;

  /**
   * `sizes`, when known (the writer's path knows them), sizes the buffers so that none grows while the terms are added:
   * the number of terms, of postings and of UTF-16 units in the terms. Without them the buffers grow as needed (merges).
   */
  constructor(
    private readonly docKeys: Uint32Array,
    private readonly norms: Uint8Array,
    sizes?: { terms: number; postings: number; termUnits: number },
  ) {
    const terms = sizes ? sizes.terms : 1024;
    // a term has at most one block per BLOCK_SIZE postings plus one
    const blocks = sizes ? sizes.terms + Math.floor(sizes.postings / BLOCK_SIZE) : 1024;
    this.termBytes = new ByteBuffer(sizes ? sizes.termUnits + 1024 : 1 << 16);
    this.termOffsets = new U32List(terms + 1);
    this.docFreqs = new U32List(terms);
    this.totalTermFreqs = new Float64Array(Math.max(1, terms));
    this.firstBlock = new U32List(terms + 1);
    this.blockLastDoc = new U32List(blocks);
    this.blockOffsets = new U32List(blocks + 1);
    this.blockMaxFreq = new U32List(blocks);
    this.blockMinNorm = new Uint8Array(Math.max(1, blocks));
    // two bytes a posting (widths of up to 8 bits for the gap and the frequency) and two a block header; grows beyond
    this.out = new ByteBuffer(sizes ? 2 * sizes.postings + 2 * blocks + 1024 : 1 << 16);
    this.documentCount = docKeys.length;
    for (let i = 1; i < this.documentCount; i++) {
      if (docKeys[i]! <= docKeys[i - 1]!) throw new RalmError('INVALID_ARGUMENT', `segment doc keys must be strictly ascending, found ${docKeys[i - 1]} then ${docKeys[i]}`);
    }
    this.seen = new Uint8Array(this.documentCount);
  }

  /** Adds a term (after every term before it in dictionary order) with its postings `docs/freqs[start, end)`. */
  addTerm(term: string, docs: Int32Array, freqs: Int32Array, start: number, end: number): void {
    // dictionary entry (UTF-8; ASCII terms, nearly all of them, written directly)
    const dictionary = this.termBytes;
    this.termOffsets.push(dictionary.length);
    dictionary.ensure(term.length * 3);
    let ascii = dictionary.length;
    for (let c = 0; c < term.length; c++) {
      const code = term.charCodeAt(c);
      if (code >= 0x80) {
        ascii = -1;
        break;
      }
      dictionary.bytes[ascii++] = code;
    }
    dictionary.length = ascii >= 0 ? ascii : dictionary.length + encoder.encodeInto(term, dictionary.bytes.subarray(dictionary.length)).written;
    const index = this.terms++;
    this.docFreqs.push(end - start);
    this.firstBlock.push(this.blocks);
    const { norms, documentCount, seen, out } = this;
    let previous = -1;
    let totalTermFreq = 0;
    for (let from = start; from < end; from += BLOCK_SIZE) {
      const count = Math.min(BLOCK_SIZE, end - from);
      let maxGap = 0;
      let maxFreq = 0;
      let minNorm = 255;
      let last = previous;
      for (let j = from; j < from + count; j++) {
        const doc = docs[j]!;
        const freq = freqs[j]!;
        if (doc <= last || doc >= documentCount) throw new RalmError('INVALID_ARGUMENT', `postings of term "${term}" are not ascending doc ids below ${documentCount}`);
        if (freq < 1) throw new RalmError('INVALID_ARGUMENT', `term "${term}" has frequency ${freq} in doc ${doc}; frequencies start at 1`);
        if (doc - last - 1 > maxGap) maxGap = doc - last - 1;
        if (freq > maxFreq) maxFreq = freq;
        if (norms[doc]! < minNorm) minNorm = norms[doc]!;
        totalTermFreq += freq;
        if (seen[doc] === 0) {
          seen[doc] = 1;
          this.documentsWithTerms++;
        }
        last = doc;
      }
      const docWidth = widthFor(maxGap);
      const freqWidth = widthFor(maxFreq - 1);
      out.ensure(2 + packedLength(count, docWidth) + packedLength(count, freqWidth));
      this.blockOffsets.push(out.length);
      out.bytes[out.length] = docWidth;
      out.bytes[out.length + 1] = freqWidth;
      // gaps minus one: doc[j] - doc[j - 1] - 1, with doc[from - 1] = previous
      let p = out.length + 2;
      p = packGaps(docs, from, count, previous, docWidth, out.bytes, p);
      p = pack(freqs, from, count, 1, freqWidth, out.bytes, p);
      out.length = p;
      this.blockLastDoc.push(last);
      this.blockMaxFreq.push(maxFreq);
      if (this.blocks === this.blockMinNorm.length) {
        const grown = new Uint8Array(this.blockMinNorm.length * 2);
        grown.set(this.blockMinNorm);
        this.blockMinNorm = grown;
      }
      this.blockMinNorm[this.blocks++] = minNorm;
      previous = last;
    }
    if (index === this.totalTermFreqs.length) {
      const grown = new Float64Array(this.totalTermFreqs.length * 2);
      grown.set(this.totalTermFreqs);
      this.totalTermFreqs = grown;
    }
    this.totalTermFreqs[index] = totalTermFreq;
    this.sumTotalTermFreq += totalTermFreq;
  }

  /** The segment of every term added. */
  finish(): Segment {
    this.termOffsets.push(this.termBytes.length);
    this.firstBlock.push(this.blocks);
    this.blockOffsets.push(this.out.length);
    return new Segment({
      docKeys: this.docKeys,
      norms: this.norms,
      documentsWithTerms: this.documentsWithTerms,
      sumTotalTermFreq: this.sumTotalTermFreq,
      termOffsets: this.termOffsets.toArray(),
      termBytes: this.termBytes.bytes.slice(0, this.termBytes.length),
      docFreqs: this.docFreqs.toArray(),
      totalTermFreqs: this.totalTermFreqs.slice(0, this.terms),
      firstBlock: this.firstBlock.toArray(),
      blockLastDoc: this.blockLastDoc.toArray(),
      blockOffsets: this.blockOffsets.toArray(),
      blockMaxFreq: this.blockMaxFreq.toArray(),
      blockMinNorm: this.blockMinNorm.slice(0, this.blocks),
      postings: this.out.bytes.slice(0, this.out.length),
    });
  }
}

const gapScratch = new Int32Array(BLOCK_SIZE);

function packGaps(docs: Int32Array, from: number, count: number, previous: number, width: number, out: Uint8Array, offset: number): number {
  let last = previous;
  for (let j = 0; j < count; j++) {
    const doc = docs[from + j]!;
    gapScratch[j] = doc - last - 1;
    last = doc;
  }
  return pack(gapScratch, 0, count, 0, width, out, offset);
}
