/**
 * The collections a server serves, and their ingest jobs. Each collection has one read-only instance that answers
 * searches and questions (a consistent snapshot) and, once something is written, one writer (the folder's single
 * write lock) in its own worker thread, so ingest work never blocks the event loop that answers searches. Writes run
 * as jobs, one at a time per collection; after each commit the reader is refreshed (incrementally), so a search sees
 * either all of a commit or none of it. A writer idle for `writerIdleMs` is closed, giving back its lock and memory.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { RalmError } from '../core/errors.js';
import { openCollection, type Collection } from '../engine/index.js';
import { STORE_FILE } from '../engine/collection.js';
import type { DocumentInput, StoredDocument } from '../core/types.js';
import { WriterThread } from './writer-thread.js';
import { releaseOwnLock } from '../engine/index.js';

/** A collection name: letters, digits, `.`, `_`, `-`; never a path. */
export const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A write job's public state. */
export interface JobState {
  id: string;
  collection: string;
  kind: string;
  status: JobStatus;
  /** Documents read so far, and the total when known. */
  progress: { documents: number; total?: number };
  /** Per-input problems (file and reason), as the loaders report them. */
  problems: Array<{ file: string; reason: string }>;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  created: string;
  finished?: string;
}

/** The writes a job body can make (they run in the collection's writer thread; the registry commits). */
export interface JobWriter {
  add(documents: DocumentInput | DocumentInput[]): Promise<void>;
  delete(ids: string | string[]): Promise<void>;
  get(ids: readonly string[]): Promise<StoredDocument[]>;
}

/** What a job body gets: the collection's writer, a progress callback and the server's shutdown signal. */
export interface JobContext {
  writer: JobWriter;
  progress: (documents: number, total?: number) => void;
  problem: (file: string, reason: string) => void;
  signal: AbortSignal;
}

interface Entry {
  /** When has() last saw the collection's database on disk (performance.now()). */
  seenAt?: number;
  name: string;
  path: string;
  reader: Collection;
  writer?: WriterThread;
  /** Closes the writer after a while without jobs. */
  idleTimer?: NodeJS.Timeout;
  /** Jobs queued or running. */
  activeJobs: number;
  /** A writer thread being closed (a new one waits for it: one writer per collection). */
  closing?: Promise<void>;
  /** The tail of this collection's job chain. */
  queue: Promise<void>;
  deleted?: boolean;
}

/** Options of {@link CollectionRegistry}. */
export interface CollectionRegistryOptions {
  /** A folder of collections. */
  root?: string;
  /** One collection folder (served under its folder name). */
  index?: string;
  /** Analyzer of collections created through the API (default: the engine's). */
  analyzer?: string;
  /** A collection's writer thread ends after this long without jobs (default 30 s). */
  writerIdleMs?: number;
}

/**
 * The collections of one server.
 * @example
 * ```ts
 * const registry = new CollectionRegistry({ root: 'collections' });
 * const reader = await registry.reader('docs');
 * ```
 */
export class CollectionRegistry {
  readonly root?: string;
  readonly single?: { name: string; path: string };
  private readonly entries = new Map<string, Entry>();
  private readonly opening = new Map<string, Promise<Entry>>();
  private readonly jobs = new Map<string, JobState>();
  private readonly jobOrder: string[] = [];
  readonly events = new EventEmitter();
  private readonly shutdown = new AbortController();
  private closed = false;
  private readonly writerIdleMs: number;

  constructor(options: CollectionRegistryOptions) {
    this.writerIdleMs = options.writerIdleMs ?? 30_000;
    if (options.root && options.index) throw new RalmError('INVALID_ARGUMENT', 'give either root or index, not both');
    if (options.index) {
      const path = resolve(options.index);
      this.single = { name: basename(path).replace(/^\.+/, '') || 'default', path };
    } else {
      this.root = resolve(options.root ?? '.');
      mkdirSync(this.root, { recursive: true });
    }
    this.events.setMaxListeners(0);
  }

  /** Whether collections can be created and deleted (a root folder, not a single index). */
  get managesCollections(): boolean {
    return this.single === undefined;
  }

  private pathOf(name: string): string | undefined {
    if (this.single) return name === this.single.name ? this.single.path : undefined;
    if (!COLLECTION_NAME.test(name)) return undefined;
    return join(this.root!, name);
  }

