/**
 * Vector index peers at 100k vectors → bench/results/hnsw-peers.md (+ .json beside it, git-ignored).
 *
 *   npx vite-node bench/hnsw-peers.ts [--repeats 3] [--efs 32,64,128,256] [--configs 16/128,32/128] [--queries 5000] [--quick] [--refit]
 *   npx vite-node bench/hnsw-peers.ts --render bench/results/hnsw-peers.json   # re-render the Markdown of a run
 *
 * Data: the WordNet corpus of bench/corpora.ts (one document per synset, ~117k, Debian `wordnet-base`) embedded with
 * ralm's LSA exactly as a collection fits it (src/engine/dense.ts: english analysis → sparse segment →
 * `termDocumentMatrix` → idf → BM25 weighting with the collection's k1/b → `fitLsa` at the collection's dimensions
 * and scaling, seed 1); queries: the NFCorpus + FiQA query texts analyzed the same way and projected with the model
 * (`projectQuery`), queries that project to the zero vector (no known term) dropped. The vectors, queries and the
 * exact top-10 of every query are cached under bench/.cache/hnsw-peers/ (`--refit` rebuilds them).
 *
 * Indexes, on the same vectors and the same queries, one query at a time (k = 10):
 * - ralm ExactVectorIndex (src/index/dense/exact.ts): the ground truth;
 * - ralm HnswVectorIndex (src/index/dense/hnsw.ts, usearch; the graph build uses every core) at each `--configs`
 *   connectivity/expansionAdd, searched at each `--efs` expansionSearch;
 * - the usearch package called directly with one build thread (same parameters): what threading does to the build;
 * - hnswlib-node (single-threaded build, same M / efConstruction / ef).
 * Each build runs in its own `node --expose-gc` child process (so RSS deltas are not polluted by the previous index)
 * and is repeated `--repeats` times: usearch's multi-threaded insertion order varies, and so do its graph and recall.
 *
 * Recall@10: |returned ∩ exact top-10| / 10 ("strict"), and the tie-aware variant ann-benchmarks uses: a returned
 * hit counts when its exact cosine is ≥ the exact 10th-best cosine − 1e-6 (short WordNet glosses give many identical
 * LSA vectors, so several equally-correct top-10 sets exist). Latency: the `search()` call alone (the query vector is
 * precomputed; hnswlib gets a pre-converted number[] since that is its API); QPS = queries / wall time of the pass.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { getAnalyzer } from '../src/analysis/index.js';
import { fitLsa, inverseDocumentFrequencies, weightTermDocumentMatrix } from '../src/embed/lsa.js';
import { defaults } from '../src/engine/defaults.js';
import { DEFAULT_DENSE_SETTINGS, termDocumentMatrix } from '../src/engine/dense.js';
import { DEFAULT_HNSW_OPTIONS, ExactVectorIndex, HnswVectorIndex } from '../src/index/dense/index.js';
import { SegmentWriter } from '../src/index/sparse/index.js';
import { loadWordnet, missingFiles } from './corpora.js';
import { machineInfo, type MachineInfo } from './machine.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const K = 10;
const WARMUP_QUERIES = 300;
/** Queries timed on the exact index (the first ones of the set). */
const EXACT_QUERIES = 1000;
const CHILD_TIMEOUT_MS = 15 * 60_000;

const log = (message: string): void => void process.stderr.write(`[hnsw-peers] ${message}\n`);

// ---------------------------------------------------------------------------------------------------------------
// data: LSA vectors of the WordNet corpus, query vectors, exact top-10 (cached)

interface DataMeta {
  documents: number;
  dimensions: number;
  queries: number;
  droppedQueries: number;
  zeroDocuments: number;
  vocabulary: number;
  nonZeros: number;
  analyzer: string;
  scaling: string;
  bm25: { k1: number; b: number };
  fitSeconds: number;
  analyzeSeconds: number;
  exactTruthSeconds: number;
  description: string;
  quick: boolean;
}

