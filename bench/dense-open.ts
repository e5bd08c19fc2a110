/**
 * Index open time with dense vectors: a collection of 100,000 one-chunk documents whose 128-dimensional vectors come
 * from a deterministic random embedder (the vectors' values do not matter for open time), then `openCollection` timed
 * in fresh `node` processes (the compiled library in dist/, the file cache warm):
 *   - HNSW loaded from its checkpoint (dense.hnsw), nothing to replay;
 *   - HNSW loaded from its checkpoint with 1,000 vectors committed after it (replayed from the store);
 *   - the exact index (every vector read from the `vectors` table), for comparison;
 *   - no checkpoint: the graph rebuilt from the store (what a reader does when the file is missing or corrupt).
 * Each is the median of 5 processes; "dense" is the dense side's share (`stats().dense.loadSeconds`). The same child
 * also times dense queries (searchNow with a query vector, k = 10; the query's embedding excluded).
 *
 * Run: npx tsc -p tsconfig.build.json && npx vite-node bench/dense-open.ts [--documents 100000] [--dimensions 128] [--out file]
 * Appends a section to bench/results/dense.md (or --out).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openCollection } from '../src/engine/index.js';
import type { EmbeddingModel } from '../src/models/index.js';
import { machineInfo } from './machine.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A deterministic random unit vector per text (xorshift seeded by the text's FNV-1a hash). */
function randomModel(dimensions: number): EmbeddingModel {
  return {
    specificationVersion: 'v1',
    provider: 'bench',
    modelId: `random-${dimensions}`,
    dimensions,
    queryPrefix: '',
    passagePrefix: '',
    async embed(texts) {
      return texts.map((text) => {
        let seed = 0x811c9dc5;
        for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193) >>> 0;
        const vector = new Float32Array(dimensions);
        let norm = 0;
        for (let j = 0; j < dimensions; j++) {
          seed ^= seed << 13;
          seed ^= seed >>> 17;
          seed ^= seed << 5;
          seed >>>= 0;
          vector[j] = seed / 2 ** 31 - 1;
          norm += vector[j]! * vector[j]!;
        }
        for (let j = 0; j < dimensions; j++) vector[j]! /= Math.sqrt(norm);
        return vector;
      });
    },
  };
}

const documentOf = (i: number) => ({ id: `d${i}`, text: `document ${i} about subject ${i % 977} with terms t${i % 101} u${i % 89} v${(i * 7919) % 10007}` });

/** The child: times openCollection (read-only) and dense queries; prints one JSON line. */
const CHILD = `
const [library, path, exactBelow, dimensions] = process.argv.slice(1);
const { openCollection } = await import(library);
const started = performance.now();
const collection = await openCollection({ path, readOnly: true, dense: exactBelow === 'default' ? {} : { hnsw: { exactBelow: Number(exactBelow) } } });
const openMs = performance.now() - started;
const stats = collection.stats();
const times = [];
let seed = 12345;
for (let q = 0; q < 220; q++) {
  const vector = new Float32Array(Number(dimensions));
  for (let j = 0; j < vector.length; j++) { seed = (seed * 1103515245 + 12345) % 2147483648; vector[j] = seed / 1073741824 - 1; }
  const t = performance.now();
  collection.searchNow('document', { k: 10, mode: 'dense', queryVector: vector, documents: false });
  if (q >= 20) times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
await collection.close();
console.log(JSON.stringify({ openMs, denseMs: stats.dense.loadSeconds * 1000, index: stats.dense.index, source: stats.dense.source, replayed: stats.dense.replayed, vectors: stats.dense.vectors, queryP50: times[Math.floor(times.length / 2)], rssMiB: process.memoryUsage().rss / 2 ** 20 }));
`;

interface ChildResult {
  openMs: number;
  denseMs: number;
  index: string;
  source: string;
  replayed: number;
  vectors: number;
  queryP50: number;
  rssMiB: number;
}

function measure(path: string, exactBelow: string, dimensions: number, runs = 5): ChildResult {
  const library = pathToFileURL(join(root, 'dist', 'index.js')).href;
  const results: ChildResult[] = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, library, path, exactBelow, String(dimensions)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildResult);
  }
  const median = (f: (r: ChildResult) => number) => results.map(f).sort((a, b) => a - b)[Math.floor(results.length / 2)]!;
  return { ...results[0]!, openMs: median((r) => r.openMs), denseMs: median((r) => r.denseMs), queryP50: median((r) => r.queryP50), rssMiB: median((r) => r.rssMiB) };
}

