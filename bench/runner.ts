/**
 * One engine × one corpus, in its own process so its peak RSS is its own. Started by `bench/bm25-peers.ts`
 * (from a tsc build under `bench/.cache/build`, run with plain `node --expose-gc`):
 *
 *   node runner.js --engine <name> --corpus scifact|wordnet [--quick] --work <dir> --out <result.json>
 *   node runner.js --engine ralm-reopen --corpus … --collection <dir> --out …   (read-only reopen of a committed collection)
 *   node runner.js --task terms --corpus … --out <dir>                         (analyzed term lists for Xapian)
 *
 * Protocol: load the corpus, note RSS, build the peer, prepare (untimed for the index), index (timed),
 * note RSS, one warm-up pass over all queries, three timed passes, best pass → QPS; top-100 runs kept for SciFact.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAnalyzer } from './analyzer.js';
import { loadCorpus, type Corpus, type CorpusName } from './corpora.js';
import { peerFactory, type EngineName } from './peers/index.js';
import { openRalmReadOnly } from './peers/ralm.js';
import type { Peer, PeerHit } from './peers/types.js';
import type { RunnerResult } from './protocol.js';

const K = 100;
const PASSES = 3;
/** Queries in the warm-up probe that decides whether an engine is too slow for the full protocol. */
const PROBE_QUERIES = 200;
/** A full pass estimated above this is "slow": warm-up on the probe only, one timed pass. */
const SLOW_PASS_MS = 90_000;
/** Stop adding timed passes once the next one would take the timed total beyond this. */
const PASS_BUDGET_MS = 120_000;
/** Queries timed for a peer's extra search flavour. */
const EXTRA_QUERIES = 300;
export const bm25 = { k1: 0.9, b: 0.4 } as const;

function rssMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

async function writeTerms(corpus: Corpus, outDir: string, analyze: (t: string) => string[]): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const write = (file: string, rows: Iterable<string>) =>
    new Promise<void>((resolve, reject) => {
      const stream = createWriteStream(join(outDir, file));
      stream.on('error', reject);
      for (const row of rows) stream.write(row + '\n');
      stream.end(resolve);
    });
  await write('docs.jsonl', (function* () {
    for (const d of corpus.docs) yield JSON.stringify({ id: d.id, terms: analyze(`${d.title} ${d.text}`) });
  })());
  await write('queries.jsonl', (function* () {
    for (const q of corpus.queries) yield JSON.stringify({ id: q.id, terms: analyze(q.text) });
  })());
}

type Search = (query: string, k: number) => Promise<PeerHit[]> | PeerHit[];

