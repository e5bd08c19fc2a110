/**
 * Runs an ONNX {@link Runtime} in a small pool of workers — child processes by default, or worker threads (see
 * {@link WorkerIsolation}) — with batches dispatched round-robin, each worker running its batches in order and
 * results matched to their batch by id; or in the calling thread (`workers: 0`). Idle workers are unref'd, so a
 * forgotten `close()` does not keep the process alive; a worker with work in flight is ref'd.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { RalmError, type RalmErrorCode } from '../../core/errors.js';
import type { WorkerJob, WorkerReply } from './protocol.js';
import { loadRuntime, type RuntimeInfo, type RuntimeSpec } from './runtime.js';

/** A loaded model behind threads or not; calls may overlap (they are queued). */
export interface Runner {
  readonly info: RuntimeInfo;
  /** Worker threads in use (0: the calling thread). */
  readonly workers: number;
  embed(texts: string[], signal?: AbortSignal): Promise<{ data: Float32Array; dimensions: number }>;
  score(query: string, passages: string[], signal?: AbortSignal): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Default worker count: min(2, cores). */
export function defaultWorkerCount(): number {
  return Math.min(2, availableParallelism());
}

function abortedError(signal: AbortSignal): RalmError {
  return new RalmError('ABORTED', 'the ONNX call was aborted', { cause: signal.reason, isRetryable: false });
}

/** Resolves with `promise` unless `signal` aborts first (the work itself runs to its end and is discarded). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The compiled worker script: `worker.js` beside this module; when this module runs from its TypeScript source
 * (vitest, vite-node) the compiled copy under `dist/` (built by `npm run build`).
 */
function workerScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./worker.js', here);
  const compiled = new URL(here.replace(/\/src\/embed\/onnx\/[^/]+\.ts$/, '/dist/embed/onnx/worker.js'));
  if (compiled.href === here || !existsSync(fileURLToPath(compiled))) {
    throw new RalmError('NOT_FOUND', `ONNX workers need the compiled worker ${fileURLToPath(compiled)}: run \`npm run build\` (or pass workers: 0)`);
  }
  return compiled;
}

function revive(error: { code: string; message: string }): RalmError {
  return new RalmError(error.code as RalmErrorCode, error.message, error.code === 'PROVIDER' ? { isRetryable: false } : {});
}

interface Pending {
  resolve(reply: Extract<WorkerReply, { type: 'result' }>): void;
  reject(error: RalmError): void;
}

/**
 * How workers are isolated. `'process'` (default): child processes, each with its own onnxruntime. `'thread'`:
 * worker threads, which onnxruntime-node 1.21 supports for one thread per process only (its native binding keeps
 * the Tensor constructor in a process-wide reference bound to the first isolate that ran a model;
 * microsoft/onnxruntime#24486), so `'thread'` allows `workers: 1` and needs the calling thread not to run
 * onnxruntime itself.
 */
export type WorkerIsolation = 'process' | 'thread';

/** The parent's end of a worker: a worker thread or a child process behind one interface. */
interface Channel {
  send(job: WorkerJob): void;
  onMessage(listener: (reply: WorkerReply) => void): void;
  offMessage(listener: (reply: WorkerReply) => void): void;
  onFailure(listener: (error: Error | undefined, code: number | null) => void): void;
  offFailure(listener: (error: Error | undefined, code: number | null) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

function threadChannel(script: URL, spec: RuntimeSpec): Channel {
  const worker = new Worker(script, { workerData: { spec } });
  const failures = new Map<(e: Error | undefined, c: number | null) => void, { error(e: Error): void; exit(c: number): void }>();
  return {
    send: (job) => worker.postMessage(job),
    onMessage: (l) => worker.on('message', l),
    offMessage: (l) => worker.off('message', l),
    onFailure(l) {
      const h = { error: (e: Error) => l(e, null), exit: (c: number) => l(undefined, c) };
      failures.set(l, h);
      worker.on('error', h.error);
      worker.on('exit', h.exit);
    },
    offFailure(l) {
      const h = failures.get(l);
      if (!h) return;
      worker.off('error', h.error);
      worker.off('exit', h.exit);
      failures.delete(l);
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

function processChannel(script: URL, spec: RuntimeSpec): Channel {
  const child = fork(fileURLToPath(script), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const failures = new Map<(e: Error | undefined, c: number | null) => void, { error(e: Error): void; exit(c: number | null): void }>();
  const channel = () => child.channel as unknown as { ref?(): void; unref?(): void } | null | undefined;
  child.send({ type: 'init', spec } satisfies WorkerJob);
  return {
    send: (job) => {
      if (child.connected) child.send(job);
    },
    onMessage: (l) => child.on('message', l as (m: unknown) => void),
    offMessage: (l) => child.off('message', l as (m: unknown) => void),
    onFailure(l) {
      const h = { error: (e: Error) => l(e, null), exit: (c: number | null) => l(undefined, c) };
      failures.set(l, h);
      child.on('error', h.error);
      child.on('exit', h.exit);
    },
    offFailure(l) {
      const h = failures.get(l);
      if (!h) return;
      child.off('error', h.error);
      child.off('exit', h.exit);
      failures.delete(l);
    },
    ref: () => {
      child.ref();
      channel()?.ref?.();
    },
    unref: () => {
      child.unref();
      channel()?.unref?.();
    },
    terminate: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

class PooledWorker {
  readonly pending = new Map<number, Pending>();
  broken: RalmError | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly channel: Channel,
    readonly info: RuntimeInfo,
  ) {
    channel.onMessage((reply: WorkerReply) => {
      if (reply.type !== 'result' && reply.type !== 'error') return;
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) channel.unref();
      if (reply.type === 'result') job.resolve(reply);
      else job.reject(revive(reply.error));
    });
    channel.onFailure((error, code) => {
      const failure = this.closing
        ? new RalmError('CLOSED', 'the ONNX model was closed', { isRetryable: false })
        : new RalmError('PROVIDER', error ? `an ONNX worker crashed: ${error.message}` : `an ONNX worker exited (code ${code})`, { cause: error, isRetryable: false });
      this.broken ??= failure;
      for (const job of this.pending.values()) job.reject(failure);
      this.pending.clear();
    });
  }

  static start(script: URL, spec: RuntimeSpec, isolation: WorkerIsolation): Promise<PooledWorker> {
    return new Promise((resolve, reject) => {
      let channel: Channel;
      try {
        channel = isolation === 'thread' ? threadChannel(script, spec) : processChannel(script, spec);
      } catch (cause) {
        return reject(new RalmError('PROVIDER', `cannot start an ONNX worker: ${(cause as Error).message}`, { cause }));
      }
      const onMessage = (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          cleanup();
          channel.unref();
          resolve(new PooledWorker(channel, reply.info));
        } else if (reply.type === 'failed') {
          cleanup();
          void channel.terminate();
          reject(revive(reply.error));
        }
      };
      const onFailure = (error: Error | undefined, code: number | null) => {
        cleanup();
        reject(
          new RalmError('PROVIDER', error ? `an ONNX worker failed to start: ${error.message}` : `an ONNX worker exited (code ${code}) while loading ${spec.model}`, {
            cause: error,
          }),
        );
      };
      const cleanup = () => {
        channel.offMessage(onMessage);
        channel.offFailure(onFailure);
      };
      channel.onMessage(onMessage);
      channel.onFailure(onFailure);
    });
  }

  run(job: WorkerJob & { id: number }): Promise<Extract<WorkerReply, { type: 'result' }>> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.channel.ref();
      this.channel.send(job);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.broken) {
        this.channel.ref();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          const listener = (reply: WorkerReply) => {
            if (reply.type !== 'closed') return;
            clearTimeout(timer);
            this.channel.offMessage(listener);
            resolve();
          };
          this.channel.onMessage(listener);
          this.channel.send({ type: 'close' });
        });
      }
      await this.channel.terminate();
    })();
    return this.closing;
  }
}

