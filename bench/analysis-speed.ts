/**
 * Analysis throughput of the `english` analyzer on BEIR SciFact (title + " " + text per document),
 * fast path (Latin-1 scanner) vs pure Intl.Segmenter, best of 3, single process.
 *
 * Run: `npx vite-node bench/analysis-speed.ts` (needs ../shared/data/beir/scifact/corpus.jsonl.gz
 * or $RALM_SHARED).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { EnglishAnalyzer, segmenterTokenize, standardTokenize } from '../src/analysis/index.js';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharedRoot = process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(repositoryRoot, '..', 'shared');
const corpusPath = join(sharedRoot, 'data', 'beir', 'scifact', 'corpus.jsonl.gz');
if (!existsSync(corpusPath)) {
  console.log(`[skip] ${corpusPath} is missing (set RALM_SHARED)`);
  process.exit(0);
}

const texts = gunzipSync(readFileSync(corpusPath))
  .toString('utf8')
  .split('\n')
  .filter((line) => line.length > 0)
  .map((line) => {
    const document = JSON.parse(line) as { title: string; text: string };
    return `${document.title} ${document.text}`;
  });
const megabytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0) / 1e6;
console.log(`SciFact: ${texts.length} documents, ${megabytes.toFixed(2)} MB (UTF-8)`);

function bestOfThree(label: string, run: () => number): void {
  let best = Infinity;
  let tokens = 0;
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    tokens = run();
    best = Math.min(best, performance.now() - start);
  }
  const seconds = best / 1000;
  console.log(
    `${label.padEnd(44)} ${best.toFixed(0).padStart(6)} ms  ${(tokens / seconds / 1e6).toFixed(2).padStart(6)} M tokens/s  ${(megabytes / seconds).toFixed(2).padStart(6)} MB/s  (${tokens} tokens)`,
  );
}

const analyzeAll = (analyzer: EnglishAnalyzer) => () => {
  let count = 0;
  for (const text of texts) count += analyzer.analyze(text).length;
  return count;
};
const tokenizeAll = (tokenize: (text: string) => string[]) => () => {
  let count = 0;
  for (const text of texts) count += tokenize(text).length;
  return count;
};

bestOfThree('tokenize: fast path (standardTokenize)', tokenizeAll(standardTokenize));
bestOfThree('tokenize: Intl.Segmenter (segmenterTokenize)', tokenizeAll(segmenterTokenize));
// A fresh analyzer per round, so the stem cache is filled inside the timing.
bestOfThree('english: fast path, cold cache', () => analyzeAll(new EnglishAnalyzer())());
bestOfThree('english: Intl.Segmenter, cold cache', () => analyzeAll(new EnglishAnalyzer({ tokenize: segmenterTokenize }))());
const warm = new EnglishAnalyzer();
analyzeAll(warm)();
bestOfThree('english: fast path, warm cache', analyzeAll(warm));
