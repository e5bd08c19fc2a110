/**
 * Incremental ingestion: index files, folders, URLs and stdin into a collection in one atomic commit.
 * Files are read in order on the caller's thread; worker threads may parse and prepare them, and the results are
 * written in input order, so the collection does not depend on how many workers ran.
 * Unchanged files (same size and modification time as recorded) are not even read; changed files
 * replace their documents (ids they no longer produce are deleted); with `sync`, documents of files that
 * vanished from the folders given are deleted. A file that cannot be read keeps its committed documents.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RalmError } from '../core/errors.js';
import { loadPaths, type IngestedDocument, type LoadEvent, type LoadOptions, type LoadProblem } from '../ingest/files.js';
import type { Collection, CommitResult } from './collection.js';
import { defaultIngestWorkers, IngestPool } from './ingest-pool.js';
import { TermTable } from '../analysis/index.js';
import { reviveError, runIngestTask, TERM_TABLE_LIMIT, type IngestTask, type TaskContext, type TaskEvent } from './ingest-task.js';

export interface IndexPathsOptions {
  /** Delete documents of files that vanished from the folders given (default false). */
  sync?: boolean;
  /** Stop at the first problem and commit nothing (default false: skip bad inputs, index the rest). */
  strict?: boolean;
  /** Options of the loaders and the folder walk (excludes, limits, .gitignore, network). */
  load?: LoadOptions;
  /** Called for every problem (one line: file, line, reason). */
  onProblem?: (problem: LoadProblem) => void;
  /** Called after every document (progress). */
  onProgress?: (documentsRead: number) => void;
  /**
   * Worker threads that parse files and prepare documents while this thread writes (default: one per core beyond the
   * first, at most 3, none on a saturated machine, see `defaultIngestWorkers`; started only when there is enough work;
   * 0: none). The result does not depend on it.
   */
  workers?: number;
}

export interface IndexPathsReport extends CommitResult {
  /** Documents read from changed or new files. */
  read: number;
  /** Files not read because they were unchanged. */
  unchangedFiles: number;
  /** Files whose documents were deleted because they vanished (with `sync`). */
  vanishedFiles: number;
  problems: number;
  /** Files of unsupported types skipped inside folders. */
  skippedFiles: number;
  /** Tasks (files parsed, documents prepared) done by worker threads; the rest ran on the calling thread. */
  workerTasks: number;
}

/**
 * Loads each path with ids relative to the current folder when the path is inside it (so `docs/README.md`
 * and `README.md` stay distinct), else relative to the path's own folder.
 */
async function* loadAll(paths: readonly string[], options: LoadOptions): AsyncGenerator<LoadEvent> {
  const cwd = process.cwd();
  for (const path of paths) {
    const inside = path !== '-' && !/^https?:\/\//i.test(path) && !relative(cwd, resolve(path)).startsWith('..') && !isAbsolute(relative(cwd, resolve(path)));
    yield* loadPaths([path], options.base === undefined && inside ? { ...options, base: cwd } : options);
  }
}

interface FileState {
  key: string;
  size: number;
  mtimeMs: number;
  ids: string[];
  problems: number;
}

/** Work items (files to parse, documents to prepare) seen before worker threads are started: small runs need none. */
const START_WORKERS_AFTER = 32;
/** Most operations and input bytes read ahead of the one being applied (bounds memory whatever the input). */
const MAX_PENDING_OPERATIONS = 256;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** One step of the ingest, applied in the order the input gave it: events, or a task whose events are pending. */
interface Operation {
  /** The events to apply, once known. */
  events: TaskEvent[] | null;
  /** Work not started yet (run by a worker, or by this thread when it would otherwise wait). */
  task: IngestTask | null;
  /** The events are a task's: documents among them were left unprepared (a file with many), to prepare one by one. */
  fromTask?: boolean;
  error?: Error;
  bytes: number;
}

/** A first-in first-out queue of operations that can also put a run of operations back at its front. */
class OperationQueue {
  private items: Operation[] = [];
  private head = 0;
  /** Position from which on operations may still have a task to start (tasks are only ever taken, never given back). */
  private cursor = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  first(): Operation {
    return this.items[this.head]!;
  }

  push(operation: Operation): void {
    this.items.push(operation);
  }