/**
 * Loads `spec` in `workers` worker threads (the first one alone, so a download happens once, then the rest in
 * parallel), or in the calling thread when `workers` is 0. Each worker gets ⌊cores / workers⌋ onnxruntime threads.
 * `isolation` chooses child processes (default) or worker threads.
 *
 * @example
 * ```ts
 * const runner = await startRunner({ model: folder, local: true, task: 'embed', dtype: 'fp32', pooling: 'mean', normalize: true }, 2);
 * const { data, dimensions } = await runner.embed(['a', 'b']);
 * await runner.close();
 * ```
 */
export async function startRunner(spec: RuntimeSpec, workers: number, isolation: WorkerIsolation = 'process'): Promise<Runner> {
  if (workers === 0) return startInThread(spec);
  if (isolation === 'thread' && workers > 1) {
    throw new RalmError(
      'UNSUPPORTED',
      `isolation "thread" allows one worker with onnxruntime-node 1.21 (microsoft/onnxruntime#24486); got workers: ${workers}. Use isolation "process" (the default) for more`,
    );
  }
  const script = workerScript();
  const threaded: RuntimeSpec = { ...spec, threads: spec.threads ?? Math.max(1, Math.floor(availableParallelism() / workers)) };
  const first = await PooledWorker.start(script, threaded, isolation);
  const pool = [first];
  const rest = await Promise.allSettled(Array.from({ length: workers - 1 }, () => PooledWorker.start(script, threaded, isolation)));
  for (const r of rest) if (r.status === 'fulfilled') pool.push(r.value);
  const failure = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(pool.map((w) => w.close()));
    throw failure.reason;
  }
  let nextWorker = 0;
  let nextId = 0;
  let closed: Promise<void> | undefined;
  const dispatch = (job: WorkerJob & { id: number }, signal: AbortSignal | undefined) => {
    if (closed) return Promise.reject(new RalmError('CLOSED', `the ONNX model ${spec.model} was closed`));
    const worker = pool[nextWorker]!;
    nextWorker = (nextWorker + 1) % pool.length;
    return raceAbort(worker.run(job), signal);
  };
  return {
    info: first.info,
    workers: pool.length,
    async embed(texts, signal) {
      const { data, dimensions } = await dispatch({ type: 'embed', id: nextId++, texts }, signal);
      return { data, dimensions };
    },
    async score(query, passages, signal) {
      return (await dispatch({ type: 'score', id: nextId++, query, passages }, signal)).data;
    },
    close() {
      closed ??= Promise.all(pool.map((w) => w.close())).then(() => undefined);
      return closed;
    },
  };
}

async function startInThread(spec: RuntimeSpec): Promise<Runner> {
  const runtime = await loadRuntime(spec);
  let queue: Promise<unknown> = Promise.resolve();
  let closed: Promise<void> | undefined;
  const serial = <T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    if (closed) return Promise.reject(new RalmError('CLOSED', `the ONNX model ${spec.model} was closed`));
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const result = queue.then(() => {
      if (signal?.aborted) throw abortedError(signal);
      return work();
    });
    queue = result.catch(() => undefined);
    return raceAbort(result, signal);
  };
  return {
    info: runtime.info,
    workers: 0,
    embed: (texts, signal) => serial(() => runtime.embed(texts), signal),
    score: (query, passages, signal) => serial(() => runtime.score(query, passages), signal),
    close() {
      closed ??= queue.then(() => runtime.dispose());
      return closed;
    },
  };
}
