import { RalmError } from '../../core/errors.js';
import { encodeLength } from './norms.js';
import { buildSegment, sortTermIds, type Segment } from './segment.js';

function grow<T extends Int32Array | Uint32Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let capacity = array.length * 2;
  while (capacity < needed) capacity *= 2;
  const grown = new (array.constructor as new (length: number) => T)(capacity);
  grown.set(array);
  return grown;
}

/**
 * Builds one immutable `Segment` from already-analyzed documents. Terms are interned in a Map (the
 * writer is the `TermVocabulary` of analyzers that hand out term ids, see `addIds`); each document's
 * distinct term ids and frequencies are appended to growable typed arrays, and `finish()` groups them
 * by term with a counting sort, then packs the blocks.
 *
 * Doc keys are caller-chosen uint32 values (e.g. chunk numbers) and must be strictly increasing
 * within a writer. The document length used for BM25 is `terms.length`.
 *
 * @example
 * ```ts
 * const writer = new SegmentWriter();
 * writer.add(1, ['quick', 'brown', 'fox']);
 * writer.add(4, ['lazy', 'dog', 'dog']);
 * const segment = writer.finish();
 * ```
 */
// Build buffers start small and grow within the first documents, while the writer's code still runs in V8's interpreter
// and records what growing takes: first grown later, from optimized code, the growing path was new to it and sent the
// writer (and the loops it is inlined in) back to be compiled again.
const INITIAL_TERMS = 64;
const INITIAL_DOCUMENTS = 8;
const INITIAL_STREAM = 256;

export class SegmentWriter {
  private readonly termIds = new Map<string, number>();
  private readonly termStrings: string[] = [];
  /** Per term id: the document (plus one) that last contained it, and its slot in the stream. */
  private lastDocument = new Int32Array(INITIAL_TERMS);
  private slot = new Int32Array(INITIAL_TERMS);
  /** Stream of (term id, freq) pairs, document after document. */
  private streamTerms = new Int32Array(INITIAL_STREAM);
  private streamFreqs = new Int32Array(INITIAL_STREAM);
  private streamLength = 0;
  /** `documentStart[d]` = stream offset of document d. */
  private documentStart = new Uint32Array(INITIAL_DOCUMENTS);
  private keys = new Uint32Array(INITIAL_DOCUMENTS);
  private normBytes = new Uint8Array(INITIAL_DOCUMENTS);
  private count = 0;
  private finished = false;
  /** Term ids of the document being added by `add` (reused). */
  private internScratch = new Int32Array(16);