  /** Names of the collections on disk (subfolders holding a collection), sorted. */
  list(): string[] {
    if (this.single) return existsSync(join(this.single.path, STORE_FILE)) ? [this.single.name] : [];
    const names: string[] = [];
    for (const name of readdirSync(this.root!)) {
      if (!COLLECTION_NAME.test(name)) continue;
      try {
        if (statSync(join(this.root!, name, STORE_FILE)).isFile()) names.push(name);
      } catch {
        // not a collection
      }
    }
    return names.sort();
  }

  /** Whether the collection exists. */
  has(name: string): boolean {
    // a collection with an open reader was seen on disk less than a second ago: no look at the disk on every request
    const entry = this.entries.get(name);
    const now = performance.now();
    if (entry && !entry.deleted && now - (entry.seenAt ?? -Infinity) < 1000) return true;
    const path = this.pathOf(name);
    const exists = path !== undefined && existsSync(join(path, STORE_FILE));
    if (entry && exists) entry.seenAt = now;
    return exists;
  }

  private async entry(name: string): Promise<Entry> {
    this.assertOpen();
    const existing = this.entries.get(name);
    if (existing) return existing;
    const pending = this.opening.get(name);
    if (pending) return pending;
    const path = this.pathOf(name);
    if (path === undefined || !existsSync(join(path, STORE_FILE))) throw new RalmError('NOT_FOUND', `collection "${name}" does not exist`);
    const opening = openCollection({ path, readOnly: true }).then((reader) => {
      const entry: Entry = { name, path, reader, queue: Promise.resolve(), activeJobs: 0 };
      this.entries.set(name, entry);
      return entry;
    });
    this.opening.set(name, opening);
    try {
      return await opening;
    } finally {
      this.opening.delete(name);
    }
  }

  /** The read-only instance that answers searches (a consistent snapshot, refreshed after each commit). */
  async reader(name: string): Promise<Collection> {
    return (await this.entry(name)).reader;
  }

