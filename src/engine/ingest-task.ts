/**
 * The unit of work of a parallel ingest: parse a file's bytes into documents and prepare them, or prepare one
 * document. The same function runs on a worker thread (`ingest-worker.ts`) and, when the writer would otherwise wait,
 * on the writer's own thread: the events are the same either way.
 */
import type { Analyzer } from '../analysis/types.js';
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
    return { kind: 'prepared', file, prepared: prepareDocument(document, 0, context.prepare, context.analyzer) };
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
 * Worker side of the term tables: a worker numbers the terms it sends (each string crosses threads once, then an
 * integer stands for it), which keeps answers small and gives the writer the same string objects again and again.
 *
 * @example
 * ```ts
 * const { events, terms, transfer } = encoder.encode(await runIngestTask(task, context));
 * port.postMessage({ id, events, terms }, transfer);
 * ```
 */
export class TermEncoder {
  private readonly ids = new Map<string, number>();

  /**
   * Replaces the terms of every prepared document by ids; returns the terms numbered for the first time (after
   * `reset`, the table starts again: it is bounded to {@link TERM_TABLE_LIMIT} terms).
   */
  encode(events: TaskEvent[]): { events: TaskEvent[]; terms: string[]; reset: boolean; transfer: ArrayBuffer[] } {
    const reset = this.ids.size > TERM_TABLE_LIMIT;
    if (reset) this.ids.clear();
    const terms: string[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const event of events) {
      if (event.kind !== 'prepared') continue;
      const chunks = event.prepared.terms;
      let total = 0;
      for (const chunk of chunks) total += chunk.length;
      const ids = new Uint32Array(total);
      const lengths = new Uint32Array(chunks.length);
      let at = 0;
      chunks.forEach((chunk, c) => {
        lengths[c] = chunk.length;
        for (const term of chunk) {
          let id = this.ids.get(term);
          if (id === undefined) {
            id = this.ids.size;
            this.ids.set(term, id);
            terms.push(term);
          }
          ids[at++] = id;
        }
      });
      event.prepared.terms = [];
      event.encoded = { ids, lengths };
      transfer.push(ids.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer);
    }
    return { events, terms, reset, transfer };
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
