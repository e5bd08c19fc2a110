import { RalmError } from '../../core/errors.js';
import type { Bm25Params, Explanation } from '../../core/types.js';
import { bm25AverageLength, bm25Idf, bm25NormCache, bm25Weight, checkBm25Params } from './bm25.js';
import { NO_MORE_DOCS, PostingsCursor } from './cursor.js';
import type { DeletedKeys } from './deleted.js';
import { TopHits } from './heap.js';
import { LENGTH_TABLE } from './norms.js';
import { BLOCK_SIZE, unpackDocs, unpackFreqs } from './packing.js';
import type { Segment } from './segment.js';

/** One query clause: an analyzed term and its boost (usually how often it occurs in the query). */
export interface SparseQueryTerm {
  term: string;
  boost: number;
}

/** One search result: the caller's doc key and its BM25 score (a float32 value). */
export interface SparseHit {
  docKey: number;
  score: number;
}

/**
 * How `search` walks the postings:
 * - `exhaustive`: term at a time, every posting scored into an accumulator, then a bounded heap;
 * - `pruned`: document at a time with block-max MaxScore, skipping documents and blocks that cannot
 *   enter the top k; returns exactly what `exhaustive` returns;
 * - `auto` (default): picks one from the estimated cost.
 */
export type SparseSearchStrategy = 'auto' | 'exhaustive' | 'pruned';

/** Options of `SparseSearcher.search`. */
export interface SparseSearchOptions {
  /** Number of hits to return (integer ≥ 0). */
  k: number;
  /** Keeps only documents for which it returns true; applied while collecting, so k hits come back whenever k matching documents pass. */
  filter?: (docKey: number) => boolean;
  strategy?: SparseSearchStrategy;
}

/** Options of the `SparseSearcher` constructor. */
export interface SparseSearcherOptions {
  segments: readonly Segment[];
  /** Deleted doc keys; never returned, but still counted in the statistics until merged away. */
  deleted?: DeletedKeys;
  params: Bm25Params;
}

/** Collection statistics as BM25 sees them (Lucene's CollectionStatistics for the one field). */
export interface SparseStatistics {
  /** Documents with at least one term (Lucene's docCount; the N of idf). Deleted documents count until merged away. */
  documentCount: number;
  /** Sum of all document lengths. */
  sumTotalTermFreq: number;
  /** `sumTotalTermFreq / documentCount` as a float (0 for an empty index). */
  averageDocumentLength: number;
  /** Distinct terms over all segments. */
  termCount: number;
}

/** Slack for comparing score bounds summed in a different order than the final score (see `skippable`). */
const BOUND_SLACK = 1 + 1e-9;
/** Smallest and largest window (in doc ids) of the pruned strategy. */
const MIN_WINDOW = 512;
const MAX_WINDOW = 4096;
/** `auto` uses exhaustive scoring when the query touches at most this many postings per requested hit… */
const AUTO_POSTINGS_PER_HIT = 16;
/** …or at most this many postings in all. */
const AUTO_MIN_POSTINGS = 4096;

const f = Math.fround;

/**
 * Exact top-k BM25 search over a set of segments, scored exactly like Lucene 9's BM25Similarity with
 * statistics taken over all segments (like Lucene's IndexSearcher). Per-term scores are float32
 * values; a document's score is their sum in double precision, in query order, rounded to float32
 * (Lucene's disjunction scorers sum in a double, then cast). Ties rank by ascending doc key.
 *
 * Deleted documents are never returned, but like in Lucene they stay in docCount, docFreq and
 * sumTotalTermFreq until a merge drops them. A searcher reuses internal buffers between queries and is
 * not meant to be shared by concurrent (worker) callers.
 *
 * @example
 * ```ts
 * const searcher = new SparseSearcher({ segments: [segment], params: { k1: 0.9, b: 0.4 } });
 * const hits = searcher.search([{ term: 'fox', boost: 1 }, { term: 'dog', boost: 2 }], { k: 10 });
 * ```
 */