  /**
   * Adds one document: its key and the terms the analyzer produced (in order, repeats included).
   *
   * @example
   * ```ts
   * writer.add(12, ['bm25', 'scoring', 'bm25']);
   * ```
   */
  add(docKey: number, terms: readonly string[]): void {
    this.checkAdd(docKey);
    let ids = this.internScratch;
    if (ids.length < terms.length) this.internScratch = ids = new Int32Array(Math.max(terms.length, ids.length * 2));
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      if (typeof term !== 'string') throw new RalmError('INVALID_ARGUMENT', `terms must be strings, got ${typeof term} at position ${i} of doc ${docKey}`);
      ids[i] = this.idOf(term);
    }
    this.append(docKey, ids, terms.length);
  }

  /**
   * Adds one document given as term ids of this writer's vocabulary ({@link idOf}), in order, repeats
   * included: the same as `add(docKey, terms)` for the terms with those ids. Analyzers write the ids
   * directly (`TermIdAnalyzer.analyzeToIds(text, writer)`), so no string is created per term.
   *
   * @example
   * ```ts
   * writer.addIds(12, Int32Array.of(writer.idOf('bm25'), writer.idOf('scoring'), writer.idOf('bm25')));
   * ```
   */
  addIds(docKey: number, ids: Int32Array): void {
    this.checkAdd(docKey);
    const termCount = this.termStrings.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < termCount)) throw new RalmError('INVALID_ARGUMENT', `term id ${id} at position ${i} of doc ${docKey} is not an id of this writer (0..${termCount - 1})`);
    }
    this.append(docKey, ids, ids.length);
  }

  /**
   * Adds one document given as term ids with counts: term `ids[i]` occurs `freqs[i]` times (an id may appear more than
   * once; its counts add up). The same as {@link addIds} of each id repeated that many times: the document's length is
   * the sum of the counts. Parallel analysis hands documents over this way (see `ParallelAnalysis`).
   *
   * @example
   * ```ts
   * writer.addCounts(12, Int32Array.of(writer.idOf('bm25'), writer.idOf('scoring')), Int32Array.of(2, 1)); // = addIds of bm25, scoring, bm25
   * ```
   */
  addCounts(docKey: number, ids: Int32Array, freqs: Int32Array): void {
    this.checkAdd(docKey);
    if (freqs.length !== ids.length) throw new RalmError('INVALID_ARGUMENT', `doc ${docKey}: ${ids.length} term ids but ${freqs.length} counts`);
    const termCount = this.termStrings.length;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < termCount)) throw new RalmError('INVALID_ARGUMENT', `term id ${id} at position ${i} of doc ${docKey} is not an id of this writer (0..${termCount - 1})`);
      const freq = freqs[i]!;
      if (!(freq >= 1)) throw new RalmError('INVALID_ARGUMENT', `term id ${id} of doc ${docKey} has count ${freq}; counts start at 1`);
      length += freq;
    }
    this.appendCounts(docKey, ids, freqs, length);
  }

  /**
   * The id of `term` in this writer's vocabulary, assigning the next one (the number of terms seen so
   * far) when it is new. Together with {@link addIds} this makes the writer a `TermVocabulary` for analyzers.
   *
   * @example
   * ```ts
   * const id = writer.idOf('fox'); // 0 in a new writer
   * ```
   */
  idOf(term: string): number {
    let id = this.termIds.get(term);
    if (id === undefined) {
      if (this.finished) throw new RalmError('CLOSED', 'SegmentWriter.idOf() after finish(); create a new SegmentWriter');
      id = this.termStrings.length;
      this.termIds.set(term, id);
      this.termStrings.push(term);
      if (id >= this.lastDocument.length) {
        this.lastDocument = grow(this.lastDocument, id + 1);
        this.slot = grow(this.slot, id + 1);
      }
    }
    return id;
  }

  private checkAdd(docKey: number): void {
    if (this.finished) throw new RalmError('CLOSED', 'SegmentWriter.add() after finish(); create a new SegmentWriter');
    if (!Number.isInteger(docKey) || docKey < 0 || docKey > 0xffffffff) {
      throw new RalmError('INVALID_ARGUMENT', `docKey must be an integer in 0..4294967295, got ${docKey}`);
    }
    if (this.count > 0 && docKey <= this.keys[this.count - 1]!) {
      throw new RalmError('INVALID_ARGUMENT', `doc keys must increase within a SegmentWriter: got ${docKey} after ${this.keys[this.count - 1]}`);
    }
  }

  /**
   * Appends a checked document given as its terms in order, `ids[0, count)`: its distinct term ids with their
   * frequencies, and its norm. (Separate from {@link appendCounts}: each loop then sees one kind of document, and V8
   * optimizes it once.)
   */
  private append(docKey: number, ids: Int32Array, count: number): void {
    let end = this.reserve(count);
    const { streamTerms, streamFreqs, lastDocument, slot } = this;
    const stamp = this.count + 1;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (lastDocument[id] !== stamp) {
        lastDocument[id] = stamp;
        slot[id] = end;
        streamTerms[end] = id;
        streamFreqs[end] = 1;
        end++;
      } else {
        streamFreqs[slot[id]!]!++;
      }
    }
    this.close(docKey, end, count);
  }

  /** {@link append} of a checked document given as `ids` with counts `freqs`, `length` terms in all. */
  private appendCounts(docKey: number, ids: Int32Array, freqs: Int32Array, length: number): void {
    let end = this.reserve(ids.length);
    const { streamTerms, streamFreqs, lastDocument, slot } = this;
    const stamp = this.count + 1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (lastDocument[id] !== stamp) {
        lastDocument[id] = stamp;
        slot[id] = end;
        streamTerms[end] = id;
        streamFreqs[end] = freqs[i]!;
        end++;
      } else {
        streamFreqs[slot[id]!]! += freqs[i]!;
      }
    }
    this.close(docKey, end, length);
  }

  /** Makes room for a document of up to `postings` distinct terms; returns where its postings start in the stream. */
  private reserve(postings: number): number {
    const document = this.count;
    if (document + 2 > this.keys.length) {
      this.keys = grow(this.keys, document + 2);
      this.normBytes = grow(this.normBytes, document + 2);
      this.documentStart = grow(this.documentStart, document + 2);
    }
    this.streamTerms = grow(this.streamTerms, this.streamLength + postings);
    this.streamFreqs = grow(this.streamFreqs, this.streamLength + postings);
    return this.streamLength;
  }

  /** Ends the document being appended: its postings end at `end` in the stream; it has `length` terms. */
  private close(docKey: number, end: number, length: number): void {
    const document = this.count;
    this.documentStart[document] = this.streamLength;
    this.streamLength = end;
    this.documentStart[document + 1] = end;
    this.keys[document] = docKey;
    this.normBytes[document] = encodeLength(length);
    this.count++;
  }

  /**
   * Number of documents added so far.
   *
   * @example
   * ```ts
   * if (writer.documentCount >= 10_000) segments.push(writer.finish());
   * ```
   */
  get documentCount(): number {
    return this.count;
  }

  /**
   * Postings added so far (distinct terms summed over the documents): with 8 bytes each in the build buffers (and as
   * much again while `finish` groups them), the measure of the writer's memory.
   *
   * @example
   * ```ts
   * if (writer.postingCount >= 1 << 23) segments.push(writer.finish());
   * ```
   */
  get postingCount(): number {
    return this.streamLength;
  }

  /**
   * Builds the immutable segment. The writer cannot be used afterwards.
   *
   * @example
   * ```ts
   * const bytes = encodeSegment(writer.finish());
   * ```
   */
  finish(): Segment {
    if (this.finished) throw new RalmError('CLOSED', 'SegmentWriter.finish() called twice; create a new SegmentWriter');
    this.finished = true;
    const termCount = this.termStrings.length;
    const documentCount = this.count;
    const streamTerms = this.streamTerms;
    const streamFreqs = this.streamFreqs;
    const length = this.streamLength;
    // counting sort of the stream by term id; documents are visited in order so postings stay ascending
    const postingsStart = new Uint32Array(termCount + 1);
    for (let i = 0; i < length; i++) postingsStart[streamTerms[i]! + 1]!++;
    for (let t = 0; t < termCount; t++) postingsStart[t + 1]! += postingsStart[t]!;
    const fill = postingsStart.slice(0, termCount);
    const docs = new Int32Array(length);
    const freqs = new Int32Array(length);
    const documentStart = this.documentStart;
    for (let d = 0; d < documentCount; d++) {
      for (let i = documentStart[d]!; i < documentStart[d + 1]!; i++) {
        const position = fill[streamTerms[i]!]!++;
        docs[position] = d;
        freqs[position] = streamFreqs[i]!;
      }
    }
    // release the build buffers before packing
    this.streamTerms = new Int32Array(0);
    this.streamFreqs = new Int32Array(0);
    // a term given an id (idOf) for a document that was not added has no postings and is left out
    let present = 0;
    for (let t = 0; t < termCount; t++) if (postingsStart[t + 1]! > postingsStart[t]!) present++;
    const order = new Int32Array(present);
    for (let t = 0, i = 0; t < termCount; t++) if (postingsStart[t + 1]! > postingsStart[t]!) order[i++] = t;
    sortTermIds(this.termStrings, order);
    this.termIds.clear();
    return buildSegment({
      docKeys: this.keys.slice(0, documentCount),
      norms: this.normBytes.slice(0, documentCount),
      terms: this.termStrings,
      order,
      postingsStart,
      docs,
      freqs,
    });
  }
}
