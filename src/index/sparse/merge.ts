import { RalmError } from '../../core/errors.js';
import type { DeletedKeys } from './deleted.js';
import { compareCodePoints, SegmentBuilder, type Segment } from './segment.js';

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
  // the inputs' dictionaries are sorted: walk them together, term by term, and pack each merged term's postings
  // right away (only the packed output and one term's postings are held, not every input posting at once)
  const builder = new SegmentBuilder(docKeys, norms);
  const cursors = inputs.map(() => 0);
  const current: Array<string | undefined> = inputs.map(({ segment }) => (segment.termCount > 0 ? segment.term(0) : undefined));
  let docs = new Int32Array(1024);
  let freqs = new Int32Array(1024);
  const holders: number[] = [];
  for (;;) {
    let smallest: string | undefined;
    for (const term of current) if (term !== undefined && (smallest === undefined || compareCodePoints(term, smallest) < 0)) smallest = term;
    if (smallest === undefined) break;
    holders.length = 0;
    let upperBound = 0;
    for (let s = 0; s < inputs.length; s++) {
      if (current[s] !== smallest) continue;
      holders.push(s);
      upperBound += inputs[s]!.segment.docFreqs[cursors[s]!]!;
    }
    if (upperBound > docs.length) {
      let capacity = docs.length;
      while (capacity < upperBound) capacity *= 2;
      docs = new Int32Array(capacity);
      freqs = new Int32Array(capacity);
    }
    let n = 0;
    let ascending = true;
    for (const s of holders) {
      const { segment } = inputs[s]!;
      const map = remap[s]!;
      const postings = segment.readPostings(cursors[s]!);
      for (let i = 0; i < postings.docs.length; i++) {
        const doc = map[postings.docs[i]!]!;
        if (doc < 0) continue;
        if (n > 0 && doc < docs[n - 1]!) ascending = false;
        docs[n] = doc;
        freqs[n] = postings.freqs[i]!;
        n++;
      }
      const next = ++cursors[s]!;
      current[s] = next < segment.termCount ? segment.term(next) : undefined;
    }
    if (n === 0) continue; // no surviving document holds the term
    if (!ascending) {
      // inputs whose keys interleave (a chunk re-indexed in a later segment): sort this term's postings by doc
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => docs[a]! - docs[b]!);
      const sortedDocs = order.map((i) => docs[i]!);
      const sortedFreqs = order.map((i) => freqs[i]!);
      for (let i = 0; i < n; i++) {
        docs[i] = sortedDocs[i]!;
        freqs[i] = sortedFreqs[i]!;
      }
    }
    builder.addTerm(smallest, docs, freqs, 0, n);
  }
  return builder.finish();
}