  /** Creates a collection (ALREADY_EXISTS when it exists). */
  async create(name: string, options: { analyzer?: string; chunking?: false } = {}): Promise<void> {
    this.assertOpen();
    if (!this.managesCollections) throw new RalmError('UNSUPPORTED', 'this server serves a single collection (--index); start it with --root to create collections');
    if (!COLLECTION_NAME.test(name)) throw new RalmError('INVALID_ARGUMENT', `collection name "${name}" is not allowed: use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    if (this.has(name)) throw new RalmError('ALREADY_EXISTS', `collection "${name}" already exists`);
    const collection = await openCollection({ path: this.pathOf(name)!, create: true, analyzer: options.analyzer, ...(options.chunking === false ? { chunking: false } : {}) });
    await collection.close();
  }

  /** Deletes a collection: waits for its running job, closes it and removes its folder. */
  async delete(name: string): Promise<void> {
    this.assertOpen();
    if (!this.managesCollections) throw new RalmError('UNSUPPORTED', 'this server serves a single collection (--index); it cannot delete it');
    const entry = await this.entry(name);
    entry.deleted = true;
    await entry.queue;
    this.entries.delete(name);
    await this.closeWriter(entry);
    await entry.reader.close();
    rmSync(entry.path, { recursive: true, force: true });
  }

  /**
   * Queues a write job on a collection; it runs after the collection's earlier jobs. The job body adds or deletes
   * through `writer` and returns a summary; the registry commits (or rolls back on failure) and refreshes the reader.
   */
  async submit(name: string, kind: string, body: (context: JobContext) => Promise<Record<string, unknown> | void>): Promise<JobState> {
    const entry = await this.entry(name);
    const job: JobState = { id: randomUUID(), collection: name, kind, status: 'queued', progress: { documents: 0 }, problems: [], created: new Date().toISOString() };
    this.jobs.set(job.id, job);
    this.jobOrder.push(job.id);
    while (this.jobOrder.length > 1000) this.jobs.delete(this.jobOrder.shift()!);
    const run = async (): Promise<void> => {
      if (entry.deleted || this.closed) {
        this.finish(job, 'cancelled', undefined, { code: 'ABORTED', message: 'the collection was deleted or the server shut down before the job ran' });
        return;
      }
      job.status = 'running';
      this.emit(job);
      let writer: WriterThread | undefined;
      try {
        if (entry.writer && !entry.writer.alive) await this.closeWriter(entry);
        await entry.closing;
        writer = entry.writer ??= new WriterThread(entry.path);
        const thread = writer;
        let last = 0;
        const summary = await body({
          writer: { add: (documents) => thread.add(documents), delete: (ids) => thread.delete(ids), get: (ids) => thread.get(ids) },
          signal: this.shutdown.signal,
          progress: (documents, total) => {
            job.progress = total === undefined ? { documents } : { documents, total };
            const now = performance.now();
            if (now - last > 100) {
              last = now;
              this.emit(job);
            }
          },
          problem: (file, reason) => {
            if (job.problems.length < 1000) job.problems.push({ file, reason });
          },
        });
        if (this.shutdown.signal.aborted) throw new RalmError('ABORTED', 'the server is shutting down; the job was rolled back');
        const commit = await writer.commit();
        await entry.reader.refresh();
        this.finish(job, 'succeeded', { ...(summary ?? {}), seq: commit.seq, added: commit.added, updated: commit.updated, deleted: commit.deleted, unchanged: commit.unchanged });
      } catch (error) {
        await writer?.rollback().catch(() => undefined); // the thread may have ended
        const code = RalmError.is(error) ? error.code : 'INTERNAL';
        this.finish(job, code === 'ABORTED' ? 'cancelled' : 'failed', undefined, { code, message: (error as Error).message });
      }
    };
    entry.activeJobs++;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.queue = entry.queue.then(run).finally(() => {
      if (--entry.activeJobs > 0 || !entry.writer) return;
      entry.idleTimer = setTimeout(() => {
        if (entry.activeJobs === 0) void this.closeWriter(entry);
      }, this.writerIdleMs);
      entry.idleTimer.unref();
    });
    return job;
  }

  /** The collection's writer thread while one lives (diagnostics and tests). */
  writerThread(name: string): WriterThread | undefined {
    return this.entries.get(name)?.writer;
  }

  /** Ends a collection's writer thread (its lock and memory are given back; the next job starts a new one). */
  private async closeWriter(entry: Entry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    const writer = entry.writer;
    entry.writer = undefined;
    if (!writer) return entry.closing;
    const crashed = writer.crashed;
    const closing = writer.close().then(() => {
      // a thread that died (or was killed) cannot have released the lock it held for this process
      if (crashed) releaseOwnLock(entry.path);
    });
    entry.closing = closing;
    await closing;
    if (entry.closing === closing) entry.closing = undefined;
  }

  private finish(job: JobState, status: JobStatus, result?: Record<string, unknown>, error?: JobState['error']): void {
    job.status = status;
    if (result) job.result = result;
    if (error) job.error = error;
    job.finished = new Date().toISOString();
    this.emit(job);
  }

  private emit(job: JobState): void {
    this.events.emit(`job:${job.id}`, job);
  }

  /** A job's state, or undefined. */
  job(id: string): JobState | undefined {
    return this.jobs.get(id);
  }

  /** Waits until the job has finished. */
  async waitForJob(id: string): Promise<JobState> {
    const job = this.jobs.get(id);
    if (!job) throw new RalmError('NOT_FOUND', `job ${id} does not exist`);
    if (job.finished) return job;
    return new Promise((resolvePromise) => {
      const listener = (state: JobState) => {
        if (!state.finished) return;
        this.events.off(`job:${id}`, listener);
        resolvePromise(state);
      };
      this.events.on(`job:${id}`, listener);
    });
  }

  /** Sizes of the open collections' files, in bytes (for metrics). */
  sizes(): Array<{ name: string; bytes: number; documents: number }> {
    const out: Array<{ name: string; bytes: number; documents: number }> = [];
    for (const entry of this.entries.values()) {
      let bytes = 0;
      for (const suffix of ['', '-wal']) {
        try {
          bytes += statSync(join(entry.path, STORE_FILE + suffix)).size;
        } catch {
          // absent
        }
      }
      let documents = 0;
      try {
        documents = entry.reader.stats().documents;
      } catch {
        // closed
      }
      out.push({ name: entry.name, bytes, documents });
    }
    return out;
  }

  private assertOpen(): void {
    if (this.closed) throw new RalmError('CLOSED', 'the server is shutting down');
  }

  /**
   * Shuts down: running jobs are told to stop (the one running rolls back, queued ones are cancelled) unless
   * `drain` is set, in which case they finish and commit; then every collection is closed.
   */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (!options.drain) this.shutdown.abort();
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((e) => e.queue));
    this.closed = true;
    for (const entry of entries) {
      await this.closeWriter(entry);
      await entry.reader.close();
    }
    this.entries.clear();
  }
}
