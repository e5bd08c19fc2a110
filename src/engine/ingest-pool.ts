/**
 * A pool of worker threads that parse files and prepare documents (`ingest-worker.ts`) for a parallel ingest, while
 * the writer's thread applies the results in order. Workers are plain compute: they read no collection and write
 * nothing, so a worker that fails only fails its tasks.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ParseOptions } from '../ingest/files.js';
import { reviveError, TermDecoder, type IngestTask, type SerializedError, type TaskEvent } from './ingest-task.js';
import type { PrepareSettings } from './prepare.js';

/**
 * Tasks sent to one worker ahead of its answers. Enough to keep it busy while the writer's thread is away for a few
 * milliseconds (a stolen task, a segment flush): with 4 the worker idled ~20 % of a 10,000-file ingest, with 16 the
 * run took 10–15 % less wall time (interleaved runs; 64 was no better).
 */
const DEPTH = 16;

type Answer = { ready?: true; id?: number; events?: TaskEvent[]; terms?: string[]; reset?: boolean; error?: SerializedError };

interface PoolWorker {
  worker: Worker;
  /** Where its answers arrive: read synchronously by `poll()` (the writer's thread rarely yields to the event loop). */
  port: MessagePort;
  terms: TermDecoder;
  ready: boolean;
  inFlight: number;
}

/**
 * The default number of ingest workers: one per core beyond the calling thread's (at most 3), none on a single core
 * or on a machine whose 1-minute load average is twice its cores or more. Measured on 2 shared cores (10,000 files,
 * bench/results/ingest.md): a worker costs about 25 % more CPU (its start, a second JIT warm-up, passing documents
 * between threads) but shortens the run by about a quarter at load 1–3 — a second thread also gets a second share of
 * a busy machine — while at load 5–8 it only competed with the calling thread and the run took longer.
 *
 * @example
 * ```ts
 * defaultIngestWorkers(); // 1 on a 2-core machine at load < 4, 0 on a saturated or a 1-core one
 * ```
 */
export function defaultIngestWorkers(): number {
  const cores = availableParallelism();
  if (loadavg()[0]! >= 2 * cores) return 0;
  return Math.max(0, Math.min(3, cores - 1));
}

/**
 * Worker threads for ingest tasks. `start` returns null when the worker script is not available (running from the
 * TypeScript sources): callers then run every task on their own thread.
 *
 * @example
 * ```ts
 * const pool = IngestPool.start(2, { prepare: collection.prepareSettings(), parse: {} });
 * if (pool?.hasCapacity()) pool.run({ kind: 'file', task }, (events, error) => handle(events, error));
 * await pool?.answered();
 * pool?.poll();
 * await pool?.close();
 * ```
 */
export class IngestPool {
  private readonly workers: PoolWorker[] = [];
  private readonly waiting = new Map<number, { worker: PoolWorker; done: (events: TaskEvent[] | null, error?: Error) => void }>();
  /** Wakes `answered()` up. */
  private wake: (() => void) | null = null;
  private nextId = 1;
  private closed = false;

  private constructor(count: number, script: URL, setup: { prepare: PrepareSettings; parse: ParseOptions }) {
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(script, { workerData: { ...setup, port: port2 }, transferList: [port2] });
      const entry: PoolWorker = { worker, port: port1, terms: new TermDecoder(), ready: false, inFlight: 0 };
      port1.on('message', (message: Answer) => this.receive(entry, message));
      const fail = (error: Error) => {
        entry.ready = false;
        const index = this.workers.indexOf(entry);
        if (index >= 0) this.workers.splice(index, 1);
        for (const [id, waiting] of this.waiting) {
          if (waiting.worker !== entry) continue;
          this.waiting.delete(id);
          waiting.done(null, error);
        }
        this.wakeUp();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`ingest worker exited unexpectedly (code ${code})`));
      });
      this.workers.push(entry);
    }
  }

  /** Starts `count` workers, or returns null when there is nothing to start (count 0, or no built worker script). */
  static start(count: number, setup: { prepare: PrepareSettings; parse: ParseOptions }): IngestPool | null {
    if (count < 1) return null;
    const script = new URL('./ingest-worker.js', import.meta.url);
    if (script.protocol !== 'file:' || !existsSync(fileURLToPath(script))) return null;
    return new IngestPool(count, script, setup);
  }

  private receive(entry: PoolWorker, message: Answer): void {
    if (message.ready) entry.ready = true;
    else {
      const waiting = this.waiting.get(message.id!);
      if (!waiting) return;
      this.waiting.delete(message.id!);
      entry.inFlight--;
      if (message.error) waiting.done(null, reviveError(message.error));
      else waiting.done(entry.terms.decode(message.events!, message.terms ?? [], message.reset === true));
    }
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Resolves when a worker answers (or becomes ready, or fails). */
  answered(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Takes in the answers that arrived, calling their callbacks, without yielding to the event loop. */
  poll(): void {
    for (const entry of this.workers) {
      for (let received = receiveMessageOnPort(entry.port); received !== undefined; received = receiveMessageOnPort(entry.port)) {
        this.receive(entry, received.message as Answer);
      }
    }
  }

  /** Whether a started worker can take another task now. */
  hasCapacity(): boolean {
    return this.workers.some((w) => w.ready && w.inFlight < DEPTH);
  }

  /**
   * Sends a task to the least busy ready worker (call only when {@link hasCapacity}); `done` gets its events, or
   * the error that stopped it, from {@link poll} or the event loop.
   */
  run(task: IngestTask, done: (events: TaskEvent[] | null, error?: Error) => void): void {
    let chosen: PoolWorker | undefined;
    for (const w of this.workers) if (w.ready && w.inFlight < DEPTH && (!chosen || w.inFlight < chosen.inFlight)) chosen = w;
    if (!chosen) throw new Error('no ingest worker is free (check hasCapacity() first)');
    const id = this.nextId++;
    chosen.inFlight++;
    this.waiting.set(id, { worker: chosen, done });
    if (task.kind === 'file') {
      // the bytes travel in a buffer of their own (a small Buffer is a view of a shared slab, which must not move)
      const bytes = new Uint8Array(task.task.bytes);
      chosen.port.postMessage({ id, task: { kind: 'file', task: { ...task.task, bytes } } }, [bytes.buffer]);
    } else chosen.port.postMessage({ id, task });
  }

  /** Stops the workers (tasks still running are abandoned). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.workers.map((w) => {
        w.port.close();
        return w.worker.terminate();
      }),
    );
    this.workers.length = 0;
  }
}
