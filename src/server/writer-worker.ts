/**
 * The body of a collection's writer thread (see writer-thread.ts): it owns the collection's writable instance,
 * so analysis, near-duplicate detection, segment building, commits and merges never block the server's event
 * loop, which keeps answering searches. Requests are handled one at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RalmError } from '../core/errors.js';
import { openCollection, type Collection } from '../engine/index.js';
import type { WriterReply, WriterRequest } from './writer-thread.js';

const port = parentPort;
if (!port) throw new Error('writer-worker.js runs as a worker thread');
const { path } = workerData as { path: string };
let collection: Collection | undefined;
let queue: Promise<void> = Promise.resolve();

async function handle(request: WriterRequest): Promise<unknown> {
  if (request.op === 'close') {
    await collection?.close();
    collection = undefined;
    return undefined;
  }
  collection ??= await openCollection({ path });
  switch (request.op) {
    case 'add':
      collection.add(request.documents);
      return undefined;
    case 'delete':
      collection.delete(request.ids);
      return undefined;
    case 'get':
      return collection.get(request.ids);
    case 'commit':
      return collection.commit();
    case 'rollback':
      collection.rollback();
      return undefined;
  }
}

port.on('message', (request: WriterRequest) => {
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, value: await handle(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: { code: RalmError.is(error) ? error.code : 'INTERNAL', message: (error as Error).message } };
    }
    port.postMessage(reply);
  });
});
