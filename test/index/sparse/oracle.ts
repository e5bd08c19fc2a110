/**
 * A brute-force BM25 oracle, written plainly from Lucene's formulas (BM25Similarity, SmallFloat),
 * independent of the index code: it scores every document directly from its raw term list.
 */

const f = Math.fround;

/** Document length as Lucene stores it: exact below 24; above, 24 + (dl - 24) truncated to 4 significant bits. */
export function oracleStoredLength(length: number): number {
  if (length < 24) return length;
  const v = length - 24;
  if (v < 8) return length;
  const bits = Math.floor(Math.log2(v)) + 1;
  const drop = 2 ** (bits - 4);
  return 24 + Math.floor(v / drop) * drop;
}

export interface OracleDocument {
  key: number;
  terms: readonly string[];
}

export interface OracleSearch {
  documents: readonly OracleDocument[]; // all documents of all segments, deleted ones included
  deleted: ReadonlySet<number>;
  params: { k1: number; b: number };
  query: readonly { term: string; boost: number }[];
  k: number;
  filter?: (key: number) => boolean;
}

export function oracleStatistics(documents: readonly OracleDocument[]): { docCount: number; sumTotalTermFreq: number; averageLength: number } {
  let docCount = 0;
  let sumTotalTermFreq = 0;
  for (const d of documents) {
    if (d.terms.length > 0) docCount++;
    sumTotalTermFreq += d.terms.length;
  }
  return { docCount, sumTotalTermFreq, averageLength: f(sumTotalTermFreq / docCount) };
}

/** Collection statistics plus each query term's docFreq, counted over every document (deleted ones too). */
export function oracleContext(input: Pick<OracleSearch, 'documents' | 'query'>): { docCount: number; averageLength: number; docFreq: Map<string, number> } {
  const { docCount, averageLength } = oracleStatistics(input.documents);
  const docFreq = new Map<string, number>();
  for (const { term } of input.query) docFreq.set(term, input.documents.filter((d) => d.terms.includes(term)).length);
  return { docCount, averageLength, docFreq };
}

/** Per-document term scores (query order) — null when the document matches no term. */
export function oracleTermScores(
  input: Pick<OracleSearch, 'params' | 'query'>,
  context: ReturnType<typeof oracleContext>,
  document: OracleDocument,
): number[] | null {
  const { params, query } = input;
  const { docCount, averageLength } = context;
  const k1 = f(params.k1);
  const b = f(params.b);
  const dl = f(oracleStoredLength(document.terms.length));
  const normInverse = f(1 / f(k1 * f(f(1 - b) + f(f(b * dl) / averageLength))));
  const scores: number[] = [];
  let matched = false;
  for (const { term, boost } of query) {
    const freq = document.terms.filter((t) => t === term).length;
    if (freq === 0) {
      scores.push(0);
      continue;
    }
    matched = true;
    const docFreq = context.docFreq.get(term)!;
    const idf = f(Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5)));
    const weight = f(f(boost) * idf);
    scores.push(f(weight - f(weight / f(1 + f(freq * normInverse)))));
  }
  return matched ? scores : null;
}

export function oracleSearch(input: OracleSearch): { docKey: number; score: number }[] {
  const context = oracleContext(input);
  const hits: { docKey: number; score: number }[] = [];
  for (const document of input.documents) {
    if (input.deleted.has(document.key)) continue;
    if (input.filter && !input.filter(document.key)) continue;
    const scores = oracleTermScores(input, context, document);
    if (scores === null) continue;
    let sum = 0;
    for (const s of scores) sum += s;
    hits.push({ docKey: document.key, score: f(sum) });
  }
  hits.sort((a, b) => b.score - a.score || a.docKey - b.docKey);
  return hits.slice(0, input.k);
}

/** Deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
