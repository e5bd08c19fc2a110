/**
 * Loader for datasets in the BEIR layout:
 *
 * ```
 * <dir>/corpus.jsonl[.gz]      {"_id", "title", "text", "metadata"} per line (optional here)
 * <dir>/queries.jsonl[.gz]     {"_id", "text"[, "metadata"]} per line
 * <dir>/qrels/<split>.tsv[.gz] query-id <TAB> corpus-id <TAB> score, with or without that header line
 * ```
 *
 * Every file may be gzip-compressed and use LF or CRLF line endings. Like BEIR's GenericDataLoader, the queries
 * returned are those of the split's qrels.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RalmError } from '../core/errors.js';
import type { Metadata } from '../core/types.js';
import { findPlainOrGzip, openTextLines, readJsonl } from '../core/lines.js';
import type { Qrels } from './metrics.js';

export { openTextLines, readJsonl, type JsonlRecord, type TextLine } from '../core/lines.js';

/**
 * A corpus document as BEIR stores it (`_id` becomes `id`; a missing title or text becomes `''`, missing metadata `{}`).
 *
 * @example
 * ```ts
 * const document: BeirDocument = { id: '4983', title: 'Microstructural development…', text: 'Alterations of…', metadata: {} };
 * ```
 */
export interface BeirDocument {
  id: string;
  title: string;
  text: string;
  metadata: Metadata;
}

/**
 * Options of {@link loadBeir}.
 *
 * @example
 * ```ts
 * const options: LoadBeirOptions = { split: 'dev' };
 * ```
 */
export interface LoadBeirOptions {
  /** The qrels split to load (`qrels/<split>.tsv`). Default `'test'`. */
  split?: string;
}

/**
 * A loaded BEIR dataset.
 *
 * @example
 * ```ts
 * const dataset: BeirDataset = await loadBeir('../shared/data/beir/scifact');
 * console.log(dataset.queries.size, dataset.qrels.size, dataset.splits);
 * ```
 */
export interface BeirDataset {
  /** The dataset folder as given. */
  directory: string;
  /** The split loaded. */
  split: string;
  /** Every split found under `qrels/`, sorted. */
  splits: string[];
  /** Query id → text, for the queries of the split's qrels that have a text in `queries.jsonl` (file order). */
  queries: Map<string, string>;
  /** Ids of the split's qrels queries that have no text in `queries.jsonl` (normally empty). */
  queriesWithoutText: string[];
  /** The split's relevance judgments. */
  qrels: Qrels;
  /**
   * The corpus, streamed line by line each time it is iterated (it may be iterated more than once), or `null` when
   * the folder has no `corpus.jsonl[.gz]`. Duplicate `_id`s are passed through as they come.
   */
  corpus: AsyncIterable<BeirDocument> | null;
  /** Path of the corpus file, or `null`. */
  corpusPath: string | null;
}

async function listSplits(qrelsDirectory: string): Promise<string[]> {
  try {
    const names = await readdir(qrelsDirectory);
    const splits = new Set<string>();
    for (const name of names) {
      const match = /^(.+)\.tsv(\.gz)?$/.exec(name);
      if (match) splits.add(match[1]);
    }
    return [...splits].sort();
  } catch {
    return [];
  }
}

function isInteger(text: string): boolean {
  return /^[+-]?\d+$/.test(text);
}

/**
 * Reads a BEIR qrels TSV file (`query-id <TAB> corpus-id <TAB> score`; gzip, CRLF and the header line optional).
 * A line with other than three fields, a non-integer score, or a repeated (query, document) pair throws
 * `RalmError('PARSE')` with file and line (trec_eval also rejects repeated pairs).
 *
 * @example
 * ```ts
 * const qrels = await readBeirQrels('../shared/data/beir/scifact/qrels/test.tsv');
 * qrels.get('1')?.get('31715818'); // 1
 * ```
 */
export async function readBeirQrels(path: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let sawContent = false;
  for await (const { line, text } of openTextLines(path)) {
    if (text.trim() === '') continue;
    const fields = text.includes('\t') ? text.split('\t').map((field) => field.trim()) : text.trim().split(/\s+/);
    const isFirst = !sawContent;
    sawContent = true;
    // A header such as "query-id corpus-id score": only the first line, and only when its third field is a word.
    if (isFirst && fields.length === 3 && /^[A-Za-z][A-Za-z_-]*$/.test(fields[2])) continue;
    if (fields.length !== 3) {
      const hint = fields.length === 4 ? ' (this looks like TREC format "qid 0 docid rel": read it with readQrels)' : '';
      throw new RalmError(
        'PARSE',
        `${path}:${line}: expected 3 tab-separated fields "query-id corpus-id score", found ${fields.length}${hint}.`,
        { file: path, line },
      );
    }
    const [queryId, documentId, score] = fields;
    if (queryId === '' || documentId === '' || !isInteger(score)) {
      throw new RalmError('PARSE', `${path}:${line}: malformed qrels line "${text}"; the score must be an integer.`, {
        file: path,
        line,
      });
    }
    let judgments = qrels.get(queryId);
    if (judgments === undefined) qrels.set(queryId, (judgments = new Map()));
    if (judgments.has(documentId)) {
      throw new RalmError('PARSE', `${path}:${line}: query "${queryId}" judges document "${documentId}" twice; keep one line.`, {
        file: path,
        line,
      });
    }
    judgments.set(documentId, Number(score));
  }
  return qrels;
}

