/**
 * The unit of work of a parallel ingest: parse a file's bytes into documents and prepare them, or prepare one
 * document. The same function runs on a worker thread (`ingest-worker.ts`) and, when the writer would otherwise wait,
 * on the writer's own thread: the events are the same either way.
 */
import { TermTable, type Analyzer } from '../analysis/types.js';
import { RalmError, type RalmErrorCode } from '../core/errors.js';
import { parseFile, type IngestedDocument, type LoadEvent, type ParseOptions, type ParseTask } from '../ingest/files.js';
import { prepareDocument, type PreparedDocument, type PrepareSettings } from './prepare.js';

/** A file with more documents than this (a JSON Lines file, a CSV …) comes back unprepared, to be prepared one by one. */
const PREPARE_IN_PLACE_DOCUMENTS = 64;

/**
 * One task: a file's bytes (parse, then prepare its documents) or one document (prepare it).
 *
 * @example
 * ```ts
 * const task: IngestTask = { kind: 'document', document: { id: 'a', text: 'body' }, file: '<stdin>' };
 * ```
 */
export type IngestTask = { kind: 'file'; task: ParseTask } | { kind: 'document'; document: IngestedDocument; file: string };

/**
 * What a task yields, in order: the load events of the file (`document` for one left to prepare later), with each
 * prepared document as `prepared`, and a document that could not be prepared (invalid) as `failed`.
 *
 * @example
 * ```ts
 * const event: TaskEvent = { kind: 'failed', file: 'a.jsonl', error: { code: 'INVALID_ARGUMENT', message: 'document "x" has no text' } };
 * ```
 */
export type TaskEvent =
  | Exclude<LoadEvent, { kind: 'parse' }>
  | { kind: 'prepared'; file: string; prepared: PreparedDocument; encoded?: WireTerms }
  | { kind: 'failed'; file: string; error: SerializedError };

/** An error as plain data (it crosses threads); {@link reviveError} turns it back into a `RalmError`. */
export interface SerializedError {
  code?: RalmErrorCode;
  message: string;
  file?: string;
  line?: number;
}

/**
 * Settings every task needs: the collection's preparation settings and the loaders' options.
 *
 * @example
 * ```ts
 * const context: TaskContext = { prepare: collection.prepareSettings(), parse: {}, analyzer: getAnalyzer('english') };
 * ```
 */
export interface TaskContext {
  prepare: PrepareSettings;
  parse: ParseOptions;
  analyzer: Analyzer;
  /** The table prepared documents number their terms in (`encodedTerms`); without one, they carry term strings. */
  vocabulary?: TermTable;
}

/**
 * Runs one task (see {@link IngestTask}).
 *
 * @example
 * ```ts
 * const events = await runIngestTask({ kind: 'file', task }, context);
 * ```
 */
export async function runIngestTask(task: IngestTask, context: TaskContext): Promise<TaskEvent[]> {
  if (task.kind === 'document') return [prepareEvent(task.document, task.file, context)];
  const events = (await parseFile(task.task, context.parse)) as TaskEvent[];
  let documents = 0;
  for (const event of events) if (event.kind === 'document') documents++;
  if (documents > PREPARE_IN_PLACE_DOCUMENTS) return events;
  return events.map((event) => (event.kind === 'document' ? prepareEvent(event.document, event.file, context) : event));
}

function prepareEvent(document: IngestedDocument, file: string, context: TaskContext): TaskEvent {
  try {
    return { kind: 'prepared', file, prepared: prepareDocument(document, 0, context.prepare, context.analyzer, context.vocabulary) };
  } catch (error) {
    return { kind: 'failed', file, error: serializeError(error) };
  }
}