async function main(): Promise<void> {
  const count = argument('documents', 100_000);
  const dimensions = argument('dimensions', 128);
  const folder = mkdtempSync(join(tmpdir(), 'ralm-dense-open-'));
  const path = join(folder, 'index');
  const model = randomModel(dimensions);
  try {
    let started = performance.now();
    const writer = await openCollection({ path, create: true, chunking: false, deduplicate: false, dense: { model } });
    for (let i = 0; i < count; i++) writer.add(documentOf(i));
    await writer.commit();
    await writer.close();
    const buildSeconds = (performance.now() - started) / 1000;
    // the checkpoint: dense.hnsw (header and keys) and its usearch graph file
    const checkpointBytes = readdirSync(path)
      .filter((name) => name.startsWith('dense.hnsw'))
      .reduce((sum, name) => sum + statSync(join(path, name)).size, 0);
    const databaseBytes = statSync(join(path, 'collection.sqlite')).size;
    console.log(`built ${count} documents in ${buildSeconds.toFixed(1)} s`);

    const rows: Array<[string, ChildResult]> = [];
    rows.push(['HNSW from its checkpoint', measure(path, 'default', dimensions)]);
    // 1,000 more vectors committed after the checkpoint (below the checkpoint interval, the writer still open)
    const more = await openCollection({ path, dense: { model } });
    for (let i = count; i < count + 1000; i++) more.add(documentOf(i));
    started = performance.now();
    await more.commit();
    const commitSeconds = (performance.now() - started) / 1000;
    rows.push(['HNSW from its checkpoint + 1,000 newer vectors replayed', measure(path, 'default', dimensions)]);
    await more.close(); // writes the checkpoint
    rows.push(['exact index (vectors read from the table)', measure(path, String(Number.MAX_SAFE_INTEGER), dimensions)]);
    for (const name of readdirSync(path)) if (name.startsWith('dense.hnsw')) rmSync(join(path, name));
    rows.push(['HNSW rebuilt from the table (no checkpoint)', measure(path, 'default', dimensions, 1)]);

    const machine = machineInfo(root);
    const lines = [
      '',
      `## Index open time with dense vectors (${new Date().toISOString().slice(0, 10)})`,
      '',
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(0)} GiB, ${machine.os}; Node ${machine.node}; commit ${machine.commit}; load average ${machine.loadAverage?.map((l) => l.toFixed(1)).join(' ')} (shared machine).`,
      `Command: \`npx tsc -p tsconfig.build.json && npx vite-node bench/dense-open.ts --documents ${count} --dimensions ${dimensions}\`.`,
      `Collection: ${count.toLocaleString('en-US')} one-chunk documents, ${dimensions}-dimensional random unit vectors (a deterministic stand-in embedder; open time does not depend on the values), cosine, HNSW M = 16, efConstruction = 128, ef = 64. Built (BM25 + embedding + HNSW) in ${buildSeconds.toFixed(1)} s; collection.sqlite ${(databaseBytes / 2 ** 20).toFixed(0)} MiB, HNSW checkpoint (dense.hnsw + graph file) ${(checkpointBytes / 2 ** 20).toFixed(0)} MiB. Committing 1,000 more documents (embedded; their vectors held exactly beside the graph until the next checkpoint): ${commitSeconds.toFixed(2)} s.`,
      'Each row: the median of 5 fresh `node` processes (1 for the rebuild) running `openCollection({ path, readOnly: true })` on the compiled library; "dense" is the dense side\'s share of it; query p50 is `searchNow` with a query vector (k = 10, 200 queries, the embedding of the query excluded).',
      '',
      '| open | vectors | replayed | openCollection (ms) | of which dense (ms) | dense query p50 (ms) | RSS (MiB) |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map(([name, r]) => `| ${name} | ${r.vectors.toLocaleString('en-US')} | ${r.replayed.toLocaleString('en-US')} | ${r.openMs.toFixed(0)} | ${r.denseMs.toFixed(0)} | ${r.queryP50.toFixed(3)} | ${r.rssMiB.toFixed(0)} |`),
      '',
    ];
    const outIndex = process.argv.indexOf('--out');
    appendFileSync(outIndex >= 0 ? resolve(process.argv[outIndex + 1]!) : join(root, 'bench', 'results', 'dense.md'), `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
