/**
 * Entry point of an ONNX worker — a child process (default) or a worker thread: loads one {@link Runtime} (from an
 * `init` message, or `workerData` in a thread), answers `ready` (or `failed`), then runs jobs one at a time in
 * arrival order. Vectors travel back as one Float32Array per batch (transferred in a thread, cloned over IPC).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RalmError } from '../../core/errors.js';
import { loadRuntime, type Runtime, type RuntimeSpec } from './runtime.js';
import type { WorkerJob, WorkerReply } from './protocol.js';

/** The link to the parent: the thread's port, or the child process's IPC channel. */
const port = parentPort
  ? {
      postMessage: (message: WorkerReply, transfer?: ArrayBuffer[]) => parentPort!.postMessage(message, transfer),
      on: (listener: (job: WorkerJob) => void) => parentPort!.on('message', listener),
    }
  : {
      postMessage: (message: WorkerReply) => process.send!(message),
      on: (listener: (job: WorkerJob) => void) => process.on('message', listener as (message: unknown) => void),
    };
if (!parentPort) process.on('disconnect', () => process.exit(0)); // the parent is gone

function serialize(error: unknown): { code: string; message: string } {
  if (RalmError.is(error)) return { code: error.code, message: error.message };
  return { code: 'PROVIDER', message: error instanceof Error ? error.message : String(error) };
}

let runtime: Runtime | undefined;

const specReceived: Promise<RuntimeSpec> = parentPort
  ? Promise.resolve((workerData as { spec: RuntimeSpec }).spec)
  : new Promise((resolve) => {
      const onInit = (message: unknown) => {
        if ((message as WorkerJob).type !== 'init') return;
        process.off('message', onInit);
        resolve((message as Extract<WorkerJob, { type: 'init' }>).spec);
      };
      process.on('message', onInit);
    });

const loading = specReceived.then(loadRuntime).then(
  (loaded) => {
    runtime = loaded;
    port.postMessage({ type: 'ready', info: loaded.info } satisfies WorkerReply);
  },
  (error: unknown) => port.postMessage({ type: 'failed', error: serialize(error) } satisfies WorkerReply),
);
/** Jobs run one after another, after the model has loaded. */
let queue: Promise<unknown> = loading;

port.on((job: WorkerJob) => {
  if (job.type === 'init') return;
  queue = queue.then(async () => {
    if (job.type === 'close') {
      await runtime?.dispose();
      port.postMessage({ type: 'closed' } satisfies WorkerReply);
      if (!parentPort) process.disconnect();
      return;
    }
    try {
      if (!runtime) throw new RalmError('PROVIDER', 'the ONNX worker has no model loaded');
      if (job.type === 'embed') {
        const { data, dimensions } = await runtime.embed(job.texts);
        port.postMessage({ type: 'result', id: job.id, data, dimensions } satisfies WorkerReply, [data.buffer as ArrayBuffer]);
      } else {
        const data = await runtime.score(job.query, job.passages);
        port.postMessage({ type: 'result', id: job.id, data, dimensions: 1 } satisfies WorkerReply, [data.buffer as ArrayBuffer]);
      }
    } catch (error) {
      port.postMessage({ type: 'error', id: job.id, error: serialize(error) } satisfies WorkerReply);
    }
  });
});
