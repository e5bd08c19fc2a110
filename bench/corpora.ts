/**
 * The two benchmark corpora, read with small readers of their own (the bench does not depend on src/eval's
 * loaders):
 * - `scifact`: BEIR SciFact from `<shared>/data/beir/scifact` (5,183 documents, 300 judged test queries);
 * - `wordnet`: one document per WordNet synset from Debian's `wordnet-base` (~117k documents), queried with
 *   the NFCorpus and FiQA query texts (no judgments: speed and memory only).
 * `<shared>` is `$RALM_SHARED` or `../shared` beside the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { BenchDocument } from './peers/types.js';

export type CorpusName = 'scifact' | 'wordnet';
export const corpusNames: readonly CorpusName[] = ['scifact', 'wordnet'];

export interface BenchQuery {
  id: string;
  text: string;
}

/** query id → (document id → relevance grade). */
export type Qrels = Map<string, Map<string, number>>;

export interface Corpus {
  name: CorpusName;
  /** One line saying where the data came from and what subset was taken. */
  description: string;
  docs: BenchDocument[];
  queries: BenchQuery[];
  /** Judgments (SciFact test); absent for WordNet. */
  qrels?: Qrels;
}

/** Where the repository's files are, whether run from `bench/` (vite-node) or from a compiled copy under `bench/.cache/build/bench/`. */
export function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('bench: cannot find the repository root (a folder with package.json and bench/) above ' + fileURLToPath(import.meta.url));
}

/** The shared data folder: `$RALM_SHARED`, else `../shared` relative to the repository root. */
export function sharedRoot(): string {
  return process.env.RALM_SHARED ? resolve(process.env.RALM_SHARED) : resolve(findRepoRoot(), '..', 'shared');
}

/** Debian's WordNet data folder (package `wordnet-base`); `$RALM_WORDNET` overrides it. */
export function wordnetDir(): string {
  return process.env.RALM_WORDNET ? resolve(process.env.RALM_WORDNET) : '/usr/share/wordnet';
}

/** Parses a gzip-compressed JSON-lines file (or a plain one when the name does not end in `.gz`). */
export function readJsonLines<T>(path: string): T[] {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed) rows.push(JSON.parse(trimmed) as T);
  }
  return rows;
}

/** Parses a BEIR qrels TSV (header `query-id corpus-id score`, LF or CRLF line endings). */
export function parseQrels(text: string): Qrels {
  const qrels: Qrels = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [queryId, docId, grade] = line.split('\t');
    if (i === 0 && queryId === 'query-id') continue;
    if (queryId === undefined || docId === undefined || grade === undefined) throw new Error(`qrels line ${i + 1}: expected 3 TAB-separated fields, got ${JSON.stringify(line)}`);
    let judged = qrels.get(queryId);
    if (!judged) qrels.set(queryId, (judged = new Map()));
    judged.set(docId, Number(grade));
  }
  return qrels;
}

/** Names of the files a corpus needs that are missing (empty when it can run). */
export function missingFiles(name: CorpusName): string[] {
  const shared = sharedRoot();
  const needed =
    name === 'scifact'
      ? ['corpus.jsonl.gz', 'queries.jsonl.gz', 'qrels/test.tsv'].map((f) => join(shared, 'data', 'beir', 'scifact', f))
      : [
          ...['data.noun', 'data.verb', 'data.adj', 'data.adv'].map((f) => join(wordnetDir(), f)),
          ...['nfcorpus', 'fiqa'].map((c) => join(shared, 'data', 'beir', c, 'queries.jsonl.gz')),
        ];
  return needed.filter((p) => !existsSync(p));
}

/** Sizes of the `--quick` subsets. */
export const quickLimits = { scifactQueries: 50, wordnetDocs: 20_000, wordnetQueries: 500 } as const;

export interface LoadOptions {
  quick?: boolean;
  /** Read the queries (and judgments) only, leaving `docs` empty: for processes that serve a committed collection. */
  queriesOnly?: boolean;
}

