/** Messages between the ONNX worker pool and its worker threads (internal). */
import type { RuntimeInfo, RuntimeSpec } from './runtime.js';

/** A job posted to a worker. */
export type WorkerJob =
  | { type: 'init'; spec: RuntimeSpec }
  | { type: 'embed'; id: number; texts: string[] }
  | { type: 'score'; id: number; query: string; passages: string[] }
  | { type: 'close' };

/** A worker's answer. */
export type WorkerReply =
  | { type: 'ready'; info: RuntimeInfo }
  | { type: 'failed'; error: { code: string; message: string } }
  | { type: 'result'; id: number; data: Float32Array; dimensions: number }
  | { type: 'error'; id: number; error: { code: string; message: string } }
  | { type: 'closed' };
