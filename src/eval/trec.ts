/**
 * TREC run files (`qid Q0 docid rank score tag`, the format trec_eval reads) and TREC qrels (`qid 0 docid rel`).
 * Files ending in `.gz` are written compressed; reading detects gzip by its magic bytes.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { RalmError } from '../core/errors.js';
import { openTextLines } from '../core/lines.js';
import { sortHits, type Qrels, type Run } from './metrics.js';

/**
 * Options of {@link writeRun}.
 *
 * @example
 * ```ts
 * const options: WriteRunOptions = { tag: 'ralm-bm25' };
 * ```
 */
export interface WriteRunOptions {
  /** The run tag written in the last column (non-empty, no whitespace). */
  tag: string;
}

const WHITESPACE = /\s/;

function checkToken(value: string, what: string): void {
  if (typeof value !== 'string' || value === '' || WHITESPACE.test(value)) {
    throw new RalmError(
      'INVALID_ARGUMENT',
      `${what} "${String(value)}" cannot be written to a TREC run file: it must be a non-empty string without whitespace.`,
    );
  }
}

function* runLines(run: Run, tag: string): Generator<string> {
  const batch: string[] = [];
  for (const [queryId, hits] of run) {
    checkToken(queryId, 'Query id');
    if (!Array.isArray(hits)) throw new RalmError('INVALID_ARGUMENT', `Run query "${queryId}" must map to an array of { docId, score }.`);
    const seen = new Set<string>();
    let rank = 0;
    for (const hit of sortHits(hits)) {
      checkToken(hit.docId, `Document id (query "${queryId}")`);
      if (typeof hit.score !== 'number' || Number.isNaN(hit.score)) {
        throw new RalmError('INVALID_ARGUMENT', `Query "${queryId}", document "${hit.docId}" has score ${String(hit.score)}; scores must be numbers.`);
      }
      if (seen.has(hit.docId)) {
        throw new RalmError('INVALID_ARGUMENT', `Query "${queryId}" retrieves document "${hit.docId}" twice; trec_eval rejects duplicates.`);
      }
      seen.add(hit.docId);
      rank++;
      batch.push(`${queryId} Q0 ${hit.docId} ${rank} ${String(hit.score)} ${tag}\n`);
      if (batch.length >= 4096) yield batch.splice(0).join('');
    }
  }
  if (batch.length > 0) yield batch.join('');
}

/**
 * Writes a run as a TREC run file: one line `qid Q0 docid rank score tag` per hit, queries in the run's order, hits
 * in trec_eval's order (score descending, ties by document id descending) with ranks from 1. Scores are written in
 * JavaScript's shortest round-trip form, so {@link readRun} gives back the same numbers. A path ending in `.gz` is
 * gzip-compressed. Ids or a tag containing whitespace, NaN scores and duplicate documents throw
 * `RalmError('INVALID_ARGUMENT')`.
 *
 * @example
 * ```ts
 * await writeRun('runs/bm25.trec', new Map([['q1', [{ docId: 'd3', score: 7.25 }]]]), { tag: 'bm25' });
 * // q1 Q0 d3 1 7.25 bm25
 * ```
 */
export async function writeRun(path: string, run: Run, options: WriteRunOptions): Promise<void> {
  if (!(run instanceof Map)) throw new RalmError('INVALID_ARGUMENT', 'run must be a Map of query id → array of { docId, score }.');
  checkToken(options?.tag, 'Run tag');
  const source = Readable.from(runLines(run, options.tag));
  try {
    if (path.endsWith('.gz')) await pipeline(source, createGzip(), createWriteStream(path));
    else await pipeline(source, createWriteStream(path));
  } catch (error) {
    // A bad run (found while streaming) leaves no half-written file behind.
    await rm(path, { force: true }).catch(() => undefined);
    if (RalmError.is(error)) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new RalmError('IO', `Cannot write run file ${path}: ${detail}.`, { cause: error, file: path });
  }
}

/**
 * Reads a TREC run file (`qid Q0 docid rank score tag`, whitespace-separated, six fields as trec_eval requires).
 * Hits keep file order; the rank column is ignored (trec_eval ranks by score). A malformed line, a score that is not
 * a number, or a document repeated within a query throws `RalmError('PARSE')` with file and line.
 *
 * @example
 * ```ts
 * const run = await readRun('runs/bm25.trec');
 * run.get('q1')?.[0]; // { docId: 'd3', score: 7.25 }
 * ```
 */
export async function readRun(path: string): Promise<Run> {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  for await (const { line, text } of openTextLines(path)) {
    const trimmed = text.trim();
    if (trimmed === '') continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 6) {
      throw new RalmError(
        'PARSE',
        `${path}:${line}: expected 6 fields "qid Q0 docid rank score tag", found ${fields.length}.`,
        { file: path, line },
      );
    }
    const [queryId, , documentId, , scoreText] = fields;
    const score = Number(scoreText);
    if (Number.isNaN(score)) {
      throw new RalmError('PARSE', `${path}:${line}: score "${scoreText}" is not a number.`, { file: path, line });
    }
    let documents = seen.get(queryId);
    if (documents === undefined) {
      seen.set(queryId, (documents = new Set()));
      run.set(queryId, []);
    }
    if (documents.has(documentId)) {
      throw new RalmError(
        'PARSE',
        `${path}:${line}: query "${queryId}" retrieves document "${documentId}" twice (trec_eval rejects duplicate docs).`,
        { file: path, line },
      );
    }
    documents.add(documentId);
    run.get(queryId)!.push({ docId: documentId, score });
  }
  return run;
}

/**
 * Reads TREC-format qrels (`qid iteration docid rel`, whitespace-separated; the iteration column is ignored). A line
 * with other than four fields, a non-integer relevance, or a repeated (query, document) pair throws
 * `RalmError('PARSE')` with file and line.
 *
 * @example
 * ```ts
 * const qrels = await readQrels('qrels.beir-v1.0.0-scifact.test.txt');
 * qrels.get('1')?.get('31715818'); // 1
 * ```
 */
export async function readQrels(path: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  for await (const { line, text } of openTextLines(path)) {
    const trimmed = text.trim();
    if (trimmed === '') continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== 4 || !/^[+-]?\d+$/.test(fields[3])) {
      const hint = fields.length === 3 ? ' (this looks like BEIR TSV "query-id corpus-id score": read it with readBeirQrels)' : '';
      throw new RalmError(
        'PARSE',
        `${path}:${line}: expected "qid 0 docid rel" with an integer rel, found "${trimmed}"${hint}.`,
        { file: path, line },
      );
    }
    const [queryId, , documentId, relevance] = fields;
    let judgments = qrels.get(queryId);
    if (judgments === undefined) qrels.set(queryId, (judgments = new Map()));
    if (judgments.has(documentId)) {
      throw new RalmError('PARSE', `${path}:${line}: query "${queryId}" judges document "${documentId}" twice; keep one line.`, {
        file: path,
        line,
      });
    }
    judgments.set(documentId, Number(relevance));
  }
  return qrels;
}