export function loadCorpus(name: CorpusName, options: LoadOptions = {}): Corpus {
  return name === 'scifact' ? loadScifact(options) : loadWordnet(options);
}

export function loadScifact(options: LoadOptions = {}): Corpus {
  const folder = join(sharedRoot(), 'data', 'beir', 'scifact');
  const docs = options.queriesOnly ? [] : readJsonLines<{ _id: string; title?: string; text?: string }>(join(folder, 'corpus.jsonl.gz')).map((row) => ({
    id: String(row._id),
    title: row.title ?? '',
    text: row.text ?? '',
  }));
  const qrels = parseQrels(readFileSync(join(folder, 'qrels', 'test.tsv'), 'utf8'));
  let queries = readJsonLines<{ _id: string; text: string }>(join(folder, 'queries.jsonl.gz'))
    .filter((row) => qrels.has(String(row._id)))
    .map((row) => ({ id: String(row._id), text: row.text }));
  if (options.quick) {
    queries = queries.slice(0, quickLimits.scifactQueries);
    const kept = new Set(queries.map((q) => q.id));
    for (const id of [...qrels.keys()]) if (!kept.has(id)) qrels.delete(id);
  }
  return {
    name: 'scifact',
    description: `BEIR SciFact: ${docs.length.toLocaleString('en-US')} documents, ${queries.length} test queries with judgments${options.quick ? ' (quick subset)' : ''}`,
    docs,
    queries,
    qrels,
  };
}

const wordnetFiles = [
  ['n', 'data.noun'],
  ['v', 'data.verb'],
  ['a', 'data.adj'],
  ['r', 'data.adv'],
] as const;

/**
 * Parses one line of a WordNet `data.*` file into a document, or `undefined` for the licence header.
 * Line format (wndb(5)): `offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id…] p_cnt … | gloss`.
 */
export function parseWordnetLine(pos: string, line: string): BenchDocument | undefined {
  if (!line || line.startsWith(' ')) return undefined;
  const bar = line.indexOf(' | ');
  const head = (bar >= 0 ? line.slice(0, bar) : line).split(' ');
  const gloss = bar >= 0 ? line.slice(bar + 3).trim() : '';
  const count = parseInt(head[3], 16);
  if (!head[0] || Number.isNaN(count)) return undefined;
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = head[4 + 2 * i];
    // Adjectives may carry a syntactic marker: `(a)`, `(p)` or `(ip)`.
    if (word) words.push(word.replace(/\((a|p|ip)\)$/, '').replace(/_/g, ' '));
  }
  return { id: pos + head[0], title: words.join(', '), text: gloss };
}

export function loadWordnet(options: LoadOptions = {}): Corpus {
  const docs: BenchDocument[] = [];
  for (const [pos, file] of options.queriesOnly ? [] : wordnetFiles) {
    for (const line of readFileSync(join(wordnetDir(), file), 'latin1').split('\n')) {
      const doc = parseWordnetLine(pos, line);
      if (doc) docs.push(doc);
    }
  }
  const queries: BenchQuery[] = [];
  for (const source of ['nfcorpus', 'fiqa']) {
    for (const row of readJsonLines<{ _id: string; text: string }>(join(sharedRoot(), 'data', 'beir', source, 'queries.jsonl.gz'))) {
      queries.push({ id: `${source}:${row._id}`, text: row.text });
    }
  }
  const total = docs.length;
  const keptDocs = options.quick ? docs.slice(0, quickLimits.wordnetDocs) : docs;
  const keptQueries = options.quick ? queries.slice(0, quickLimits.wordnetQueries) : queries;
  return {
    name: 'wordnet',
    description:
      `WordNet 3.0 (Debian wordnet-base), one document per synset: ${keptDocs.length.toLocaleString('en-US')} documents` +
      (options.quick ? ` of ${total.toLocaleString('en-US')} (quick subset)` : '') +
      `; ${keptQueries.length.toLocaleString('en-US')} queries (NFCorpus + FiQA query texts, no judgments)`,
    docs: keptDocs,
    queries: keptQueries,
  };
}