interface Data {
  meta: DataMeta;
  vectors: Float32Array;
  queries: Float32Array;
  /** queries × K exact top-10 keys. */
  truth: Int32Array;
  /** The exact 10th-best cosine of each query. */
  kthScore: Float64Array;
}

function cacheDir(quick: boolean): string {
  return join(repoRoot, 'bench', '.cache', 'hnsw-peers', quick ? 'quick' : 'full');
}

function f32(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function bytesOf(array: Float32Array | Int32Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function readData(quick: boolean, queryLimit: number): Data | undefined {
  const dir = cacheDir(quick);
  if (!existsSync(join(dir, 'meta.json'))) return undefined;
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DataMeta;
  if (meta.dimensions !== DEFAULT_DENSE_SETTINGS.dimensions || meta.scaling !== DEFAULT_DENSE_SETTINGS.scaling) return undefined;
  if (meta.bm25.k1 !== defaults.bm25.k1 || meta.bm25.b !== defaults.bm25.b) return undefined;
  const all = f32(join(dir, 'queries.f32'));
  const truthBytes = readFileSync(join(dir, 'truth.i32'));
  const kthBytes = readFileSync(join(dir, 'kth.f64'));
  const count = Math.min(meta.queries, queryLimit);
  return {
    meta: { ...meta, queries: count },
    vectors: f32(join(dir, 'vectors.f32')),
    queries: all.subarray(0, count * meta.dimensions),
    truth: new Int32Array(truthBytes.buffer.slice(truthBytes.byteOffset, truthBytes.byteOffset + truthBytes.byteLength)).subarray(0, count * K),
    kthScore: new Float64Array(kthBytes.buffer.slice(kthBytes.byteOffset, kthBytes.byteOffset + kthBytes.byteLength)).subarray(0, count),
  };
}

/** Fits LSA on the corpus the way a collection does, projects the queries, computes the exact top-10; caches it all. */
function prepareData(quick: boolean, queryLimit: number): Data {
  const missing = missingFiles('wordnet');
  if (missing.length) throw new Error(`the WordNet corpus needs ${missing.join(', ')} (bench/run.sh installs wordnet-base)`);
  const corpus = loadWordnet({ quick });
  const analyzerName = 'english';
  const analyzer = getAnalyzer(analyzerName);
  log(`${corpus.description}; analyzing`);
  let start = performance.now();
  const writer = new SegmentWriter();
  corpus.docs.forEach((doc, i) => writer.add(i, analyzer.analyze(`${doc.title}\n${doc.text}`)));
  const segment = writer.finish();
  const { matrix, vocabulary, keys } = termDocumentMatrix([segment], () => true);
  const analyzeSeconds = (performance.now() - start) / 1000;
  log(`${keys.length} rows × ${vocabulary.length} terms, ${matrix.indices.length} non-zeros (${analyzeSeconds.toFixed(1)} s); fitting LSA-${DEFAULT_DENSE_SETTINGS.dimensions}`);
  start = performance.now();
  const idf = inverseDocumentFrequencies(matrix);
  const weighted = weightTermDocumentMatrix(matrix, { idf, weighting: 'bm25', k1: defaults.bm25.k1, b: defaults.bm25.b });
  const dimensions = Math.max(1, Math.min(DEFAULT_DENSE_SETTINGS.dimensions, keys.length - 1, vocabulary.length - 1));
  const model = fitLsa({ matrix: weighted, vocabulary, idf, dimensions, weighting: 'bm25', scaling: DEFAULT_DENSE_SETTINGS.scaling, seed: 1 });
  const fitSeconds = (performance.now() - start) / 1000;
  log(`fitted in ${fitSeconds.toFixed(1)} s; projecting ${corpus.queries.length} queries`);
  // rows are in key order (keys[row] = the document's position), so the row number is the vector's key
  const vectors = model.documentVectors;
  let zeroDocuments = 0;
  for (let r = 0; r < keys.length; r++) {
    let norm = 0;
    for (let j = 0; j < dimensions; j++) norm += vectors[r * dimensions + j]! ** 2;
    if (norm === 0) zeroDocuments++;
  }
  const projected: Float32Array[] = [];
  let dropped = 0;
  for (const query of corpus.queries) {
    const vector = model.projectQuery(analyzer.analyze(query.text));
    if (vector.every((x) => x === 0)) dropped++;
    else projected.push(vector);
  }
  const queries = new Float32Array(projected.length * dimensions);
  projected.forEach((v, i) => queries.set(v, i * dimensions));
  log(`${projected.length} queries (${dropped} dropped: no known term); exact top-${K} of each`);
  start = performance.now();
  const exact = new ExactVectorIndex({ metric: 'cosine', dimensions, capacity: keys.length });
  exact.add(
    Array.from({ length: keys.length }, (_, i) => i),
    vectors,
  );
  const truth = new Int32Array(projected.length * K).fill(-1);
  const kthScore = new Float64Array(projected.length);
  for (let q = 0; q < projected.length; q++) {
    const hits = exact.search(projected[q]!, { k: K });
    hits.forEach((hit, i) => (truth[q * K + i] = hit.key));
    kthScore[q] = hits[hits.length - 1]?.score ?? -Infinity;
  }
  const exactTruthSeconds = (performance.now() - start) / 1000;
  const meta: DataMeta = {
    documents: keys.length,
    dimensions,
    queries: projected.length,
    droppedQueries: dropped,
    zeroDocuments,
    vocabulary: vocabulary.length,
    nonZeros: matrix.indices.length,
    analyzer: analyzerName,
    scaling: DEFAULT_DENSE_SETTINGS.scaling,
    bm25: { k1: defaults.bm25.k1, b: defaults.bm25.b },
    fitSeconds,
    analyzeSeconds,
    exactTruthSeconds,
    description: corpus.description,
    quick,
  };
  const dir = cacheDir(quick);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vectors.f32'), bytesOf(vectors));
  writeFileSync(join(dir, 'queries.f32'), bytesOf(queries));
  writeFileSync(join(dir, 'truth.i32'), bytesOf(truth));
  writeFileSync(join(dir, 'kth.f64'), bytesOf(kthScore));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  return readData(quick, queryLimit)!;
}

// ---------------------------------------------------------------------------------------------------------------
// one build in a child process

/**
 * `usearch`: ralm's HnswVectorIndex (its build uses every core); `usearch-1t`: the usearch package called directly with
 * one build thread (the same graph parameters), to show what threading does to the build on this machine.
 */
type Engine = 'exact' | 'usearch' | 'usearch-1t' | 'hnswlib';

interface ChildSpec {
  engine: Engine;
  quick: boolean;
  queries: number;
  connectivity?: number;
  expansionAdd?: number;
  efs?: number[];
}

interface SearchResult {
  /** expansionSearch (ef); 0 for the exact index. */
  ef: number;
  recallStrict: number;
  recallTies: number;
  /** Smallest per-query tie-aware recall. */
  worstQueryRecall: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
}

interface ChildResult {
  spec: ChildSpec;
  version: string;
  buildSeconds: number;
  rssBeforeMiB: number;
  rssDeltaMiB: number;
  indexBytes: number;
  searches: SearchResult[];
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  } else {
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
  }
}

const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function cosine(vectors: Float32Array, key: number, query: Float32Array, d: number): number {
  let dot = 0;
  let nq = 0;
  let nv = 0;
  for (let j = 0; j < d; j++) {
    const v = vectors[key * d + j]!;
    dot += v * query[j]!;
    nq += query[j]! * query[j]!;
    nv += v * v;
  }
  return nq === 0 || nv === 0 ? 0 : dot / Math.sqrt(nq * nv);
}

function measureSearches(data: Data, ef: number, search: (q: number) => ArrayLike<number>): SearchResult {
  const { dimensions: d, queries: count } = data.meta;
  for (let q = 0; q < Math.min(WARMUP_QUERIES, count); q++) search(q);
  const latencies = new Float64Array(count);
  const results: ArrayLike<number>[] = new Array(count);
  const wall = process.hrtime.bigint();
  for (let q = 0; q < count; q++) {
    const start = process.hrtime.bigint();
    results[q] = search(q);
    latencies[q] = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const wallMs = Number(process.hrtime.bigint() - wall) / 1e6;
  let strict = 0;
  let ties = 0;
  let worst = 1;
  for (let q = 0; q < count; q++) {
    const truth = new Set(data.truth.subarray(q * K, (q + 1) * K));
    truth.delete(-1);
    const wanted = truth.size;
    const query = data.queries.subarray(q * d, (q + 1) * d);
    let hitStrict = 0;
    let hitTies = 0;
    for (const key of Array.from(results[q]!).slice(0, K)) {
      if (truth.has(key)) hitStrict++;
      if (cosine(data.vectors, key, query, d) >= data.kthScore[q]! - 1e-6) hitTies++;
    }
    strict += wanted ? hitStrict / wanted : 1;
    const r = wanted ? Math.min(1, hitTies / wanted) : 1;
    ties += r;
    worst = Math.min(worst, r);
  }
  latencies.sort();
  return {
    ef,
    recallStrict: strict / count,
    recallTies: ties / count,
    worstQueryRecall: worst,
    qps: (count / wallMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

function packageVersion(name: string): string {
  // a package's `exports` may hide its package.json: walk up from its entry point instead
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      const path = join(dir, 'package.json');
      if (!existsSync(path)) continue;
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name && manifest.version) return manifest.version;
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

async function runChild(spec: ChildSpec): Promise<ChildResult> {
  // the exact scan is slow (~10–50 ms a query); its latency needs fewer queries, and its recall is 1 by definition
  const data = readData(spec.quick, spec.engine === 'exact' ? Math.min(spec.queries, EXACT_QUERIES) : spec.queries);
  if (!data) throw new Error('child: no cached data (the parent prepares it first)');
  const { dimensions: d, documents: n, queries: count } = data.meta;
  const queryViews = Array.from({ length: count }, (_, q) => data.queries.subarray(q * d, (q + 1) * d));
  const keys = Array.from({ length: n }, (_, i) => i);
  collectGarbage();
  const rssBefore = rssMiB();
  const searches: SearchResult[] = [];
  let buildSeconds: number;
  let rssAfter: number;
  let indexBytes: number;
  let version: string;
  if (spec.engine === 'exact') {
    version = 'ralm';
    const start = performance.now();
    const index = new ExactVectorIndex({ metric: 'cosine', dimensions: d, capacity: n });
    index.add(keys, data.vectors);
    buildSeconds = (performance.now() - start) / 1000;
    collectGarbage();
    rssAfter = rssMiB();
    indexBytes = index.encodeSync({ seq: 0 }).length;
    searches.push(measureSearches(data, 0, (q) => index.search(queryViews[q]!, { k: K }).map((h) => h.key)));
  } else if (spec.engine === 'usearch') {
    version = packageVersion('usearch');
    const start = performance.now();
    const index = await HnswVectorIndex.create({ metric: 'cosine', dimensions: d, connectivity: spec.connectivity, expansionAdd: spec.expansionAdd, expansionSearch: spec.efs![0] });
    index.add(keys, data.vectors);
    buildSeconds = (performance.now() - start) / 1000;
    collectGarbage();
    rssAfter = rssMiB();
    indexBytes = (await index.encode({ seq: 0 })).length;
    for (const ef of spec.efs!) {
      await index.setExpansionSearch(ef);
      collectGarbage();
      searches.push(measureSearches(data, ef, (q) => index.search(queryViews[q]!, { k: K }).map((h) => h.key)));
    }
  } else if (spec.engine === 'usearch-1t') {
    version = packageVersion('usearch');
    const imported = (await import('usearch')) as unknown as { default?: typeof import('usearch') } & typeof import('usearch');
    const usearch = imported.default ?? imported;
    const options = (ef: number) => ({
      dimensions: d,
      metric: 'cos' as never,
      quantization: 'f32' as never,
      connectivity: spec.connectivity!,
      expansion_add: spec.expansionAdd!,
      expansion_search: ef,
      multi: false,
    });
    const start = performance.now();
    let index = new usearch.Index(options(spec.efs![0]!));
    index.add(BigUint64Array.from(keys, (k) => BigInt(k)), data.vectors, 1);
    buildSeconds = (performance.now() - start) / 1000;
    collectGarbage();
    rssAfter = rssMiB();
    const folder = mkdtempSync(join(tmpdir(), 'ralm-usearch-'));
    try {
      index.save(join(folder, 'graph.usearch'));
      indexBytes = statSync(join(folder, 'graph.usearch')).size;
      for (const ef of spec.efs!) {
        // usearch fixes the search expansion at construction: re-open the saved graph with each ef
        index = new usearch.Index(options(ef));
        index.load(join(folder, 'graph.usearch'));
        collectGarbage();
        const graph = index;
        searches.push(measureSearches(data, ef, (q) => Array.from(graph.search(queryViews[q]!, K, 1).keys, Number)));
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  } else {
    version = packageVersion('hnswlib-node');
    const { default: hnswlib } = (await import('hnswlib-node')) as unknown as { default: typeof import('hnswlib-node') };
    const start = performance.now();
    const index = new hnswlib.HierarchicalNSW('cosine', d);
    index.initIndex(n, spec.connectivity, spec.expansionAdd, 100);
    for (let i = 0; i < n; i++) index.addPoint(Array.from(data.vectors.subarray(i * d, (i + 1) * d)), i);
    buildSeconds = (performance.now() - start) / 1000;
    collectGarbage();
    rssAfter = rssMiB();
    const folder = mkdtempSync(join(tmpdir(), 'ralm-hnswlib-'));
    try {
      index.writeIndexSync(join(folder, 'index.bin'));
      indexBytes = statSync(join(folder, 'index.bin')).size;
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    const arrays = queryViews.map((v) => Array.from(v));
    for (const ef of spec.efs!) {
      index.setEf(ef);
      searches.push(measureSearches(data, ef, (q) => index.searchKnn(arrays[q]!, K).neighbors));
    }
  }
  return { spec, version, buildSeconds, rssBeforeMiB: rssBefore, rssDeltaMiB: rssAfter - rssBefore, indexBytes, searches };
}

function spawnChild(spec: ChildSpec): Promise<ChildResult> {
  const viteNode = join(dirname(createRequire(import.meta.url).resolve('vite-node/package.json')), 'vite-node.mjs');
  const script = relative(repoRoot, fileURLToPath(import.meta.url));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', viteNode, script, '--child', JSON.stringify(spec)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolvePromise(JSON.parse(line.slice(7)) as ChildResult);
      else reject(new Error(`child ${JSON.stringify(spec)} failed (code ${code}, signal ${signal}): ${out.slice(-2000)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// report

interface Report {
  date: string;
  command: string;
  machine: MachineInfo;
  data: DataMeta;
  defaults: typeof DEFAULT_HNSW_OPTIONS;
  repeats: number;
  runs: ChildResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[], digits: number): string =>
  xs.length > 1 ? `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : xs[0]!.toFixed(digits);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function groupKey(run: ChildResult): string {
  return run.spec.engine === 'exact' ? 'exact' : `${run.spec.engine}/${run.spec.connectivity}/${run.spec.expansionAdd}`;
}

function label(run: ChildResult): string {
  if (run.spec.engine === 'exact') return 'ralm ExactVectorIndex';
  const name =
    run.spec.engine === 'usearch'
      ? `ralm HnswVectorIndex (usearch ${run.version})`
      : run.spec.engine === 'usearch-1t'
        ? `usearch ${run.version} called directly, 1 build thread`
        : `hnswlib-node ${run.version}`;
  return `${name}, M ${run.spec.connectivity}, efC ${run.spec.expansionAdd}`;
}

function renderReport(report: Report): string {
  const { machine, data } = report;
  const groups = new Map<string, ChildResult[]>();
  for (const run of report.runs) groups.set(groupKey(run), [...(groups.get(groupKey(run)) ?? []), run]);
  const lines: string[] = [];
  lines.push('# Vector index peers: ralm HNSW (usearch) vs hnswlib-node vs exact search, 100k LSA vectors');
  lines.push('');
  lines.push(`Date: ${report.date}. Command: \`${report.command}\`.`);
  lines.push('');
  lines.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}; Node ${machine.node}; commit ${machine.commit}` +
      (machine.loadAverage ? `; load average ${machine.loadAverage.map((x) => x.toFixed(2)).join(' / ')} when written (the machine is shared: timings are noisy)` : '') +
      '.',
  );
  lines.push('');
  lines.push(
    `Vectors: ${data.description.replace(/; .*$/, '')}, embedded with ralm's LSA as a collection fits it (${data.analyzer} analysis, ` +
      `${data.vocabulary.toLocaleString('en-US')} terms, ${data.nonZeros.toLocaleString('en-US')} non-zeros, BM25 weighting k1 ${data.bm25.k1} b ${data.bm25.b}, ` +
      `randomised SVD seed 1, ${data.dimensions} dimensions, scaling ${data.scaling}; fit ${data.fitSeconds.toFixed(0)} s): ` +
      `**${data.documents.toLocaleString('en-US')} vectors × ${data.dimensions}**, cosine (${data.zeroDocuments} are zero: documents with no indexed term). ` +
      `Queries: **${data.queries.toLocaleString('en-US')}** NFCorpus + FiQA query texts projected with the model (${data.droppedQueries} dropped: no known term).`,
  );
  lines.push('');
  lines.push(
    `One query at a time, k = ${K}; latency = the \`search()\` call alone (query embedding excluded), after ${WARMUP_QUERIES} warm-up queries; QPS = queries / wall time of the pass ` +
      `(the exact index is timed on the first ${Math.min(EXACT_QUERIES, data.queries).toLocaleString('en-US')} queries: it is ~100× slower). ` +
      'Recall@10 against the exact index: "ties" counts a hit as correct when its exact cosine is ≥ the exact 10th-best − 1e-6 (many WordNet glosses give identical vectors, ' +
      'so several top-10 sets are equally right); "strict" is |returned ∩ exact top-10| / 10. ' +
      `Each build ran in its own process (RSS delta measured there, after a forced GC) and was repeated ${report.repeats}×; values are medians with (min–max) over the builds. ` +
      "ralm's usearch build is multi-threaded (all cores; the \"1 build thread\" row is the same graph built by one thread); hnswlib-node's `addPoint` loop is single-threaded.",
  );
  lines.push('');
  const d = report.defaults;
  const defaultGroup = groups.get(`usearch/${d.connectivity}/${d.expansionAdd}`);
  const exactRun = groups.get('exact')?.[0];
  if (defaultGroup) {
    const at = defaultGroup.map((r) => r.searches.find((s) => s.ef === d.expansionSearch)).filter((s): s is SearchResult => s !== undefined);
    if (at.length) {
      const recall = at.map((s) => s.recallTies);
      const p50 = at.map((s) => s.p50Ms);
      lines.push('## Targets (issue #4)');
      lines.push('');
      lines.push(`ralm defaults (\`DEFAULT_HNSW_OPTIONS\`): connectivity ${d.connectivity}, expansionAdd ${d.expansionAdd}, expansionSearch ${d.expansionSearch}, ${d.scalar}.`);
      lines.push('');
      lines.push('| target | measured at the defaults | met |');
      lines.push('|---|---|---|');
      lines.push(
        `| HNSW recall@10 ≥ 0.98 against exact at 100k vectors | ${spread(recall, 4)} ties; strict ${spread(at.map((s) => s.recallStrict), 4)} | ${Math.min(...recall) >= 0.98 ? 'yes' : Math.min(...recall) < 0.98 && median(recall) >= 0.98 ? 'median yes, not every build' : 'no'} |`,
      );
      lines.push(
        `| dense query p50 < 2 ms (query embedding excluded) | ${spread(p50, 3)} ms HNSW${exactRun ? `; exact scan ${exactRun.searches[0]!.p50Ms.toFixed(2)} ms` : ''} | ${Math.max(...p50) < 2 ? 'yes' : 'no'} |`,
      );
      lines.push('');
      const peerAt = (key: string) => {
        const runs = [...groups.entries()].find(([k]) => k.startsWith(key))?.[1];
        const found = runs?.map((r) => r.searches.find((s) => s.ef === d.expansionSearch)).filter((s): s is SearchResult => s !== undefined);
        return runs && found?.length ? { runs, at: found } : undefined;
      };
      const describe = (name: string, peer: ReturnType<typeof peerAt>): string =>
        peer
          ? `${name}: recall ${median(peer.at.map((s) => s.recallTies)).toFixed(4)}, p50 ${median(peer.at.map((s) => s.p50Ms)).toFixed(3)} ms, ` +
            `p99 ${median(peer.at.map((s) => s.p99Ms)).toFixed(3)} ms, ${median(peer.at.map((s) => s.qps)).toFixed(0)} QPS, build ${median(peer.runs.map((r) => r.buildSeconds)).toFixed(1)} s`
          : '';
      const peers = [describe('ralm (usearch, all cores)', { runs: defaultGroup, at }), describe('usearch with 1 build thread', peerAt('usearch-1t/')), describe('hnswlib-node', peerAt('hnswlib/'))].filter(Boolean);
      lines.push(`At ef ${d.expansionSearch} (medians over the builds) — ${peers.join('; ')}.`);
      lines.push('');
    }
  }
  lines.push('## Build and memory');
  lines.push('');
  lines.push('| index | build (s) | RSS delta (MiB) | serialized size (MiB) |');
  lines.push('|---|---:|---:|---:|');
  for (const runs of groups.values()) {
    lines.push(`| ${label(runs[0]!)} | ${spread(runs.map((r) => r.buildSeconds), 2)} | ${spread(runs.map((r) => r.rssDeltaMiB), 0)} | ${mib(median(runs.map((r) => r.indexBytes)))} |`);
  }
  lines.push('');
  lines.push('## Search');
  lines.push('');
  lines.push('| index | ef | recall@10 (ties) | recall@10 (strict) | worst query | QPS | p50 (ms) | p99 (ms) | QPS / exact |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const exactQps = exactRun?.searches[0]?.qps;
  for (const runs of groups.values()) {
    for (const ef of runs[0]!.searches.map((s) => s.ef)) {
      const at = runs.map((r) => r.searches.find((s) => s.ef === ef)!);
      const qps = median(at.map((s) => s.qps));
      lines.push(
        `| ${label(runs[0]!)} | ${ef || '—'} | ${spread(at.map((s) => s.recallTies), 4)} | ${spread(at.map((s) => s.recallStrict), 4)} | ${median(at.map((s) => s.worstQueryRecall)).toFixed(1)} | ` +
          `${qps.toFixed(0)} | ${spread(at.map((s) => s.p50Ms), 3)} | ${spread(at.map((s) => s.p99Ms), 3)} | ${exactQps ? `${(qps / exactQps).toFixed(1)}×` : '—'} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    'Notes: "RSS delta" includes the engine\'s copy of the vectors (f32: ' +
      `${mib(data.documents * data.dimensions * 4)} MiB) plus its graph; the input Float32Array the benchmark holds is not counted. ` +
      'The ralm HNSW build includes its key and finiteness checks and the copy into one Float32Array; the hnswlib-node build includes the Float32Array → number[] conversion its API needs. ' +
      "usearch's recall varies between builds because its threads insert in a different order each time; hnswlib-node's single-threaded build is deterministic for a seed.",
  );
  lines.push('');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// main

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    child: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    efs: { type: 'string' },
    configs: { type: 'string' },
    queries: { type: 'string', default: '100000' },
    engines: { type: 'string', default: 'exact,usearch,usearch-1t,hnswlib' },
    quick: { type: 'boolean', default: false },
    refit: { type: 'boolean', default: false },
    out: { type: 'string' },
    render: { type: 'string' },
  },
});

if (values.render) {
  // re-render the Markdown of an earlier run from its JSON (bench/results/hnsw-peers.json → .md)
  writeFileSync(values.render.replace(/\.json$/, '.md'), renderReport(JSON.parse(readFileSync(values.render, 'utf8')) as Report));
  process.exit(0);
}

if (values.child) {
  const result = await runChild(JSON.parse(values.child) as ChildSpec);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

const quick = values.quick;
const queryLimit = Number(values.queries);
const repeats = Number(values.repeats);
const efs = values.efs ? values.efs.split(',').map(Number) : [...new Set([32, 64, 128, DEFAULT_HNSW_OPTIONS.expansionSearch, 256])].sort((a, b) => a - b);
const configs = (values.configs ?? `${DEFAULT_HNSW_OPTIONS.connectivity}/${DEFAULT_HNSW_OPTIONS.expansionAdd}`).split(',').map((c) => c.split('/').map(Number) as [number, number]);
const engines = values.engines.split(',') as Engine[];
const outPath = resolve(repoRoot, values.out ?? `bench/results/hnsw-peers${quick ? '-quick' : ''}.md`);

let data = values.refit ? undefined : readData(quick, queryLimit);
if (data) log(`cached data: ${data.meta.documents} vectors × ${data.meta.dimensions}, ${data.meta.queries} queries (--refit to rebuild)`);
data ??= prepareData(quick, queryLimit);
const queries = data.meta.queries;
const runs: ChildResult[] = [];
const started = performance.now();
const record = (run: ChildResult): void => {
  runs.push(run);
  const summary = run.searches.map((s) => `ef ${s.ef}: recall ${s.recallTies.toFixed(4)}/${s.recallStrict.toFixed(4)} p50 ${s.p50Ms.toFixed(3)} ms ${s.qps.toFixed(0)} QPS`).join('; ');
  log(`${label(run)}: build ${run.buildSeconds.toFixed(2)} s, RSS +${run.rssDeltaMiB.toFixed(0)} MiB; ${summary}`);
};
if (engines.includes('exact')) record(await spawnChild({ engine: 'exact', quick, queries }));
for (const [connectivity, expansionAdd] of configs) {
  for (const engine of ['usearch', 'usearch-1t', 'hnswlib'] as const) {
    if (!engines.includes(engine)) continue;
    for (let r = 0; r < repeats; r++) record(await spawnChild({ engine, quick, queries, connectivity, expansionAdd, efs }));
  }
}
const argv = process.argv.slice(2).filter((a) => a !== '--');
const report: Report = {
  date: new Date().toISOString().slice(0, 10),
  command: `npx vite-node bench/hnsw-peers.ts${argv.length ? ` ${argv.join(' ')}` : ''}`,
  machine: machineInfo(repoRoot),
  data: data.meta,
  defaults: DEFAULT_HNSW_OPTIONS,
  repeats,
  runs,
};
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath.replace(/\.md$/, '.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(outPath, renderReport(report));
log(`wrote ${relative(repoRoot, outPath)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