async function timePass(search: Search, corpus: Corpus, keep?: Map<string, PeerHit[]>): Promise<{ ms: number; empty: number }> {
  let empty = 0;
  const start = performance.now();
  for (const q of corpus.queries) {
    const hits = await search(q.text, K);
    if (!hits.length) empty++;
    keep?.set(q.id, hits);
  }
  return { ms: performance.now() - start, empty };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string' },
      task: { type: 'string' },
      corpus: { type: 'string' },
      quick: { type: 'boolean', default: false },
      work: { type: 'string' },
      out: { type: 'string' },
      collection: { type: 'string' },
      docs: { type: 'string' },
    },
  });
  const corpusName = values.corpus as CorpusName;
  if (corpusName !== 'scifact' && corpusName !== 'wordnet') throw new Error(`--corpus must be scifact or wordnet, got ${values.corpus}`);
  if (!values.out) throw new Error('--out is required');

  const loadStart = performance.now();
  // A reopened collection needs only the queries: the documents are not loaded, so they do not count in its RSS.
  const reopen = values.engine === 'ralm-reopen';
  const corpus = loadCorpus(corpusName, { quick: values.quick, queriesOnly: reopen });
  const loadMs = performance.now() - loadStart;
  const analyzer = await loadAnalyzer();

  if (values.task === 'terms') {
    await writeTerms(corpus, values.out, analyzer.analyze);
    return;
  }

  const rssAfterLoadMB = rssMB();
  const engine = values.engine ?? '';
  let peer: Peer;
  let prepareMs: number | undefined;
  let indexMs: number;
  if (reopen) {
    if (!values.collection) throw new Error('--collection is required for ralm-reopen');
    const openStart = performance.now();
    peer = await openRalmReadOnly(values.collection);
    indexMs = performance.now() - openStart;
  } else {
    if (!values.work) throw new Error('--work is required');
    const factory = await peerFactory(engine as Exclude<EngineName, 'xapian'>);
    if (!factory) throw new Error(`unknown engine ${engine}`);
    peer = await factory({ analyze: analyzer.analyze, workDir: values.work, ...bm25 });
    if (peer.prepare) {
      const prepareStart = performance.now();
      await peer.prepare(corpus.docs);
      prepareMs = performance.now() - prepareStart;
    }
    log(`${peer.name}: indexing ${corpus.docs.length} documents`);
    const indexStart = performance.now();
    await peer.index(corpus.docs);
    indexMs = performance.now() - indexStart;
    if (values.task === 'index') {
      // an index-time round (the orchestrator's interleaved repeats): no search
      await peer.close?.();
      writeFileSync(values.out, JSON.stringify({ engine, indexMs }));
      log(`${peer.name}: index ${(indexMs / 1000).toFixed(2)} s (index-time round)`);
      return;
    }
  }
  const rssAfterIndexMB = rssMB();
  log(`${peer.name}: index ${(indexMs / 1000).toFixed(2)} s; searching ${corpus.queries.length} queries × (1 warm-up + ${PASSES})`);

  const search: Search = (query, k) => peer.search(query, k);
  // Warm-up. A slow engine (a full pass estimated over SLOW_PASS_MS from the first PROBE_QUERIES) is warmed up
  // on those queries only and timed with fewer passes, so that the whole bench stays within its time budget.
  const probe = await timePass(search, { ...corpus, queries: corpus.queries.slice(0, PROBE_QUERIES) });
  const estimatedPassMs = (probe.ms * corpus.queries.length) / Math.min(PROBE_QUERIES, corpus.queries.length);
  const slow = estimatedPassMs > SLOW_PASS_MS;
  const warmup = slow ? probe : await timePass(search, corpus);
  const warmupQueries = slow ? Math.min(PROBE_QUERIES, corpus.queries.length) : corpus.queries.length;
  const kept = corpus.qrels ? new Map<string, PeerHit[]>() : undefined;
  const passesMs: number[] = [];
  let passes = slow ? 1 : PASSES;
  let passesEmpty = 0;
  for (let i = 0; i < passes; i++) {
    const last = i === passes - 1;
    const pass = await timePass(search, corpus, last ? kept : undefined);
    passesMs.push(pass.ms);
    passesEmpty = pass.empty;
    // When the remaining passes would take the timed total beyond the budget, one more (the last) is enough.
    if (!last && passesMs.reduce((a, b) => a + b, 0) + (passes - 1 - i) * pass.ms > PASS_BUDGET_MS) passes = i + 2;
  }
  const best = Math.min(...passesMs);
  const extra: Record<string, string | number> = {};
  if (peer.extraSearch) {
    const extraSearch = peer.extraSearch;
    const subset = { ...corpus, queries: corpus.queries.slice(0, EXTRA_QUERIES) };
    const pass = await timePass((query, k) => extraSearch.search(query, k), subset);
    extra[`${extraSearch.label} (first ${subset.queries.length} queries, one pass)`] = Math.round(subset.queries.length / (pass.ms / 1000));
  }
  await peer.close?.();

  const result: RunnerResult = {
    engine,
    corpus: corpusName,
    name: peer.name,
    version: peer.version,
    notes: peer.notes,
    analyzer: analyzer.source,
    // A reopened collection is told its size by the orchestrator (it did not load the documents).
    docs: reopen ? Number(values.docs ?? 0) : corpus.docs.length,
    queries: corpus.queries.length,
    loadMs,
    rssAfterLoadMB,
    prepareMs,
    indexMs,
    rssAfterIndexMB,
    warmupMs: warmup.ms,
    warmupQueries,
    passesMs,
    qps: corpus.queries.length / (best / 1000),
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    emptyQueries: passesEmpty,
    ...(Object.keys(extra).length ? { extra } : {}),
  };
  if (kept) result.run = Object.fromEntries([...kept].map(([id, hits]) => [id, hits.map((h) => [h.id, h.score] as [string, number])]));
  writeFileSync(values.out, JSON.stringify(result));
  log(`${peer.name}: ${result.qps.toFixed(0)} QPS, peak RSS ${result.maxRssMB.toFixed(0)} MB`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
