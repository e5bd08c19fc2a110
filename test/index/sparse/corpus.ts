/** Random corpora for the property tests (deterministic from a seed). */
import { DeletedDocs, SegmentWriter, type Segment } from '../../../src/index/sparse/index.js';
import { random, type OracleDocument } from './oracle.js';

export interface RandomCorpus {
  /** Documents per segment, keys ascending within each segment. */
  segments: OracleDocument[][];
  deleted: Set<number>;
  vocabulary: string[];
}

/** Skewed (Zipf-like) vocabulary, empty docs, long docs (lossy norms), repeated terms, interleaved keys. */
export function randomCorpus(seed: number, options: { maxDocuments?: number } = {}): RandomCorpus {
  const next = random(seed);
  const pick = (n: number): number => Math.floor(next() * n);
  const vocabularySize = 1 + pick(next() < 0.3 ? 6 : 60);
  const vocabulary = Array.from({ length: vocabularySize }, (_, i) => (i % 7 === 3 ? `é${i}` : `t${i}`));
  const skew = 0.5 + next() * 1.5;
  const weights = vocabulary.map((_, i) => 1 / (i + 1) ** skew);
  const total = weights.reduce((a, b) => a + b, 0);
  const term = (): string => {
    let r = next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r <= 0) return vocabulary[i]!;
    }
    return vocabulary[vocabulary.length - 1]!;
  };
  const documentCount = pick((options.maxDocuments ?? 700) + 1);
  const segmentCount = 1 + pick(4);
  const segments: OracleDocument[][] = Array.from({ length: segmentCount }, () => []);
  const deleted = new Set<number>();
  const deleteRate = next() < 0.4 ? 0 : next() * 0.5;
  let key = pick(3);
  for (let d = 0; d < documentCount; d++) {
    key += 1 + (next() < 0.2 ? pick(50) : 0);
    const r = next();
    const length = r < 0.05 ? 0 : r < 0.1 ? 24 + pick(3000) : 1 + pick(30);
    const terms: string[] = [];
    for (let i = 0; i < length; i++) terms.push(next() < 0.1 && terms.length > 0 ? terms[terms.length - 1]! : term());
    segments[pick(segmentCount)]!.push({ key, terms });
    if (next() < deleteRate) deleted.add(key);
  }
  return { segments, deleted, vocabulary };
}

export function buildSegments(corpus: RandomCorpus): Segment[] {
  return corpus.segments.map((documents) => {
    const writer = new SegmentWriter();
    for (const d of documents) writer.add(d.key, d.terms);
    return writer.finish();
  });
}

export function deletedDocs(corpus: RandomCorpus): DeletedDocs {
  return new DeletedDocs(corpus.deleted);
}

/** A random query over the vocabulary, with unknown terms, integer, zero, fractional and extreme boosts. */
export function randomQuery(seed: number, vocabulary: readonly string[]): { term: string; boost: number }[] {
  const next = random(seed ^ 0x5bd1e995);
  const length = 1 + Math.floor(next() * 8);
  const query: { term: string; boost: number }[] = [];
  const used = new Set<string>();
  for (let i = 0; i < length; i++) {
    const term = next() < 0.1 ? `missing${i}` : vocabulary[Math.floor(next() ** 2 * vocabulary.length)]!;
    if (used.has(term)) continue;
    used.add(term);
    const r = next();
    // extreme boosts make the double sum order-dependent, which sends `pruned` to its exhaustive fallback
    const boost = r < 0.6 ? 1 : r < 0.85 ? 2 + Math.floor(next() * 3) : r < 0.93 ? 0.5 : r < 0.96 ? 0 : r < 0.98 ? 1e-7 : 3e6;
    query.push({ term, boost });
  }
  return query;
}