/** An error as plain data. */
export function serializeError(error: unknown): SerializedError {
  if (RalmError.is(error)) return { code: error.code, message: error.message, file: error.file, line: error.line };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** The `RalmError` (or `Error`) a {@link SerializedError} stands for. */
export function reviveError(error: SerializedError): Error {
  if (error.code === undefined) return new Error(error.message);
  return new RalmError(error.code, error.message, { file: error.file, line: error.line });
}

/** Most terms a worker's term table holds before it starts again (bounds the memory of both sides). */
export const TERM_TABLE_LIMIT = 1 << 20;

/** The terms of a prepared document on the wire: ids into the sending worker's term table, chunk after chunk. */
export interface WireTerms {
  ids: Uint32Array;
  /** Terms per chunk. */
  lengths: Uint32Array;
}

/**
 * Worker side of the term tables: a worker prepares documents with their terms as ids in its {@link TermTable}
 * (`context.vocabulary`, see `prepareNormalized`), and each answer carries the terms numbered since the previous one:
 * each string crosses threads once, then an integer stands for it. The table starts again when it holds more than
 * {@link TERM_TABLE_LIMIT} terms and no task is running (bounds the memory of both sides).
 *
 * @example
 * ```ts
 * const context = { ...settings, vocabulary: encoder.begin() };
 * const { events, terms, reset, transfer } = encoder.encode(await runIngestTask(task, context));
 * port.postMessage({ id, events, terms, reset }, transfer);
 * ```
 */
export class TermEncoder {
  private table = new TermTable();
  /** Terms of the table already sent. */
  private sent = 0;
  private running = 0;
  private resetPending = false;

  /** `limit`: the most terms the table holds before it starts again (when no task is running). */
  constructor(private readonly limit = TERM_TABLE_LIMIT) {}

  /** The table for the next task to number its terms in (call once per task, before it starts). */
  begin(): TermTable {
    if (this.running === 0 && this.table.size > this.limit) {
      this.table = new TermTable();
      this.sent = 0;
      this.resetPending = true;
    }
    this.running++;
    return this.table;
  }

  /**
   * The answer of a task that {@link begin} started: its events with the prepared documents' ids detached for
   * transfer, and the terms numbered since the previous answer (after `reset`, the receiver starts a new table).
   */
  encode(events: TaskEvent[]): { events: TaskEvent[]; terms: string[]; reset: boolean; transfer: ArrayBuffer[] } {
    this.running--;
    const transfer: ArrayBuffer[] = [];
    for (const event of events) {
      if (event.kind !== 'prepared') continue;
      const encoded = event.prepared.encodedTerms;
      if (!encoded) continue; // (a document without a vocabulary carries its term strings)
      delete event.prepared.encodedTerms; // the table stays here: the receiver has its own copy
      event.encoded = { ids: encoded.ids, lengths: encoded.lengths };
      transfer.push(encoded.ids.buffer as ArrayBuffer, encoded.lengths.buffer as ArrayBuffer);
    }
    const terms = this.table.terms.slice(this.sent);
    this.sent = this.table.size;
    const reset = this.resetPending;
    this.resetPending = false;
    return { events, terms, reset, transfer };
  }

  /** Ends a task that {@link begin} started and that failed (its answer is an error: no terms go with it). */
  failed(): void {
    this.running--;
  }
}

/**
 * Writer side of one worker's term table (see {@link TermEncoder}): answers must be decoded in the order they were
 * sent. A prepared document keeps its terms as ids into the table (`encodedTerms`); a reset starts a new table object.
 *
 * @example
 * ```ts
 * decoder.decode(answer.events, answer.terms, answer.reset); // prepared.encodedTerms set
 * ```
 */
export class TermDecoder {
  private terms: string[] = [];

  decode(events: TaskEvent[], terms: readonly string[], reset: boolean): TaskEvent[] {
    if (reset) this.terms = [];
    for (const term of terms) this.terms.push(term);
    for (const event of events) {
      if (event.kind !== 'prepared' || !event.encoded) continue;
      event.prepared.encodedTerms = { table: this.terms, ids: event.encoded.ids, lengths: event.encoded.lengths };
      delete event.encoded;
    }
    return events;
  }
}
