/**
 * Entry point of an ingest worker thread (started by `IngestPool`): runs the tasks it is sent and answers each with
 * its events. Holds no collection state; the analyzer is the registered one the collection names.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { getAnalyzer } from '../analysis/index.js';
import type { ParseOptions } from '../ingest/files.js';
import { runIngestTask, serializeError, TermEncoder, type IngestTask, type TaskContext } from './ingest-task.js';
import type { PrepareSettings } from './prepare.js';

const setup = workerData as { prepare: PrepareSettings; parse: ParseOptions; port: MessagePort };
const context: TaskContext = { prepare: setup.prepare, parse: setup.parse, analyzer: getAnalyzer(setup.prepare.analyzer) };
const port = setup.port;
const encoder = new TermEncoder();

port.on('message', (message: { id: number; task: IngestTask }) => {
  runIngestTask(message.task, { ...context, vocabulary: encoder.begin() }).then(
    (events) => {
      const answer = encoder.encode(events);
      port.postMessage({ id: message.id, events: answer.events, terms: answer.terms, reset: answer.reset }, answer.transfer);
    },
    (error: unknown) => {
      encoder.failed();
      port.postMessage({ id: message.id, error: serializeError(error) });
    },
  );
});
port.postMessage({ ready: true });