export class SparseSearcher {
  private readonly segments: readonly Segment[];
  private readonly deleted: DeletedKeys | undefined;
  private readonly params: Bm25Params;
  private readonly documentCount: number;
  private readonly sumTotalTermFreq: number;
  private readonly averageLength: number;
  /** Lucene's per-norm cache: 1 / (k1 * (1 - b + b * dl / avgdl)) as floats. */
  private readonly cache: Float64Array;
  private readonly heap = new TopHits();
  private cursors: PostingsCursor[] = [];
  private accumulator = new Float64Array(0);
  private marks = new Uint32Array(0);
  private touched = new Int32Array(0);
  private epoch = 0;
  private readonly docBuffer = new Int32Array(BLOCK_SIZE);
  private readonly freqBuffer = new Int32Array(BLOCK_SIZE);
  private termCountCache = -1;
  private readonly totalDocuments: number;
  /** Per segment: the largest norm byte (the longest document), for `sumIsOrderFree`. */
  private readonly maxNorms: Uint8Array;
  private weights = new Float64Array(16);
  private docFreqs = new Float64Array(16);
  private termIndexes = new Int32Array(16);
  private windowBounds = new Float64Array(16);
  private order = new Int32Array(16);
  private prefix = new Float64Array(17);
  private readonly windowScores = new Float64Array(MAX_WINDOW);
  private readonly freqOneScores = new Float64Array(256);
  private readonly windowMatched = new Uint32Array(MAX_WINDOW / 32);

  /**
   * Binds segments, deletions and BM25 parameters; fixes the collection statistics.
   *
   * @example
   * ```ts
   * const searcher = new SparseSearcher({ segments, deleted: new DeletedDocs([3]), params: DEFAULT_BM25_PARAMS });
   * ```
   */
  constructor(options: SparseSearcherOptions) {
    checkBm25Params(options.params);
    this.segments = options.segments.slice();
    this.deleted = options.deleted;
    this.params = { k1: options.params.k1, b: options.params.b };
    let documentCount = 0;
    let sumTotalTermFreq = 0;
    for (const segment of this.segments) {
      documentCount += segment.documentsWithTerms;
      sumTotalTermFreq += segment.sumTotalTermFreq;
    }
    this.documentCount = documentCount;
    this.totalDocuments = this.segments.reduce((total, segment) => total + segment.documentCount, 0);
    this.maxNorms = new Uint8Array(this.segments.length);
    this.segments.forEach((segment, s) => {
      let max = 0;
      for (let d = 0; d < segment.norms.length; d++) if (segment.norms[d]! > max) max = segment.norms[d]!;
      this.maxNorms[s] = max;
    });
    this.sumTotalTermFreq = sumTotalTermFreq;
    this.averageLength = documentCount === 0 ? 0 : bm25AverageLength({ sumTotalTermFreq, docCount: documentCount });
    this.cache = bm25NormCache(this.params, documentCount === 0 ? 1 : this.averageLength);
  }

  /**
   * Collection statistics (global over the segments, deleted documents included).
   *
   * @example
   * ```ts
   * const { documentCount, averageDocumentLength } = searcher.stats();
   * ```
   */
  stats(): SparseStatistics {
    if (this.termCountCache < 0) {
      if (this.segments.length === 1) this.termCountCache = this.segments[0]!.termCount;
      else {
        const terms = new Set<string>();
        for (const segment of this.segments) for (let t = 0; t < segment.termCount; t++) terms.add(segment.term(t));
        this.termCountCache = terms.size;
      }
    }
    return {
      documentCount: this.documentCount,
      sumTotalTermFreq: this.sumTotalTermFreq,
      averageDocumentLength: this.averageLength,
      termCount: this.termCountCache,
    };
  }

  /**
   * Number of documents (over all segments, deleted ones included) that contain `term`.
   *
   * @example
   * ```ts
   * searcher.docFreq('fox'); // 0 when absent
   * ```
   */
  docFreq(term: string): number {
    let docFreq = 0;
    for (const segment of this.segments) {
      const t = segment.findTerm(term);
      if (t >= 0) docFreq += segment.docFreqs[t]!;
    }
    return docFreq;
  }

