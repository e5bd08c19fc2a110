/**
 * Dense and hybrid retrieval measurements → bench/results/dense.md.
 *
 *   npx vite-node bench/dense.ts [--sets scifact,squad,cmrc] [--dims 128,256,384] [--peers 100000] [--out bench/results/dense.md]
 *
 * Per set: analyze the documents (english, or cjk for CMRC), build the documents × terms count matrix (terms with
 * df ≥ 2; BM25-weighted, rows L2-normalised), fit LSA at three dimensions (randomised SVD, seed 1), evaluate LSA
 * alone (exact cosine search), BM25 alone (SparseSearcher, k1 0.9, b 0.4, query terms boosted by count), and
 * BM25 + LSA fused by RRF, normalised-score and attention fusion, with the LSA dimension, scaling and the fusion
 * parameters chosen once on a dev split (SciFact train qrels; a fixed 20% of the SQuAD/CMRC questions: every
 * fifth in file order), then reported on the test split (SciFact test qrels; the other 80%).
 * Then a peer table: ralm exact vs ralm HNSW (usearch) vs hnswlib-node on the same vectors.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { getAnalyzer } from '../src/analysis/index.js';
import { fitLsa, inverseDocumentFrequencies, weightTermDocumentMatrix, type LsaModel, type LsaScaling, type SparseMatrix } from '../src/embed/index.js';
import { evaluate, loadBeir, loadSquad, type Qrels, type Run } from '../src/eval/index.js';
import { ExactVectorIndex, HnswVectorIndex } from '../src/index/dense/index.js';
import { SegmentWriter, SparseSearcher } from '../src/index/sparse/index.js';
import { attentionFusion, normalizedScoreFusion, reciprocalRankFusion, type FusedHit, type RankedList } from '../src/retrieve/fusion.js';
import { machineInfo } from './machine.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(repoRoot, '..', 'shared');
const argument = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const sets = argument('sets', 'scifact,squad,cmrc').split(',');
const dims = argument('dims', '128,256,384').split(',').map(Number);
const peerSize = Number(argument('peers', '100000'));
const outPath = resolve(repoRoot, argument('out', 'bench/results/dense.md'));
const DEPTH = 100;
const lines: string[] = [];
const log = (line: string): void => {
  console.log(line);
  lines.push(line);
};

interface BenchSet {
  name: string;
  analyzer: string;
  docIds: string[];
  texts: string[];
  devQueries: Map<string, string>;
  devQrels: Qrels;
  testQueries: Map<string, string>;
  testQrels: Qrels;
  note: string;
}

async function loadSet(name: string): Promise<BenchSet> {
  if (name === 'scifact') {
    const dir = join(shared, 'data/beir/scifact');
    const test = await loadBeir(dir, { split: 'test' });
    const train = await loadBeir(dir, { split: 'train' });
    const docIds: string[] = [];
    const texts: string[] = [];
    for await (const doc of test.corpus!) {
      docIds.push(doc.id);
      texts.push(`${doc.title} ${doc.text}`);
    }
    return { name, analyzer: 'english', docIds, texts, devQueries: train.queries, devQrels: train.qrels, testQueries: test.queries, testQrels: test.qrels, note: 'dev = train qrels, test = test qrels' };
  }
  const path = name === 'squad' ? join(shared, 'data/squad-v1.1/dev-v1.1.json.gz') : join(shared, 'data/cmrc2018/cmrc2018_dev.json.gz');
  const squad = await loadSquad(path);
  const devQueries = new Map<string, string>();
  const testQueries = new Map<string, string>();
  let i = 0;
  for (const [id, text] of squad.queries) (i++ % 5 === 0 ? devQueries : testQueries).set(id, text);
  return {
    name,
    analyzer: name === 'cmrc' ? 'cjk' : 'english',
    docIds: squad.documents.map((d) => d.id),
    texts: squad.documents.map((d) => d.text),
    devQueries,
    devQrels: squad.qrels,
    testQueries,
    testQrels: squad.qrels,
    note: 'paragraphs as documents; dev = every 5th question in file order (20%), test = the rest',
  };
}

function countsMatrix(analyzed: string[][], minDf: number): { counts: SparseMatrix; vocabulary: string[] } {
  const df = new Map<string, number>();
  for (const terms of analyzed) for (const term of new Set(terms)) df.set(term, (df.get(term) ?? 0) + 1);
  const vocabulary = [...df].filter(([, n]) => n >= minDf).map(([t]) => t).sort();
  const column = new Map(vocabulary.map((t, i) => [t, i]));
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const terms of analyzed) {
    const counts = new Map<number, number>();
    for (const term of terms) {
      const c = column.get(term);
      if (c !== undefined) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const [c, n] of [...counts].sort((a, b) => a[0] - b[0])) {
      indices.push(c);
      values.push(n);
    }
    indptr.push(indices.length);
  }
  return { counts: { rows: analyzed.length, columns: vocabulary.length, indptr: Uint32Array.from(indptr), indices: Uint32Array.from(indices), values: Float64Array.from(values) }, vocabulary };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
};
const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);

type Lists = Map<string, { bm25: RankedList; lsa: RankedList }>;

function toRun(results: Map<string, Array<{ key: number; score: number }>>, docIds: string[]): Run {
  const run: Run = new Map();
  for (const [qid, hits] of results) run.set(qid, hits.map((h) => ({ docId: docIds[h.key]!, score: h.score })));
  return run;
}

function measure(qrels: Qrels, results: Map<string, Array<{ key: number; score: number }>>, docIds: string[]): { ndcg: number; recall: number } {
  const queries = new Map([...qrels].filter(([q]) => results.has(q)));
  const { mean } = evaluate(queries, toRun(results, docIds), ['ndcg@10', 'recall@100']);
  return { ndcg: mean['ndcg@10']!, recall: mean['recall@100']! };
}

type Fuser = (bm25: RankedList, lsa: RankedList) => FusedHit[];

function fuseAll(lists: Lists, fuser: Fuser): Map<string, Array<{ key: number; score: number }>> {
  const out = new Map<string, Array<{ key: number; score: number }>>();
  for (const [qid, { bm25, lsa }] of lists) out.set(qid, fuser(bm25, lsa).slice(0, DEPTH));
  return out;
}

interface Candidate {
  label: string;
  fuser: Fuser;
}

function fusionGrid(): Map<string, Candidate[]> {
  const grid = new Map<string, Candidate[]>();
  grid.set(
    'RRF',
    [0.1, 0.25, 0.5, 1].map((w) => ({ label: `k=60, w_lsa=${w}`, fuser: (a, b) => reciprocalRankFusion([a, b], { k: 60, weights: { lsa: w } }) })),
  );
  const normalized: Candidate[] = [];
  for (const normalization of ['min-max', 'z-score'] as const) {
    for (const alpha of [0.5, 0.6, 0.7, 0.8, 0.9]) {
      normalized.push({ label: `${normalization}, α_bm25=${alpha}`, fuser: (a, b) => normalizedScoreFusion([a, b], { normalization, alpha }) });
    }
  }
  grid.set('normalized', normalized);
  const attention: Candidate[] = [];
  for (const tb of [1, 2, 4]) {
    for (const tl of [0.02, 0.05, 0.1]) {
      for (const wl of [0.25, 0.5, 1]) {
        attention.push({
          label: `τ_bm25=${tb}, τ_lsa=${tl}, w_lsa=${wl}`,
          fuser: (a, b) => attentionFusion([a, b], { temperature: { bm25: tb, lsa: tl }, weights: { bm25: 1, lsa: wl } }),
        });
      }
    }
  }
  grid.set('attention', attention);
  return grid;
}

interface SetSummary {
  name: string;
  bm25: { ndcg: number; recall: number };
  hybrid: Map<string, { ndcg: number; recall: number }>;
}

async function runSet(name: string, peerVectors: { value?: Float32Array; dims?: number; ids?: number }): Promise<SetSummary> {
  const set = await loadSet(name);
  const analyzer = getAnalyzer(set.analyzer);
  let t = performance.now();
  const analyzed = set.texts.map((text) => analyzer.analyze(text));
  const analyzeMs = performance.now() - t;
  const { counts, vocabulary } = countsMatrix(analyzed, 2);
  const idf = inverseDocumentFrequencies(counts);
  const weighted = weightTermDocumentMatrix(counts, { idf, weighting: 'bm25', k1: 0.9, b: 0.4 });
  log(`\n## ${name}\n`);
  log(`${set.docIds.length} documents, ${vocabulary.length} terms with df ≥ 2 (analyzer \`${set.analyzer}\`), ${weighted.indices.length} non-zeros; ${set.note}; ${set.devQueries.size} dev / ${set.testQueries.size} test queries. Analysis ${(analyzeMs / 1000).toFixed(1)} s.\n`);

  // BM25
  const writer = new SegmentWriter();
  analyzed.forEach((terms, i) => writer.add(i, terms));
  const searcher = new SparseSearcher({ segments: [writer.finish()], params: { k1: 0.9, b: 0.4 } });
  const queryTerms = (text: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const term of analyzer.analyze(text)) m.set(term, (m.get(term) ?? 0) + 1);
    return m;
  };
  const bm25Run = (queries: Map<string, string>): Map<string, RankedList> => {
    const out = new Map<string, RankedList>();
    for (const [qid, text] of queries) {
      const terms = [...queryTerms(text)].map(([term, boost]) => ({ term, boost }));
      out.set(qid, { retriever: 'bm25', hits: terms.length ? searcher.search(terms, { k: DEPTH }).map((h) => ({ key: h.docKey, score: h.score })) : [] });
    }
    return out;
  };
  const bm25Dev = bm25Run(set.devQueries);
  const bm25Test = bm25Run(set.testQueries);
  const bm25Scores = measure(set.testQrels, new Map([...bm25Test].map(([q, l]) => [q, [...l.hits]])), set.docIds);

  // LSA fits
  const lsaRun = (model: LsaModel, index: ExactVectorIndex, queries: Map<string, string>, times?: number[]): Map<string, RankedList> => {
    const out = new Map<string, RankedList>();
    for (const [qid, text] of queries) {
      const vector = model.projectQuery(queryTerms(text));
      const start = performance.now();
      const hits = index.search(vector, { k: DEPTH });
      times?.push(performance.now() - start);
      out.set(qid, { retriever: 'lsa', hits });
    }
    return out;
  };
  const exactIndex = (model: LsaModel): ExactVectorIndex => {
    const index = new ExactVectorIndex({ metric: 'cosine', dimensions: model.dimensions, capacity: model.documentCount });
    index.add(Array.from({ length: model.documentCount }, (_, i) => i), model.documentVectors);
    return index;
  };
  log('| LSA | fit (s) | dev nDCG@10 | test nDCG@10 | test Recall@100 | dense query p50 (ms) |');
  log('|---|---:|---:|---:|---:|---:|');
  const fits: Array<{ label: string; model: LsaModel; dev: number }> = [];
  const configs: Array<{ dimensions: number; scaling: LsaScaling }> = dims.map((d) => ({ dimensions: d, scaling: 'sigma' as LsaScaling }));
  // the scaling comparison at the smallest dimension (fits grow ~quadratically with the dimension)
  configs.push({ dimensions: dims[0]!, scaling: 'none' }, { dimensions: dims[0]!, scaling: 'sqrt-sigma' });
  for (const config of configs) {
    t = performance.now();
    const model = fitLsa({ matrix: weighted, vocabulary, idf, dimensions: config.dimensions, scaling: config.scaling, weighting: 'bm25', seed: 1 });
    const fitSeconds = (performance.now() - t) / 1000;
    const index = exactIndex(model);
    const dev = measure(set.devQrels, new Map([...lsaRun(model, index, set.devQueries)].map(([q, l]) => [q, [...l.hits]])), set.docIds);
    const times: number[] = [];
    const test = measure(set.testQrels, new Map([...lsaRun(model, index, set.testQueries, times)].map(([q, l]) => [q, [...l.hits]])), set.docIds);
    const label = `${config.dimensions}, ${config.scaling}`;
    log(`| ${label} | ${fitSeconds.toFixed(1)} | ${f4(dev.ndcg)} | ${f4(test.ndcg)} | ${f4(test.recall)} | ${f3(percentile(times, 0.5))} |`);
    fits.push({ label, model, dev: dev.ndcg });
    if (name === 'scifact' && config.dimensions === dims[dims.length - 1] && config.scaling === 'sigma') {
      peerVectors.value = model.documentVectors;
      peerVectors.dims = config.dimensions;
      peerVectors.ids = model.documentCount;
    }
  }
  const chosen = fits.reduce((a, b) => (b.dev > a.dev ? b : a));
  log(`\nBM25 alone (k1 0.9, b 0.4): test nDCG@10 ${f4(bm25Scores.ndcg)}, Recall@100 ${f4(bm25Scores.recall)}. LSA for fusion chosen on dev: **${chosen.label}**.\n`);

  const chosenIndex = exactIndex(chosen.model);
  const lsaDev = lsaRun(chosen.model, chosenIndex, set.devQueries);
  const lsaTest = lsaRun(chosen.model, chosenIndex, set.testQueries);
  const devLists: Lists = new Map([...bm25Dev].map(([q, bm25]) => [q, { bm25, lsa: lsaDev.get(q)! }]));
  const testLists: Lists = new Map([...bm25Test].map(([q, bm25]) => [q, { bm25, lsa: lsaTest.get(q)! }]));
  log('| method | parameters chosen on dev | dev nDCG@10 | test nDCG@10 | Δ vs BM25 | test Recall@100 | Δ vs BM25 |');
  log('|---|---|---:|---:|---:|---:|---:|');
  const hybrid = new Map<string, { ndcg: number; recall: number }>();
  for (const [method, candidates] of fusionGrid()) {
    let best = candidates[0]!;
    let bestDev = -1;
    for (const candidate of candidates) {
      const dev = measure(set.devQrels, fuseAll(devLists, candidate.fuser), set.docIds).ndcg;
      if (dev > bestDev) {
        bestDev = dev;
        best = candidate;
      }
    }
    const test = measure(set.testQrels, fuseAll(testLists, best.fuser), set.docIds);
    hybrid.set(method, test);
    const sign = (x: number): string => (x >= 0 ? '+' : '') + f4(x);
    log(`| ${method} | ${best.label} | ${f4(bestDev)} | ${f4(test.ndcg)} | ${sign(test.ndcg - bm25Scores.ndcg)} | ${f4(test.recall)} | ${sign(test.recall - bm25Scores.recall)} |`);
  }
  return { name, bm25: bm25Scores, hybrid };
}

function syntheticVectors(count: number, dimensions: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const clusters = 256;
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dimensions }, gauss));
  const out = new Float32Array(count * dimensions);
  for (let i = 0; i < count; i++) {
    const center = centers[Math.floor(uniform() * clusters)]!;
    for (let j = 0; j < dimensions; j++) out[i * dimensions + j] = center[j]! + 0.8 * gauss();
  }
  return out;
}

async function peers(label: string, vectors: Float32Array, dimensions: number, queryCount: number): Promise<void> {
  const n = vectors.length / dimensions;
  const queries = syntheticVectors(queryCount, dimensions, 99).map((x, i) => x * 0.2 + vectors[(i * 7919) % vectors.length]!);
  const keys = Array.from({ length: n }, (_, i) => i);
  log(`\n### ${label}: ${n} vectors × ${dimensions} dimensions, cosine, ${queryCount} queries, k = 10, one query at a time\n`);
  log('| index | build (s) | QPS | recall@10 vs exact |');
  log('|---|---:|---:|---:|');
  let t = performance.now();
  const exact = new ExactVectorIndex({ metric: 'cosine', dimensions, capacity: n });
  exact.add(keys, vectors);
  const exactBuild = (performance.now() - t) / 1000;
  const truth: Set<number>[] = [];
  t = performance.now();
  for (let q = 0; q < queryCount; q++) truth.push(new Set(exact.search(queries.subarray(q * dimensions, (q + 1) * dimensions), { k: 10 }).map((h) => h.key)));
  log(`| ralm ExactVectorIndex | ${exactBuild.toFixed(2)} | ${(queryCount / ((performance.now() - t) / 1000)).toFixed(0)} | 1.000 |`);
  const recallOf = (results: number[][]): number => results.reduce((s, r, q) => s + r.filter((k) => truth[q]!.has(k)).length, 0) / (10 * queryCount);
  for (const ef of [64, 128]) {
    t = performance.now();
    const hnsw = await HnswVectorIndex.create({ metric: 'cosine', dimensions, connectivity: 16, expansionAdd: 128, expansionSearch: ef });
    hnsw.add(keys, vectors);
    const build = (performance.now() - t) / 1000;
    const results: number[][] = [];
    t = performance.now();
    for (let q = 0; q < queryCount; q++) results.push(hnsw.search(queries.subarray(q * dimensions, (q + 1) * dimensions), { k: 10 }).map((h) => h.key));
    const qps = queryCount / ((performance.now() - t) / 1000);
    log(`| ralm HnswVectorIndex (usearch 2.21.4, f32, M 16, efC 128, ef ${ef}; build uses all cores) | ${build.toFixed(2)} | ${qps.toFixed(0)} | ${f3(recallOf(results))} |`);
  }
  const { default: hnswlib } = (await import('hnswlib-node')) as unknown as { default: typeof import('hnswlib-node') };
  for (const ef of [64, 128]) {
    t = performance.now();
    const index = new hnswlib.HierarchicalNSW('cosine', dimensions);
    index.initIndex(n, 16, 128, 100);
    for (let i = 0; i < n; i++) index.addPoint(Array.from(vectors.subarray(i * dimensions, (i + 1) * dimensions)), i);
    index.setEf(ef);
    const build = (performance.now() - t) / 1000;
    const results: number[][] = [];
    const queryArrays = Array.from({ length: queryCount }, (_, q) => Array.from(queries.subarray(q * dimensions, (q + 1) * dimensions)));
    t = performance.now();
    for (let q = 0; q < queryCount; q++) results.push(index.searchKnn(queryArrays[q]!, 10).neighbors);
    const qps = queryCount / ((performance.now() - t) / 1000);
    log(`| hnswlib-node 3 (M 16, efC 128, ef ${ef}; single-threaded build) | ${build.toFixed(2)} | ${qps.toFixed(0)} | ${f3(recallOf(results))} |`);
  }
}

const machine = machineInfo(repoRoot);
log('# Dense and hybrid retrieval');
log('');
log(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}; Node ${machine.node}; commit ${machine.commit}.`);
log(`Command: \`npx vite-node bench/dense.ts ${process.argv.slice(2).join(' ')}\`. LSA: BM25-weighted (k1 0.9, b 0.4, idf ln(1 + (N − n + 0.5)/(n + 0.5))) rows L2-normalised, randomised SVD with 10 oversampling, 2 power iterations, seed 1; documents and queries L2-normalised; exact cosine search. Fusion inputs: top ${DEPTH} of each retriever; results cut at ${DEPTH}. "dense query p50" is the exact index search alone (the query's fold-in excluded).`);
const summaries: SetSummary[] = [];
const peerVectors: { value?: Float32Array; dims?: number } = {};
for (const name of sets) summaries.push(await runSet(name, peerVectors));
if (summaries.length) {
  log('\n## Hybrid vs BM25 summary\n');
  for (const method of ['RRF', 'normalized', 'attention']) {
    const worst = Math.min(...summaries.map((s) => s.hybrid.get(method)!.ndcg - s.bm25.ndcg));
    const raised = summaries.filter((s) => s.hybrid.get(method)!.recall > s.bm25.recall).map((s) => s.name);
    log(`- ${method}: worst nDCG@10 change vs BM25 ${worst >= 0 ? '+' : ''}${f4(worst)} (${worst >= -0.005 ? 'never below BM25 by more than 0.005' : '**below BM25 by more than 0.005 on some set**'}); Recall@100 raised on ${raised.length} set(s): ${raised.join(', ') || 'none'}.`);
  }
}
log('\n## Vector index peers\n');
if (peerVectors.value) await peers(`SciFact LSA-${peerVectors.dims} document vectors (real)`, peerVectors.value, peerVectors.dims!, 1000);
if (peerSize > 0) await peers('Synthetic clustered Gaussian vectors (256 clusters, not a real corpus)', syntheticVectors(peerSize, 128, 7), 128, 1000);
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${lines.join('\n')}\n`);
console.log(`wrote ${outPath}`);