function optionalString(value: unknown, field: string, path: string, line: number): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw new RalmError('PARSE', `${path}:${line}: "${field}" must be a string, got ${typeof value}.`, { file: path, line });
  }
  return value;
}

function requiredId(value: unknown, path: string, line: number): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new RalmError('PARSE', `${path}:${line}: the line has no "_id" (a non-empty string); every record needs one.`, {
    file: path,
    line,
  });
}

function asRecord(value: unknown, path: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RalmError('PARSE', `${path}:${line}: expected a JSON object per line.`, { file: path, line });
  }
  return value as Record<string, unknown>;
}

/**
 * Streams the documents of a BEIR `corpus.jsonl[.gz]` file. A malformed line, a line without `_id`, or a non-string
 * title/text throws `RalmError('PARSE')` with file and line.
 *
 * @example
 * ```ts
 * for await (const document of readBeirCorpus('corpus.jsonl.gz')) console.log(document.id, document.title);
 * ```
 */
export async function* readBeirCorpus(path: string): AsyncGenerator<BeirDocument> {
  for await (const { line, value } of readJsonl(path)) {
    const record = asRecord(value, path, line);
    const metadata = record.metadata;
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw new RalmError('PARSE', `${path}:${line}: "metadata" must be a JSON object.`, { file: path, line });
    }
    yield {
      id: requiredId(record._id, path, line),
      title: optionalString(record.title, 'title', path, line),
      text: optionalString(record.text, 'text', path, line),
      metadata: (metadata ?? {}) as Metadata,
    };
  }
}

/**
 * Reads a BEIR `queries.jsonl[.gz]` file into query id → text (file order). Errors as {@link readBeirCorpus}.
 *
 * @example
 * ```ts
 * const queries = await readBeirQueries('../shared/data/beir/scifact/queries.jsonl.gz');
 * queries.get('0'); // '0-dimensional biomaterials lack inductive properties.'
 * ```
 */
export async function readBeirQueries(path: string): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const { line, value } of readJsonl(path)) {
    const record = asRecord(value, path, line);
    queries.set(requiredId(record._id, path, line), optionalString(record.text, 'text', path, line));
  }
  return queries;
}

/**
 * Loads a BEIR dataset folder: the queries and qrels of one split, and the corpus as a lazy stream (or `null` when
 * the folder has no corpus file). A missing folder, `queries.jsonl` or `qrels/<split>.tsv` throws
 * `RalmError('NOT_FOUND')` naming the file and the splits that exist.
 *
 * @example
 * ```ts
 * const { queries, qrels, corpus } = await loadBeir('../shared/data/beir/scifact', { split: 'test' });
 * if (corpus) for await (const document of corpus) index.add(document);
 * ```
 */
export async function loadBeir(dir: string, options: LoadBeirOptions = {}): Promise<BeirDataset> {
  const split = options.split ?? 'test';
  if (typeof split !== 'string' || split === '' || /[\\/]/.test(split)) {
    throw new RalmError('INVALID_ARGUMENT', `split must be a split name such as "test", "dev" or "train", got "${String(split)}".`);
  }
  let isDirectory = false;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new RalmError('NOT_FOUND', `BEIR dataset folder not found: ${dir}. Give the folder holding queries.jsonl and qrels/.`, {
      file: dir,
    });
  }
  const qrelsDirectory = join(dir, 'qrels');
  const splits = await listSplits(qrelsDirectory);
  const qrelsPath = await findPlainOrGzip(join(qrelsDirectory, `${split}.tsv`));
  if (qrelsPath === undefined) {
    const available = splits.length > 0 ? `splits available: ${splits.join(', ')}` : 'the folder has no qrels/*.tsv at all';
    throw new RalmError('NOT_FOUND', `${join(qrelsDirectory, `${split}.tsv`)} (or .tsv.gz) not found; ${available}.`, {
      file: join(qrelsDirectory, `${split}.tsv`),
    });
  }
  const queriesPath = await findPlainOrGzip(join(dir, 'queries.jsonl'));
  if (queriesPath === undefined) {
    throw new RalmError('NOT_FOUND', `${join(dir, 'queries.jsonl')} (or .jsonl.gz) not found; a BEIR folder needs its queries.`, {
      file: join(dir, 'queries.jsonl'),
    });
  }
  const qrels = await readBeirQrels(qrelsPath);
  const allQueries = await readBeirQueries(queriesPath);
  const queries = new Map<string, string>();
  for (const [queryId, text] of allQueries) if (qrels.has(queryId)) queries.set(queryId, text);
  const queriesWithoutText = [...qrels.keys()].filter((queryId) => !allQueries.has(queryId));

  const corpusPath = (await findPlainOrGzip(join(dir, 'corpus.jsonl'))) ?? null;
  const corpus: AsyncIterable<BeirDocument> | null =
    corpusPath === null ? null : { [Symbol.asyncIterator]: () => readBeirCorpus(corpusPath) };
  return { directory: dir, split, splits, queries, queriesWithoutText, qrels, corpus, corpusPath };
}