  /** Checks the query; fills `weights`, `docFreqs` (global) and `termIndexes` (per segment × clause). */
  private prepare(query: readonly SparseQueryTerm[]): number {
    if (!Array.isArray(query)) throw new RalmError('INVALID_ARGUMENT', 'query must be an array of { term, boost }');
    const clauses = query.length;
    const segments = this.segments;
    if (this.weights.length < clauses) {
      this.weights = new Float64Array(clauses * 2);
      this.docFreqs = new Float64Array(clauses * 2);
    }
    if (this.termIndexes.length < clauses * segments.length) this.termIndexes = new Int32Array(clauses * segments.length * 2);
    const { weights, docFreqs, termIndexes } = this;
    for (let c = 0; c < clauses; c++) {
      const clause = query[c]!;
      if (clause === null || typeof clause !== 'object' || typeof clause.term !== 'string') {
        throw new RalmError('INVALID_ARGUMENT', `query[${c}] must be { term: string, boost: number }`);
      }
      const boost = clause.boost;
      if (typeof boost !== 'number' || !Number.isFinite(boost) || boost < 0) {
        throw new RalmError('INVALID_ARGUMENT', `query[${c}] ("${clause.term}") has boost ${boost}; a boost must be a finite number ≥ 0`);
      }
      let docFreq = 0;
      for (let s = 0; s < segments.length; s++) {
        const t = segments[s]!.findTerm(clause.term);
        termIndexes[s * clauses + c] = t;
        if (t >= 0) docFreq += segments[s]!.docFreqs[t]!;
      }
      docFreqs[c] = docFreq;
      weights[c] = docFreq === 0 ? 0 : bm25Weight(boost, bm25Idf({ docFreq, docCount: this.documentCount }));
    }
    return clauses;
  }

  /**
   * The top `k` documents for a bag-of-words query, best first (score descending, then doc key ascending).
   * Terms found in no segment are ignored; an empty query returns no hits.
   *
   * @example
   * ```ts
   * searcher.search([{ term: 'bm25', boost: 1 }], { k: 100, filter: (key) => key % 2 === 0, strategy: 'pruned' });
   * ```
   */
  search(query: readonly SparseQueryTerm[], options: SparseSearchOptions): SparseHit[] {
    const k = options?.k;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw new RalmError('INVALID_ARGUMENT', `k must be an integer ≥ 0, got ${k}`);
    const strategy = options.strategy ?? 'auto';
    if (strategy !== 'auto' && strategy !== 'exhaustive' && strategy !== 'pruned') {
      throw new RalmError('INVALID_ARGUMENT', `strategy must be 'auto', 'exhaustive' or 'pruned', got ${String(strategy)}`);
    }
    const filter = options.filter;
    if (filter !== undefined && typeof filter !== 'function') throw new RalmError('INVALID_ARGUMENT', 'filter must be a function (docKey) => boolean');
    const clauses = this.prepare(query);
    if (k === 0) return [];
    let postings = 0;
    for (let c = 0; c < clauses; c++) postings += this.docFreqs[c]!;
    if (postings === 0) return [];
    const heap = this.heap;
    heap.reset(Math.min(k, this.totalDocuments));
    const pruned = strategy === 'pruned' || (strategy === 'auto' && postings > AUTO_MIN_POSTINGS && postings > AUTO_POSTINGS_PER_HIT * k);
    for (let s = 0; s < this.segments.length; s++) {
      const segment = this.segments[s]!;
      const terms = this.termIndexes.subarray(s * clauses, (s + 1) * clauses);
      if (!pruned || !this.searchPruned(s, terms, filter)) this.searchExhaustive(segment, terms, filter);
    }
    return heap.drain();
  }

  /** Offers a scored doc to the heap; deletions and the filter are checked only for competitive docs. */
  private collect(score: number, key: number, filter: ((docKey: number) => boolean) | undefined): boolean {
    const heap = this.heap;
    if (!heap.competitive(score, key)) return false;
    if (this.deleted !== undefined && this.deleted.has(key)) return false;
    if (filter !== undefined && !filter(key)) return false;
    heap.insert(score, key);
    return true;
  }

