import { RalmError } from '../../core/errors.js';
import { encodeLength } from './norms.js';
import { buildSegment, sortTerms, type Segment } from './segment.js';

function grow<T extends Int32Array | Uint32Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  let capacity = array.length * 2;
  while (capacity < needed) capacity *= 2;
  const grown = new (array.constructor as new (length: number) => T)(capacity);
  grown.set(array);
  return grown;
}

/**
 * Builds one immutable `Segment` from already-analyzed documents. Terms are interned in a Map;
 * each document's distinct terms and frequencies are appended to growable typed arrays, and
 * `finish()` groups them by term with a counting sort, then packs the blocks.
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
export class SegmentWriter {
  private readonly termIds = new Map<string, number>();
  private readonly termStrings: string[] = [];
  /** Per term id: the document (plus one) that last contained it, and its slot in the stream. */
  private lastDocument = new Int32Array(1024);
  private slot = new Int32Array(1024);
  /** Stream of (term id, freq) pairs, document after document. */
  private streamTerms = new Int32Array(1 << 14);
  private streamFreqs = new Int32Array(1 << 14);
  private streamLength = 0;
  /** `documentStart[d]` = stream offset of document d. */
  private documentStart = new Uint32Array(1024);
  private keys = new Uint32Array(1024);
  private normBytes = new Uint8Array(1024);
  private count = 0;
  private finished = false;

  /**
   * Adds one document: its key and the terms the analyzer produced (in order, repeats included).
   *
   * @example
   * ```ts
   * writer.add(12, ['bm25', 'scoring', 'bm25']);
   * ```
   */
  add(docKey: number, terms: readonly string[]): void {
    if (this.finished) throw new RalmError('CLOSED', 'SegmentWriter.add() after finish(); create a new SegmentWriter');
    if (!Number.isInteger(docKey) || docKey < 0 || docKey > 0xffffffff) {
      throw new RalmError('INVALID_ARGUMENT', `docKey must be an integer in 0..4294967295, got ${docKey}`);
    }
    if (this.count > 0 && docKey <= this.keys[this.count - 1]!) {
      throw new RalmError('INVALID_ARGUMENT', `doc keys must increase within a SegmentWriter: got ${docKey} after ${this.keys[this.count - 1]}`);
    }
    const document = this.count;
    const stamp = document + 1;
    if (document + 2 > this.keys.length) {
      this.keys = grow(this.keys, document + 2);
      this.normBytes = grow(this.normBytes, document + 2);
      this.documentStart = grow(this.documentStart, document + 2);
    }
    this.streamTerms = grow(this.streamTerms, this.streamLength + terms.length);
    this.streamFreqs = grow(this.streamFreqs, this.streamLength + terms.length);
    const termIds = this.termIds;
    const streamTerms = this.streamTerms;
    const streamFreqs = this.streamFreqs;
    let lastDocument = this.lastDocument;
    let slot = this.slot;
    let length = this.streamLength;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      let id = termIds.get(term);
      if (id === undefined) {
        if (typeof term !== 'string') throw new RalmError('INVALID_ARGUMENT', `terms must be strings, got ${typeof term} at position ${i} of doc ${docKey}`);
        id = this.termStrings.length;
        termIds.set(term, id);
        this.termStrings.push(term);
        if (id >= lastDocument.length) {
          this.lastDocument = lastDocument = grow(lastDocument, id + 1);
          this.slot = slot = grow(slot, id + 1);
        }
      }
      if (lastDocument[id] !== stamp) {
        lastDocument[id] = stamp;
        slot[id] = length;
        streamTerms[length] = id;
        streamFreqs[length] = 1;
        length++;
      } else {
        streamFreqs[slot[id]!]!++;
      }
    }
    this.documentStart[document] = this.streamLength;
    this.streamLength = length;
    this.documentStart[document + 1] = length;
    this.keys[document] = docKey;
    this.normBytes[document] = encodeLength(terms.length);
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
    const sorted = sortTerms(this.termStrings.slice());
    const order = new Int32Array(termCount);
    for (let i = 0; i < termCount; i++) order[i] = this.termIds.get(sorted[i]!)!;
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
