/**
 * WAL checkpoints off the commit path. SQLite copies a database's write-ahead log into the main file (a checkpoint)
 * automatically when a commit leaves the log above 1,000 pages, inside that commit: a large commit then writes its
 * pages twice before it returns — 65–80 ms of a 5k-document commit, measured. A writer whose process can start the
 * checkpoint thread turns that off (`wal_autocheckpoint = 0`) and, after each commit that leaves the log above the same
 * size, asks the thread to checkpoint. A commit is durable without a checkpoint (WAL, synchronous=FULL): the thread
 * only keeps the log short. If the log still grows past {@link WAL_HARD_LIMIT_BYTES} (the thread failed, or readers
 * kept it from finishing), the writer checkpoints on its own connection, as SQLite would have.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { compiledWorkerScript } from '../core/worker-script.js';

/** What the checkpoint thread is started with. */
export interface CheckpointWorkerData {
  /** `Int32Array` over a `SharedArrayBuffer`: element 0 counts checkpoints run; the others are release acknowledgements. */
  signal: Int32Array;
}

/** A message to the checkpoint thread. */
export type CheckpointMessage = { type: 'checkpoint'; file: string } | { type: 'release'; file: string; slot: number };

/** The log size (bytes) past which a checkpoint is asked for: SQLite's automatic threshold, 1,000 pages of 4 KiB. */
export const WAL_CHECKPOINT_BYTES = 1000 * 4096;
/** The log size past which the writer checkpoints itself (the thread may be failing, or be kept from finishing). */
export const WAL_HARD_LIMIT_BYTES = 1024 * 1024 * 1024;
/** How long closing a database waits for the thread to let go of it. */
const RELEASE_TIMEOUT_MS = 10_000;
const SLOTS = 64;

/**
 * The process's checkpoint thread: started by the first checkpoint asked for (not when a writer opens: a commit too
 * small to need one never pays for the thread), unref'd (it never keeps the process alive).
 */
class CheckpointThread {
  private worker: Worker | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  private nextSlot = 1;
  failed = false;

  constructor(private readonly script: URL) {}

  /** Checkpoints run so far (for tests). */
  get checkpoints(): number {
    return Atomics.load(this.signal, 0);
  }

  /** Asks for a checkpoint of `file`; false when the thread cannot be started (then it is marked failed). */
  checkpoint(file: string): boolean {
    const message: CheckpointMessage = { type: 'checkpoint', file };
    try {
      this.start().postMessage(message);
      return true;
    } catch {
      this.failed = true;
      return false;
    }
  }

  /** Closes the thread's connection to `file` (blocks until it has, or the thread does not answer in time). */
  release(file: string): void {
    if (this.failed || this.worker === null) return;
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot % (SLOTS - 1)) + 1;
    Atomics.store(this.signal, slot, 0);
    const message: CheckpointMessage = { type: 'release', file, slot };
    this.worker.postMessage(message);
    Atomics.wait(this.signal, slot, 0, RELEASE_TIMEOUT_MS);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const data: CheckpointWorkerData = { signal: this.signal };
    const worker = new Worker(this.script, { workerData: data });
    const fail = (): void => {
      this.failed = true;
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

let thread: CheckpointThread | null | undefined;

/**
 * The checkpoint thread (started when first asked to checkpoint); null when its compiled script is missing (running
 * from the TypeScript sources without a build) or it failed — then writers keep SQLite's automatic checkpoints.
 *
 * @example
 * ```ts
 * const checkpoints = checkpointThread(); // null: keep wal_autocheckpoint as it is
 * ```
 */
export function checkpointThread(): CheckpointThread | null {
  if (thread === undefined) {
    const script = compiledWorkerScript(import.meta.url, 'checkpoint-worker.js');
    thread = script ? new CheckpointThread(script) : null;
  }
  return thread && !thread.failed ? thread : null;
}

/** Size in bytes of `file`'s write-ahead log (0 when there is none). */
export function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

export type { CheckpointThread };