  /** Term at a time, in query order, into an accumulator sized to the segment, then a pass over the touched docs. */
  private searchExhaustive(segment: Segment, terms: Int32Array, filter: ((docKey: number) => boolean) | undefined): void {
    const documentCount = segment.documentCount;
    if (this.accumulator.length < documentCount) {
      this.accumulator = new Float64Array(documentCount);
      this.marks = new Uint32Array(documentCount);
      this.touched = new Int32Array(documentCount);
      this.epoch = 0;
    }
    if (this.epoch === 0xffffffff) {
      this.marks.fill(0);
      this.epoch = 0;
    }
    const epoch = ++this.epoch;
    const accumulator = this.accumulator;
    const marks = this.marks;
    const touched = this.touched;
    const cache = this.cache;
    const weights = this.weights;
    const norms = segment.norms;
    const postings = segment.postings;
    const blockOffsets = segment.blockOffsets;
    const blockLastDoc = segment.blockLastDoc;
    const docBuffer = this.docBuffer;
    const freqBuffer = this.freqBuffer;
    const freqOneScores = this.freqOneScores;
    let touchedCount = 0;
    for (let c = 0; c < terms.length; c++) {
      const term = terms[c]!;
      if (term < 0) continue;
      const w = weights[c]!;
      const firstBlock = segment.firstBlock[term]!;
      const endBlock = segment.firstBlock[term + 1]!;
      let remaining = segment.docFreqs[term]!;
      freqOneScores.fill(-1);
      let previous = -1;
      for (let block = firstBlock; block < endBlock; block++) {
        const count = remaining < BLOCK_SIZE ? remaining : BLOCK_SIZE;
        remaining -= count;
        const p = blockOffsets[block]!;
        const freqOffset = unpackDocs(postings, p + 2, count, postings[p]!, previous, docBuffer);
        unpackFreqs(postings, freqOffset, count, postings[p + 1]!, freqBuffer);
        previous = blockLastDoc[block]!;
        for (let i = 0; i < count; i++) {
          const doc = docBuffer[i]!;
          const freq = freqBuffer[i]!;
          let score: number;
          if (freq === 1) {
            // most postings have freq 1: their score depends on the norm only, so it is computed once per norm
            const norm = norms[doc]!;
            score = freqOneScores[norm]!;
            if (score < 0) score = freqOneScores[norm] = f(w - f(w / f(1 + cache[norm]!)));
          } else {
            score = f(w - f(w / f(1 + f(freq * cache[norms[doc]!]!))));
          }
          if (marks[doc] !== epoch) {
            marks[doc] = epoch;
            accumulator[doc] = score;
            touched[touchedCount++] = doc;
          } else {
            accumulator[doc] += score;
          }
        }
      }
    }
    const heap = this.heap;
    const docKeys = segment.docKeys;
    for (let i = 0; i < touchedCount; i++) {
      const doc = touched[i]!;
      const score = f(accumulator[doc]!);
      const key = docKeys[doc]!;
      if (heap.competitive(score, key)) this.collect(score, key, filter);
    }
  }

  /**
   * Whether summing this query's term scores in double precision is exact in any order for this
   * segment: every nonzero term score is a float ≥ `smallest`, hence a multiple of
   * 2^(exponent(smallest) - 23), and all partial sums stay below 2^53 such units. Then scoring terms in
   * another order than the query's gives bit-identical sums.
   */
  private sumIsOrderFree(segmentIndex: number, terms: Int32Array): boolean {
    const normInverse = this.cache[this.maxNorms[segmentIndex]!]!;
    let smallest = Infinity;
    let total = 0;
    for (let c = 0; c < terms.length; c++) {
      if (terms[c]! < 0) continue;
      const w = this.weights[c]!;
      if (w === 0) continue;
      total += w;
      const score = f(w - f(w / f(1 + normInverse)));
      if (score < smallest) smallest = score;
    }
    if (total === 0) return true;
    if (!(smallest > 0)) return false;
    const exponent = Math.floor(Math.log2(smallest)) - 1; // one lower, in case log2 rounds up
    return total < 2 ** (exponent + 30);
  }

