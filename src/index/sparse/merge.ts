import { RalmError } from '../../core/errors.js';
import type { DeletedKeys } from './deleted.js';
import { buildSegment, sortTerms, type Segment } from './segment.js';

/**
 * One input of `mergeSegments`: a segment and, optionally, the keys deleted from it.
 */
export interface MergeInput {
  segment: Segment;
  deleted?: DeletedKeys;
}

/**
 * Merges segments into one: deleted documents are dropped, doc keys are kept (sorted ascending),
 * norm bytes are carried over, and docFreq / totalTermFreq / documentsWithTerms / sumTotalTermFreq
 * are recomputed from the surviving postings. Terms that no surviving document holds disappear.
 * Doc keys must be unique across the inputs.
 *
 * @example
 * ```ts
 * const merged = mergeSegments([{ segment: a, deleted }, { segment: b }]);
 * ```
 */
export function mergeSegments(inputs: readonly MergeInput[]): Segment {
  // surviving documents, in key order
  let total = 0;
  for (const input of inputs) total += input.segment.documentCount;
  const liveKeys = new Float64Array(total);
  const liveSource = new Int32Array(total); // input index
  const liveLocal = new Int32Array(total); // doc id in the input
  let live = 0;
  for (let s = 0; s < inputs.length; s++) {
    const { segment, deleted } = inputs[s]!;
    for (let d = 0; d < segment.documentCount; d++) {
      const key = segment.docKeys[d]!;
      if (deleted !== undefined && deleted.has(key)) continue;
      liveKeys[live] = key;
      liveSource[live] = s;
      liveLocal[live] = d;
      live++;
    }
  }
  const byKey = new Int32Array(live);
  for (let i = 0; i < live; i++) byKey[i] = i;
  byKey.sort((a, b) => liveKeys[a]! - liveKeys[b]!);
  // remap[s][d] = new doc id, or -1 when deleted
  const remap = inputs.map((input) => new Int32Array(input.segment.documentCount).fill(-1));
  const docKeys = new Uint32Array(live);
  const norms = new Uint8Array(live);
  for (let id = 0; id < live; id++) {
    const i = byKey[id]!;
    if (id > 0 && liveKeys[i] === docKeys[id - 1]) throw new RalmError('INVALID_ARGUMENT', `doc key ${liveKeys[i]} appears in more than one merged segment`);
    docKeys[id] = liveKeys[i]!;
    const s = liveSource[i]!;
    remap[s]![liveLocal[i]!] = id;
    norms[id] = inputs[s]!.segment.norms[liveLocal[i]!]!;
  }
  // union of the dictionaries
  const termIds = new Map<string, number>();
  const terms: string[] = [];
  const inputTermIds = inputs.map(({ segment }) => {
    const ids = new Int32Array(segment.termCount);
    for (let t = 0; t < segment.termCount; t++) {
      const term = segment.term(t);
      let id = termIds.get(term);
      if (id === undefined) {
        id = terms.length;
        termIds.set(term, id);
        terms.push(term);
      }
      ids[t] = id;
    }
    return ids;
  });
  // surviving postings per term id, via counting sort (upper bound: all postings)
  const counts = new Uint32Array(terms.length + 1);
  for (let s = 0; s < inputs.length; s++) {
    const { segment } = inputs[s]!;
    for (let t = 0; t < segment.termCount; t++) counts[inputTermIds[s]![t]! + 1]! += segment.docFreqs[t]!;
  }
  for (let t = 0; t < terms.length; t++) counts[t + 1]! += counts[t]!;
  const capacity = counts[terms.length]!;
  const docs = new Int32Array(capacity);
  const freqs = new Int32Array(capacity);
  const fill = counts.slice(0, terms.length);
  const needsSort = new Uint8Array(terms.length);
  for (let s = 0; s < inputs.length; s++) {
    const { segment } = inputs[s]!;
    const map = remap[s]!;
    for (let t = 0; t < segment.termCount; t++) {
      const id = inputTermIds[s]![t]!;
      const postings = segment.readPostings(t);
      const begin = fill[id]!;
      let p = begin;
      for (let i = 0; i < postings.docs.length; i++) {
        const doc = map[postings.docs[i]!]!;
        if (doc < 0) continue;
        docs[p] = doc;
        freqs[p] = postings.freqs[i]!;
        p++;
      }
      if (p > begin && begin > counts[id]! && docs[begin - 1]! > docs[begin]!) needsSort[id] = 1;
      fill[id] = p;
    }
  }
  // compact: drop the room left by deleted postings, sort interleaved ones, drop emptied terms
  const postingsStart = new Uint32Array(terms.length + 1);
  let write = 0;
  for (let id = 0; id < terms.length; id++) {
    const start = counts[id]!;
    const end = fill[id]!;
    postingsStart[id] = write;
    if (needsSort[id]) {
      const order = Array.from({ length: end - start }, (_, i) => start + i).sort((a, b) => docs[a]! - docs[b]!);
      const sortedDocs = order.map((i) => docs[i]!);
      const sortedFreqs = order.map((i) => freqs[i]!);
      for (let i = 0; i < order.length; i++) {
        docs[write + i] = sortedDocs[i]!;
        freqs[write + i] = sortedFreqs[i]!;
      }
    } else if (write !== start) {
      docs.copyWithin(write, start, end);
      freqs.copyWithin(write, start, end);
    }
    write += end - start;
  }
  postingsStart[terms.length] = write;
  const surviving = terms.filter((_, id) => postingsStart[id + 1]! > postingsStart[id]!);
  const sorted = sortTerms(surviving);
  const order = new Int32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) order[i] = termIds.get(sorted[i]!)!;
  return buildSegment({ docKeys, norms, terms, order, postingsStart, docs, freqs });
}
