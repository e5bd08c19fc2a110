/**
 * A collection's writer in its own worker thread. The server's event loop only posts documents to it and awaits
 * replies, so ingest work (analysis, near-duplicates, segments, the SQLite commit, merges) never delays a search.
 * The thread holds the collection's write lock while it lives; the registry ends it when the collection has been
 * idle for a while, which also gives its memory back. A thread that dies fails the calls in flight (the open
 * commit is lost, as with a crash; committed data is not) and the next job starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RalmError, type RalmErrorCode } from '../core/errors.js';
import type { DocumentInput, StoredDocument } from '../core/types.js';
import type { CommitResult } from '../engine/index.js';

/** A request to the writer thread. */
export type WriterRequest =
  | { id: number; op: 'add'; documents: DocumentInput | DocumentInput[] }
  | { id: number; op: 'delete'; ids: string[] }
  | { id: number; op: 'get'; ids: string[] }
  | { id: number; op: 'commit' }
  | { id: number; op: 'rollback' }
  | { id: number; op: 'close' };

/** The writer thread's reply to one request. */
export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: string; message: string } };

type RequestBody = WriterRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The compiled worker script: `writer-worker.js` beside this module; when this module runs from its TypeScript
 * source (vitest, vite-node), the compiled copy under `dist/` (built by `npm run build`).
 */
function workerScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./writer-worker.js', here);
  const compiled = new URL(here.replace(/\/src\/server\/[^/]+\.ts$/, '/dist/server/writer-worker.js'));
  if (compiled.href === here || !existsSync(fileURLToPath(compiled))) {
    throw new RalmError('NOT_FOUND', `the server's writer thread needs the compiled ${fileURLToPath(compiled)}: run \`npm run build\``);
  }
  return compiled;
}

/**
 * The writable side of one collection, in a worker thread.
 *
 * @example
 * ```ts
 * const writer = new WriterThread('collections/docs');
 * await writer.add([{ id: 'a', text: 'hello' }]);
 * await writer.commit();
 * await writer.close();
 * ```
 */
export class WriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;
  private dead: Error | null = null;
  private closing = false;
  private exited: Promise<void>;

  constructor(readonly path: string) {
    this.worker = new Worker(workerScript(), { workerData: { path } });
    this.worker.on('message', (reply: WriterReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(reply.error.code === 'INTERNAL' ? new Error(reply.error.message) : new RalmError(reply.error.code as RalmErrorCode, reply.error.message));
    });
    this.worker.on('error', (error) => this.fail(new Error(`the writer thread of ${path} failed: ${error.message}`)));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.fail(new Error(`the writer thread of ${path} exited (code ${code})`));
        resolve();
      }),
    );
  }

  /** Whether the thread ended without being closed (it may have left the collection's lock behind). */
  get crashed(): boolean {
    return this.dead !== null && !this.closing;
  }

  /** Whether the thread can still take requests. */
  get alive(): boolean {
    return this.dead === null;
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private call<T>(request: RequestBody): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  add(documents: DocumentInput | DocumentInput[]): Promise<void> {
    return this.call({ op: 'add', documents });
  }

  delete(ids: string | string[]): Promise<void> {
    return this.call({ op: 'delete', ids: Array.isArray(ids) ? ids : [ids] });
  }

  get(ids: readonly string[]): Promise<StoredDocument[]> {
    return this.call({ op: 'get', ids: [...ids] });
  }

  commit(): Promise<CommitResult> {
    return this.call({ op: 'commit' });
  }

  rollback(): Promise<void> {
    return this.call({ op: 'rollback' });
  }

  /** Ends the thread at once, as a crash would (the open commit is lost; committed data is not). */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  /** Closes the collection (an open commit is rolled back) and ends the thread. */
  async close(): Promise<void> {
    const crashed = this.crashed;
    if (!crashed) this.closing = true;
    if (this.alive) {
      try {
        await this.call({ op: 'close' });
      } catch {
        // ending anyway
      }
    }
    await this.worker.terminate();
    await this.exited;
  }
}