  /**
   * Block-max MaxScore over windows of doc ids (after Lucene's MaxScoreBulkScorer). In each window,
   * every term's bound is the largest block bound (max freq, shortest doc) of its blocks overlapping
   * the window; terms sorted by bound whose bounds sum below the k-th score are non-essential. The
   * essential terms are scored term at a time into a window accumulator; each document found there is
   * completed with the non-essential terms only while it can still reach the k-th score. A window
   * where every term is non-essential is skipped without decoding. Returns false (nothing done) when
   * the summation order could change a score, so that the caller scores exhaustively.
   */
  private searchPruned(segmentIndex: number, terms: Int32Array, filter: ((docKey: number) => boolean) | undefined): boolean {
    if (!this.sumIsOrderFree(segmentIndex, terms)) return false;
    const segment = this.segments[segmentIndex]!;
    let n = 0;
    for (let c = 0; c < terms.length; c++) {
      const term = terms[c]!;
      if (term < 0) continue;
      if (n === this.cursors.length) this.cursors.push(new PostingsCursor());
      const cursor = this.cursors[n]!;
      cursor.reset(segment, term, n, this.weights[c]!);
      cursor.computeBounds(segment, this.cache);
      n++;
    }
    if (n === 0) return true;
    if (this.windowBounds.length < n) {
      this.windowBounds = new Float64Array(n * 2);
      this.order = new Int32Array(n * 2);
      this.prefix = new Float64Array(n * 2 + 1);
    }
    const { cursors, windowBounds, order, prefix, windowScores, windowMatched, heap, cache } = this;
    const norms = segment.norms;
    const docKeys = segment.docKeys;
    const documentCount = segment.documentCount;
    let windowMin = 0;
    while (windowMin < documentCount) {
      // window: from the first possible doc to the nearest block end among the terms (≥ MIN_WINDOW, ≤ MAX_WINDOW docs)
      let windowEnd = NO_MORE_DOCS;
      let next = NO_MORE_DOCS;
      for (let i = 0; i < n; i++) {
        const cursor = cursors[i]!;
        let block = cursor.boundBlock;
        const lastDoc = cursor.blockLastDoc;
        while (block < cursor.endBlock && lastDoc[block]! < windowMin) block++;
        cursor.boundBlock = block;
        if (block === cursor.endBlock) continue;
        if (lastDoc[block]! < windowEnd) windowEnd = lastDoc[block]!;
        const lowest = block === cursor.firstBlock ? 0 : lastDoc[block - 1]! + 1; // a block starts after the previous one ends
        if (lowest < next) next = lowest;
      }
      if (windowEnd === NO_MORE_DOCS) break;
      if (next > windowMin) windowMin = next;
      let upTo = windowMin + MIN_WINDOW - 1;
      if (windowEnd > upTo) upTo = windowEnd;
      if (upTo > windowMin + MAX_WINDOW - 1) upTo = windowMin + MAX_WINDOW - 1;
      for (let i = 0; i < n; i++) {
        windowBounds[i] = cursors[i]!.windowBound(windowMin, upTo);
        let j = i; // insertion sort by ascending bound
        while (j > 0 && windowBounds[order[j - 1]!]! > windowBounds[i]!) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = i;
      }
      prefix[0] = 0;
      for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + windowBounds[order[i]!]!;
      let threshold = heap.threshold();
      let nonEssential = 0; // order[0 .. nonEssential - 1]
      while (nonEssential < n && f(prefix[nonEssential + 1]! * BOUND_SLACK) < threshold) nonEssential++;
      if (nonEssential < n) {
        for (let i = nonEssential; i < n; i++) cursors[order[i]!]!.accumulateWindow(windowMin, upTo, cache, norms, windowScores, windowMatched);
        const nonEssentialBound = prefix[nonEssential]!;
        const words = ((upTo - windowMin) >>> 5) + 1;
        for (let word = 0; word < words; word++) {
          let bits = windowMatched[word]!;
          if (bits === 0) continue;
          windowMatched[word] = 0;
          while (bits !== 0) {
            const lowest = bits & -bits;
            bits ^= lowest;
            const i = (word << 5) + 31 - Math.clz32(lowest);
            let score = windowScores[i]!;
            if (nonEssential > 0) {
              if (f((score + nonEssentialBound) * BOUND_SLACK) < threshold) continue;
              const doc = windowMin + i;
              const normInverse = cache[norms[doc]!]!;
              let competitive = true;
              for (let j = nonEssential - 1; j >= 0; j--) {
                const cursor = cursors[order[j]!]!;
                if (cursor.doc < doc) cursor.advance(doc);
                if (cursor.doc === doc) {
                  const w = cursor.weight;
                  score += f(w - f(w / f(1 + f(cursor.freq() * normInverse))));
                }
                if (j > 0 && f((score + prefix[j]!) * BOUND_SLACK) < threshold) {
                  competitive = false;
                  break;
                }
              }
              if (!competitive) continue;
            }
            const rounded = f(score);
            const key = docKeys[windowMin + i]!;
            if (heap.competitive(rounded, key) && this.collect(rounded, key, filter)) threshold = heap.threshold();
          }
        }
      }
      windowMin = upTo + 1;
    }
    return true;
  }

