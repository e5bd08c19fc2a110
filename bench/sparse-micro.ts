/**
 * Micro-benchmark of the sparse index (src/index/sparse): build, encode, decode and query speed on
 * BEIR SciFact and on a synthetic 100k-document collection with a Zipfian vocabulary.
 *
 *   npx vite-node bench/sparse-micro.ts [--scifact-only]   (NODE_OPTIONS=--expose-gc for tighter RSS numbers)
 *
 * SciFact comes from `../shared/data/beir/scifact` (or `$RALM_SHARED/data/beir/scifact`); text is
 * analyzed with `getAnalyzer('english')` from src/analysis when available, else with a throwaway
 * tokenizer. Timings are best of 3 runs; QPS counts scoring only (queries are analyzed beforehand).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  decodeSegment,
  DEFAULT_BM25_PARAMS,
  encodeSegment,
  SegmentWriter,
  SparseSearcher,
  type Segment,
  type SparseQueryTerm,
  type SparseSearchStrategy,
} from '../src/index/sparse/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(repoRoot, '..', 'shared');
const K = 100;

type Analyze = (text: string) => string[];

const STOP_WORDS = new Set('a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(' '));
const throwawayAnalyze: Analyze = (text) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0 && !STOP_WORDS.has(t));

async function loadAnalyzer(): Promise<{ name: string; analyze: Analyze }> {
  const modulePath = '../src/analysis/index.js';
  try {
    const analysis = (await import(modulePath)) as { getAnalyzer?: (name: string) => { analyze(text: string): string[] } };
    if (typeof analysis.getAnalyzer === 'function') {
      const analyzer = analysis.getAnalyzer('english');
      return { name: "src/analysis getAnalyzer('english')", analyze: (text) => analyzer.analyze(text) };
    }
  } catch (error) {
    console.log(`(src/analysis not usable: ${error instanceof Error ? error.message : String(error)})`);
  }
  return { name: 'throwaway tokenizer (lower-case, split on non-alphanumerics, stop words)', analyze: throwawayAnalyze };
}

function readJsonl(path: string): Record<string, unknown>[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function bagOfWords(terms: readonly string[]): SparseQueryTerm[] {
  const counts = new Map<string, number>();
  for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([term, boost]) => ({ term, boost }));
}

function bestOf<T>(runs: number, work: () => T): { ms: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    result = work();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms < best) best = ms;
  }
  return { ms: best, result };
}

function build(documents: readonly string[][]): Segment {
  const writer = new SegmentWriter();
  for (let i = 0; i < documents.length; i++) writer.add(i, documents[i]!);
  return writer.finish();
}

function rssMegabytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

function measure(label: string, documents: string[][], queries: SparseQueryTerm[][]): Record<string, number> {
  const tokens = documents.reduce((a, d) => a + d.length, 0);
  console.log(`\n## ${label}: ${documents.length} documents, ${tokens} tokens, ${queries.length} queries, top-${K}`);
  const built = bestOf(3, () => build(documents));
  const bytes = encodeSegment(built.result);
  const encoded = bestOf(3, () => encodeSegment(built.result));
  const decoded = bestOf(3, () => decodeSegment(bytes, label));
  const segment = decoded.result;
  console.log(`build ${built.ms.toFixed(1)} ms (${((tokens / built.ms) * 1000 / 1e6).toFixed(2)} M tokens/s), terms ${segment.termCount}, blocks ${segment.blockCount}`);
  console.log(`encoded ${(bytes.length / 2 ** 20).toFixed(2)} MiB (postings ${(segment.postings.length / 2 ** 20).toFixed(2)} MiB), encode ${encoded.ms.toFixed(1)} ms, decode ${decoded.ms.toFixed(2)} ms`);
  const searcher = new SparseSearcher({ segments: [segment], params: DEFAULT_BM25_PARAMS });
  const postings = queries.reduce((a, q) => a + q.reduce((b, { term }) => b + searcher.docFreq(term), 0), 0) / queries.length;
  console.log(`queries: ${(queries.reduce((a, q) => a + q.length, 0) / queries.length).toFixed(1)} terms, ${postings.toFixed(0)} postings on average (${(postings / documents.length).toFixed(2)} per document)`);
  const results: Record<string, number> = { build: built.ms, bytes: bytes.length, decode: decoded.ms };
  const reference = queries.map((q) => searcher.search(q, { k: K, strategy: 'exhaustive' }));
  for (const strategy of ['exhaustive', 'pruned', 'auto'] as SparseSearchStrategy[]) {
    // warm-up, then best of 3 over all queries
    for (const q of queries) searcher.search(q, { k: K, strategy });
    const run = bestOf(3, () => queries.map((q) => searcher.search(q, { k: K, strategy })));
    const same = run.result.every((hits, i) => JSON.stringify(hits) === JSON.stringify(reference[i]));
    const qps = (queries.length / run.ms) * 1000;
    results[strategy] = qps;
    console.log(`${strategy.padEnd(10)} ${qps.toFixed(0).padStart(7)} QPS  (${run.ms.toFixed(1)} ms for ${queries.length} queries; identical to exhaustive: ${same})`);
  }
  for (const k of [10, 1000]) {
    const line: string[] = [];
    for (const strategy of ['exhaustive', 'pruned', 'auto'] as SparseSearchStrategy[]) {
      for (const q of queries) searcher.search(q, { k, strategy });
      const run = bestOf(3, () => queries.map((q) => searcher.search(q, { k, strategy })));
      line.push(`${strategy} ${((queries.length / run.ms) * 1000).toFixed(0)}`);
    }
    console.log(`top-${k} QPS: ${line.join(', ')}`);
  }
  results.rss = rssMegabytes();
  console.log(`RSS now ${results.rss.toFixed(0)} MiB`);
  return results;
}

/** Zipf(s = 1.07) sampler over `size` ranks, by inverse CDF over a precomputed table. */
function zipf(size: number, next: () => number): () => number {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cdf[r] = total += 1 / (r + 1) ** 1.07;
  return () => {
    const x = next() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cdf[middle]! < x) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `--serve <folder>`: a fresh process that only decodes `segment.bin`, runs `queries.json` and reports
 * its RSS, to measure what serving a collection costs (without the benchmark's corpus in memory).
 */
function serve(folder: string): void {
  const before = rssMegabytes();
  const bytes = new Uint8Array(readFileSync(join(folder, 'segment.bin')));
  const segment = decodeSegment(bytes, 'segment.bin');
  const queries = JSON.parse(readFileSync(join(folder, 'queries.json'), 'utf8')) as SparseQueryTerm[][];
  const searcher = new SparseSearcher({ segments: [segment], params: DEFAULT_BM25_PARAMS });
  for (const strategy of ['exhaustive', 'pruned', 'auto'] as SparseSearchStrategy[]) for (const q of queries) searcher.search(q, { k: K, strategy });
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(`serve: RSS ${before.toFixed(0)} MiB before loading (runtime and tooling), ${rssMegabytes().toFixed(0)} MiB after decoding and ${queries.length * 3} queries, peak ${peak.toFixed(0)} MiB`);
}

function measureServing(segment: Segment, queries: SparseQueryTerm[][]): void {
  const folder = mkdtempSync(join(tmpdir(), 'ralm-sparse-'));
  try {
    writeFileSync(join(folder, 'segment.bin'), encodeSegment(segment));
    writeFileSync(join(folder, 'queries.json'), JSON.stringify(queries));
    const child = spawnSync(process.execPath, ['--expose-gc', join(repoRoot, 'node_modules', 'vite-node', 'vite-node.mjs'), fileURLToPath(import.meta.url), '--', '--serve', folder], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    console.log((child.stdout + child.stderr).trim().split('\n').filter((line) => line.startsWith('serve:')).join('\n') || `serve process failed: ${child.stderr}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt >= 0) return serve(process.argv[serveAt + 1]!);
  console.log(`# sparse micro-benchmark (node ${process.version}, ${new Date().toISOString()})`);
  const scifact = join(shared, 'data', 'beir', 'scifact');
  let scifactResults: Record<string, number> | undefined;
  if (existsSync(join(scifact, 'corpus.jsonl.gz'))) {
    const analyzer = await loadAnalyzer();
    console.log(`analyzer: ${analyzer.name}`);
    const corpus = readJsonl(join(scifact, 'corpus.jsonl.gz'));
    const queries = readJsonl(join(scifact, 'queries.jsonl.gz'));
    const documents = corpus.map((d) => analyzer.analyze(`${String(d.title ?? '')} ${String(d.text ?? '')}`));
    const bags = queries.map((q) => bagOfWords(analyzer.analyze(String(q.text ?? '')))).filter((q) => q.length > 0);
    scifactResults = measure('SciFact', documents, bags);
  } else {
    console.log(`[skip] ${scifact} is missing (set RALM_SHARED)`);
  }
  if (process.argv.includes('--scifact-only')) return;
  // synthetic: 100k documents, lengths 20..300, vocabulary of 300k Zipf ranks without the 100 most frequent
  const next = mulberry32(42);
  const rank = zipf(300_000, next);
  const documents: string[][] = [];
  for (let d = 0; d < 100_000; d++) {
    const length = 20 + Math.floor(next() * 280);
    const terms: string[] = new Array(length);
    // ranks below 100 play the stop words an analyzer removes, so documents use ranks 100 and up
    for (let i = 0; i < length; i++) terms[i] = `w${100 + rank()}`;
    documents.push(terms);
  }
  // queries: 4..16 terms, drawn from random documents (like real queries, mostly mid-frequency terms)
  const queries: SparseQueryTerm[][] = [];
  for (let q = 0; q < 1000; q++) {
    const length = 4 + Math.floor(next() * 13);
    const terms: string[] = [];
    for (let i = 0; i < length; i++) {
      const document = documents[Math.floor(next() * documents.length)]!;
      terms.push(document[Math.floor(next() * document.length)]!);
    }
    queries.push(bagOfWords(terms));
  }
  const synthetic = measure('Synthetic Zipf 100k', documents, queries);
  measureServing(build(documents), queries);
  if (scifactResults) {
    console.log('\n## 100k vs SciFact QPS ratio (SciFact / 100k; target < 3)');
    for (const strategy of ['exhaustive', 'pruned', 'auto']) console.log(`${strategy.padEnd(10)} ${(scifactResults[strategy]! / synthetic[strategy]!).toFixed(2)}×`);
  }
}

await main();