  shift(): Operation {
    const operation = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Operation;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.cursor = Math.max(0, this.cursor - this.head);
      this.head = 0;
    }
    return operation;
  }

  unshift(operations: Operation[]): void {
    this.items = operations.concat(this.items.slice(this.head));
    this.head = 0;
    this.cursor = 0;
  }

  /** The first operation whose task has not started, if any. */
  nextTask(): Operation | undefined {
    if (this.cursor < this.head) this.cursor = this.head;
    while (this.cursor < this.items.length && this.items[this.cursor]!.task === null) this.cursor++;
    return this.items[this.cursor];
  }
}

/**
 * Indexes `paths` into `collection` and commits once. Files are read on this thread; with `workers`, worker threads
 * parse them and prepare their documents (chunks, signatures, terms) while this thread writes the prepared documents
 * in input order — the collection is the same as without workers.
 * @example const report = await indexPaths(collection, ['docs/'], { sync: true });
 */
export async function indexPaths(collection: Collection, paths: readonly string[], options: IndexPathsOptions = {}): Promise<IndexPathsReport> {
  const seen = new Set<string>();
  let read = 0;
  let unchangedFiles = 0;
  let problems = 0;
  let skippedFiles = 0;
  let current: FileState | null = null;
  /** Recorded states read by the unchanged check, kept for the file's finish (only its own finish changes them). */
  const recordedStates = new Map<string, ReturnType<Collection['sourceState']>>();

  const finishFile = (file: FileState | null) => {
    if (!file) return;
    seen.add(file.key);
    const previous = recordedStates.has(file.key) ? recordedStates.get(file.key) : collection.sourceState(file.key);
    recordedStates.delete(file.key);
    if (file.problems > 0) return; // keep the committed documents and state; the file is read again next time
    if (previous) {
      const now = new Set(file.ids);
      const gone = previous.ids.filter((id) => !now.has(id));
      if (gone.length > 0) collection.delete(gone);
    }
    collection.recordSource(file.key, { size: file.size, mtimeMs: file.mtimeMs }, file.ids);
  };

  const documentAdded = (file: string, id: string) => {
    if (current && resolve(file) === current.key) current.ids.push(id);
    read++;
    options.onProgress?.(read);
  };

  const apply = (event: TaskEvent) => {
    switch (event.kind) {
      case 'file':
        finishFile(current);
        current = { key: resolve(event.file), size: event.size, mtimeMs: event.mtimeMs, ids: [], problems: 0 };
        break;
      case 'unchanged':
        seen.add(resolve(event.file));
        unchangedFiles++;
        break;
      case 'document':
        collection.add(event.document);
        documentAdded(event.file, event.document.id);
        break;
      case 'prepared':
        collection.addPrepared(event.prepared);
        documentAdded(event.file, event.prepared.id);
        break;
      case 'failed':
        throw reviveError(event.error);
      case 'problem': {
        problems++;
        options.onProblem?.(event.problem);
        const key = resolve(event.problem.file);
        if (current && key === current.key) current.problems++;
        else seen.add(key); // a file that could not be read at all keeps its documents
        if (options.strict) {
          throw new RalmError('PARSE', 'stopped at the first bad input (--strict); nothing was committed, the collection is unchanged', {
            file: event.problem.file,
            line: event.problem.line,
          });
        }
        break;
      }
      case 'skipped':
        skippedFiles++;
        break;
    }
  };

  const context: TaskContext = {
    prepare: collection.prepareSettings(),
    parse: { maxDecompressedBytes: options.load?.maxDecompressedBytes, prefixRecordIds: options.load?.prefixRecordIds, loaderOptions: options.load?.loaderOptions },
    analyzer: collection.analyzer,
    vocabulary: new TermTable(),
  };
  const workers = options.workers ?? defaultIngestWorkers();
  let pool: IngestPool | null = null;
  let work = 0;
  let workerTasks = 0;
  const queue = new OperationQueue();
  let pendingBytes = 0;

  /** A document to prepare, unless it is the stored version already (then `add` counts it unchanged, without preparing it). */
  const documentOperation = (document: IngestedDocument, file: string): Operation => {
    work++;
    if (collection.isUnchanged(document)) return { events: [{ kind: 'document', document, file }], task: null, bytes: 0 };
    return { events: null, task: { kind: 'document', document, file }, bytes: typeof document.text === 'string' ? document.text.length : 0 };
  };
  const enqueue = (event: LoadEvent) => {
    let operation: Operation;
    if (event.kind === 'parse') {
      work++;
      operation = { events: null, task: { kind: 'file', task: event.task }, bytes: event.task.bytes.length };
    } else if (event.kind === 'document') operation = documentOperation(event.document, event.file);
    else operation = { events: [event], task: null, bytes: 0 };
    pendingBytes += operation.bytes;
    queue.push(operation);
  };
  const runHere = async (operation: Operation) => {
    const task = operation.task!;
    operation.task = null;
    operation.fromTask = true;
    // documents prepared here number their terms in this thread's own table, as a worker does (bounded the same way)
    if (context.vocabulary!.size > TERM_TABLE_LIMIT) context.vocabulary = new TermTable();
    operation.events = await runIngestTask(task, context);
  };
  const dispatch = () => {
    if (!pool && workers > 0 && work >= START_WORKERS_AFTER) {
      pool = IngestPool.start(workers, { prepare: context.prepare, parse: context.parse });
      if (!pool) work = -Infinity; // no worker script (running from the sources): do everything here
    }
    if (!pool) return;
    for (let operation = queue.nextTask(); operation && pool.hasCapacity(); operation = queue.nextTask()) {
      const task = operation.task!;
      operation.task = null;
      workerTasks++;
      pool.run(task, (events, error) => {
        operation.fromTask = true;
        operation.events = events ?? [];
        operation.error = error;
      });
    }
  };
  /** Applies the operations at the head of the queue whose events are known. */
  const applyReady = () => {
    pool?.poll();
    while (queue.size > 0 && queue.first().events !== null) {
      const operation = queue.shift();
      pendingBytes -= operation.bytes;
      if (operation.error) throw operation.error;
      const events = operation.events!;
      const at = operation.fromTask ? events.findIndex((e) => e.kind === 'document') : -1;
      if (at < 0) {
        for (const event of events) apply(event);
        continue;
      }
      // a file with many documents came back unprepared: one operation per document, in place
      const expanded: Operation[] = [{ events: events.slice(0, at), task: null, bytes: 0 }];
      for (const event of events.slice(at)) {
        expanded.push(event.kind === 'document' ? documentOperation(event.document, event.file) : { events: [event], task: null, bytes: 0 });
      }
      for (const e of expanded) pendingBytes += e.bytes;
      queue.unshift(expanded);
    }
  };

  try {
    const loadOptions: LoadOptions = {
      ...options.load,
      deferParsing: true,
      unchanged: (file, state) => {
        const key = resolve(file);
        const recorded = collection.sourceState(key);
        const unchanged = recorded !== undefined && recorded.size === state.size && recorded.mtimeMs === state.mtimeMs;
        if (!unchanged) recordedStates.set(key, recorded);
        return unchanged;
      },
    };
    // Each path is finished before the next one starts, so a file named twice sees its own first reading.
    for (const path of paths) {
      const events = loadAll([path], loadOptions)[Symbol.asyncIterator]();
      let done = false;
      for (;;) {
        applyReady();
        dispatch();
        const window = pool ? MAX_PENDING_OPERATIONS : 1;
        if (!done && queue.size < window && pendingBytes < MAX_PENDING_BYTES) {
          const next = await events.next();
          if (next.done) done = true;
          else enqueue(next.value);
          continue;
        }
        if (queue.size === 0) {
          recordedStates.clear(); // (states of files that could not be read)
          break;
        }
        // the next result is not there yet: do some of the work here rather than wait
        const waiting = queue.nextTask();
        if (waiting) await runHere(waiting);
        else await (pool as IngestPool | null)?.answered();
      }
    }
    const started = pool as IngestPool | null;
    pool = null;
    await started?.close(); // all read: the workers' memory is not needed for the commit
    finishFile(current);
    current = null;
    let vanishedFiles = 0;
    if (options.sync) {
      for (const path of paths) {
        if (path === '-' || /^https?:\/\//i.test(path)) continue;
        let isFolder = false;
        try {
          isFolder = statSync(path).isDirectory();
        } catch {
          continue; // a path that vanished entirely is not a folder we can sync against
        }
        if (!isFolder) continue;
        for (const key of collection.sourcesUnder(resolve(path) + sep)) {
          if (seen.has(key)) continue;
          const state = collection.sourceState(key);
          if (state && state.ids.length > 0) collection.delete(state.ids);
          collection.forgetSource(key);
          vanishedFiles++;
        }
      }
    }
    const result = await collection.commit();
    return { ...result, read, unchangedFiles, vanishedFiles, problems, skippedFiles, workerTasks };
  } catch (error) {
    collection.rollback();
    throw error;
  } finally {
    await (pool as IngestPool | null)?.close();
  }
}