  /**
   * A Lucene-style explanation of `docKey`'s score for `query`: a sum over the matching terms, each
   * `weight(term in docKey)` with its boost, idf (n, N) and tf (freq, k1, b, dl, avgdl). Values equal
   * what `search` computes. Null when the doc is unknown, deleted, or matches no term.
   *
   * @example
   * ```ts
   * const explanation = searcher.explain([{ term: 'fox', boost: 1 }], hits[0].docKey);
   * ```
   */
  explain(query: readonly SparseQueryTerm[], docKey: number): Explanation | null {
    const clauses = this.prepare(query);
    const weights = this.weights.slice(0, clauses);
    const docFreqs = this.docFreqs.slice(0, clauses);
    const termIndexes = this.termIndexes.slice(0, clauses * this.segments.length);
    if (this.deleted !== undefined && this.deleted.has(docKey)) return null;
    for (let s = 0; s < this.segments.length; s++) {
      const segment = this.segments[s]!;
      const doc = segment.findDoc(docKey);
      if (doc < 0) continue;
      const norm = segment.norms[doc]!;
      const normInverse = this.cache[norm]!;
      const k1 = f(this.params.k1);
      const b = f(this.params.b);
      const details: Explanation[] = [];
      let sum = 0;
      const cursor = new PostingsCursor();
      for (let c = 0; c < clauses; c++) {
        const term = termIndexes[s * clauses + c]!;
        if (term < 0) continue;
        cursor.reset(segment, term, c, weights[c]!);
        if (cursor.advance(doc) !== doc) continue;
        const freq = cursor.freq();
        const w = weights[c]!;
        const score = f(w - f(w / f(1 + f(freq * normInverse))));
        sum += score;
        const boost = f(query[c]!.boost);
        const idf = bm25Idf({ docFreq: docFreqs[c]!, docCount: this.documentCount });
        const factors: Explanation[] = [];
        if (boost !== 1) factors.push({ value: boost, description: 'boost', details: [] });
        factors.push({
          value: idf,
          description: 'idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:',
          details: [
            { value: docFreqs[c]!, description: 'n, number of documents containing term', details: [] },
            { value: this.documentCount, description: 'N, total number of documents with field', details: [] },
          ],
        });
        factors.push({
          value: f(1 - f(1 / f(1 + f(freq * normInverse)))),
          description: 'tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:',
          details: [
            { value: freq, description: 'freq, occurrences of term within document', details: [] },
            { value: k1, description: 'k1, term saturation parameter', details: [] },
            { value: b, description: 'b, length normalization parameter', details: [] },
            { value: LENGTH_TABLE[norm]!, description: norm > 23 ? 'dl, length of field (approximate)' : 'dl, length of field', details: [] },
            { value: this.averageLength, description: 'avgdl, average length of field', details: [] },
          ],
        });
        details.push({
          value: score,
          description: `weight(${query[c]!.term} in ${docKey}) [BM25Similarity], result of:`,
          details: [{ value: score, description: `score(freq=${freq}), computed as boost * idf * tf from:`, details: factors }],
        });
      }
      if (details.length === 0) return null;
      return { value: f(sum), description: 'sum of:', details };
    }
    return null;
  }
}
