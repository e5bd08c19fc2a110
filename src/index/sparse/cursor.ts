/**
 * A document-at-a-time cursor over one term's block postings in one segment (internal). Decodes one
 * block at a time into reusable buffers, decodes frequencies only when asked, and skips whole
 * blocks through the per-block last-doc table.
 */
import { BLOCK_SIZE, unpackDocs, unpackFreqs } from './packing.js';
import type { Segment } from './segment.js';

/** Doc id of an exhausted cursor (larger than any doc id). */
export const NO_MORE_DOCS = 0x7fffffff;

export class PostingsCursor {
  /** Current doc id, or NO_MORE_DOCS. */
  doc = NO_MORE_DOCS;
  /** Position of this cursor's term in the query (its summation slot). */
  slot = 0;
  /** The term's query weight (boost × idf, float). */
  weight = 0;
  /** Upper bound of this term's score in each of its blocks (index: block - firstBlock). */
  bounds = new Float64Array(16);
  /** First block with lastDoc ≥ the current window start (for bounds; never decoded). */
  boundBlock = 0;
  firstBlock = 0;
  endBlock = 0;
  docFreq = 0;
  private postings: Uint8Array = new Uint8Array(0);
  blockLastDoc: Uint32Array = new Uint32Array(0);
  private blockOffsets: Uint32Array = new Uint32Array(0);
  private readonly docs = new Int32Array(BLOCK_SIZE);
  private readonly freqs = new Int32Array(BLOCK_SIZE);
  private block = 0;
  private count = 0;
  private position = 0;
  private freqsDecoded = false;
  private freqOffset = 0;
  private freqWidth = 0;

  /** Positions the cursor on the first posting of `term` in `segment`. */
  reset(segment: Segment, term: number, slot: number, weight: number): void {
    this.postings = segment.postings;
    this.blockLastDoc = segment.blockLastDoc;
    this.blockOffsets = segment.blockOffsets;
    this.firstBlock = segment.firstBlock[term]!;
    this.endBlock = segment.firstBlock[term + 1]!;
    this.boundBlock = this.firstBlock;
    this.docFreq = segment.docFreqs[term]!;
    this.slot = slot;
    this.weight = weight;
    if (this.endBlock - this.firstBlock > this.bounds.length) this.bounds = new Float64Array(Math.max(this.endBlock - this.firstBlock, this.bounds.length * 2));
    this.loadBlock(this.firstBlock);
  }

  /** Fills `bounds` with the largest score any posting of each block can reach. */
  computeBounds(segment: Segment, cache: Float64Array): void {
    const f = Math.fround;
    const w = this.weight;
    const maxFreq = segment.blockMaxFreq;
    const minNorm = segment.blockMinNorm;
    const bounds = this.bounds;
    for (let b = this.firstBlock; b < this.endBlock; b++) {
      bounds[b - this.firstBlock] = f(w - f(w / f(1 + f(f(maxFreq[b]!) * cache[minNorm[b]!]!))));
    }
  }

  private loadBlock(block: number): void {
    this.block = block;
    const count = block < this.endBlock - 1 ? BLOCK_SIZE : this.docFreq - BLOCK_SIZE * (block - this.firstBlock);
    this.count = count;
    const p = this.blockOffsets[block]!;
    const postings = this.postings;
    const previous = block === this.firstBlock ? -1 : this.blockLastDoc[block - 1]!;
    this.freqOffset = unpackDocs(postings, p + 2, count, postings[p]!, previous, this.docs);
    this.freqWidth = postings[p + 1]!;
    this.freqsDecoded = false;
    this.position = 0;
    this.doc = this.docs[0]!;
  }

  /** Moves to the next posting. */
  nextDoc(): number {
    const position = this.position + 1;
    if (position < this.count) {
      this.position = position;
      return (this.doc = this.docs[position]!);
    }
    if (this.block + 1 < this.endBlock) {
      this.loadBlock(this.block + 1);
      return this.doc;
    }
    this.position = position;
    return (this.doc = NO_MORE_DOCS);
  }

  /** Moves to the first posting with doc ≥ target (target > current doc). */
  advance(target: number): number {
    if (this.doc >= target) return this.doc;
    let block = this.block;
    const lastDoc = this.blockLastDoc;
    if (lastDoc[block]! < target) {
      block++;
      while (block < this.endBlock && lastDoc[block]! < target) block++;
      if (block === this.endBlock) {
        this.block = block - 1;
        this.position = this.count;
        return (this.doc = NO_MORE_DOCS);
      }
      this.loadBlock(block);
    }
    const docs = this.docs;
    let position = this.position;
    while (docs[position]! < target) position++;
    this.position = position;
    return (this.doc = docs[position]!);
  }

  /** Frequency of the current posting. */
  freq(): number {
    if (!this.freqsDecoded) {
      unpackFreqs(this.postings, this.freqOffset, this.count, this.freqWidth, this.freqs);
      this.freqsDecoded = true;
    }
    return this.freqs[this.position]!;
  }

  /**
   * Adds the scores of this term's postings with doc in [windowMin, upTo] into a window: `scores[doc -
   * windowMin]` (set on first touch, flagged in the `matched` bitset) and leaves the cursor on the
   * first posting after `upTo`.
   */
  accumulateWindow(windowMin: number, upTo: number, cache: Float64Array, norms: Uint8Array, scores: Float64Array, matched: Uint32Array): void {
    if (this.doc < windowMin) this.advance(windowMin);
    const f = Math.fround;
    const w = this.weight;
    const docs = this.docs;
    const freqs = this.freqs;
    while (this.doc <= upTo) {
      if (!this.freqsDecoded) {
        unpackFreqs(this.postings, this.freqOffset, this.count, this.freqWidth, freqs);
        this.freqsDecoded = true;
      }
      const count = this.count;
      let position = this.position;
      for (; position < count; position++) {
        const doc = docs[position]!;
        if (doc > upTo) break;
        const score = f(w - f(w / f(1 + f(freqs[position]! * cache[norms[doc]!]!))));
        const i = doc - windowMin;
        const word = i >>> 5;
        const bit = 1 << (i & 31);
        const bits = matched[word]!;
        if ((bits & bit) !== 0) scores[i]! += score;
        else {
          matched[word] = bits | bit;
          scores[i] = score;
        }
      }
      if (position < count) {
        this.position = position;
        this.doc = docs[position]!;
        return;
      }
      if (this.block + 1 < this.endBlock) this.loadBlock(this.block + 1);
      else {
        this.position = count;
        this.doc = NO_MORE_DOCS;
      }
    }
  }

  /** Largest block bound over the blocks that may hold docs in [from, upTo]; 0 when exhausted. */
  windowBound(from: number, upTo: number): number {
    const lastDoc = this.blockLastDoc;
    let block = this.boundBlock;
    while (block < this.endBlock && lastDoc[block]! < from) block++;
    this.boundBlock = block;
    if (block === this.endBlock) return 0;
    const bounds = this.bounds;
    const first = this.firstBlock;
    let bound = bounds[block - first]!;
    while (lastDoc[block]! < upTo && block + 1 < this.endBlock) {
      block++;
      const b = bounds[block - first]!;
      if (b > bound) bound = b;
    }
    return bound;
  }
}
