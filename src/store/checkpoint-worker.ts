/**
 * Entry point of the background checkpoint thread (see `checkpointer.ts`): copies committed WAL frames of the
 * collection databases it is told about into their main files (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks a
 * writer or a reader), on a connection of its own per database, so a commit does not wait for it.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointMessage, CheckpointWorkerData } from './checkpointer.js';

const { signal } = workerData as CheckpointWorkerData;
const connections = new Map<string, Database.Database>();

function release(file: string): void {
  const db = connections.get(file);
  connections.delete(file);
  try {
    db?.close();
  } catch {
    // nothing to keep: the writer's own connection checkpoints on close
  }
}

parentPort!.on('message', (message: CheckpointMessage) => {
  if (message.type === 'release') {
    release(message.file);
    Atomics.store(signal, message.slot, 1);
    Atomics.notify(signal, message.slot);
    return;
  }
  try {
    let db = connections.get(message.file);
    if (!db) {
      db = new Database(message.file, { fileMustExist: true });
      db.pragma('busy_timeout = 0'); // a checkpoint that cannot run now runs after the next commit
      connections.set(message.file, db);
    }
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // e.g. the database was removed meanwhile: forget the connection; the writer checkpoints itself if the WAL grows
    release(message.file);
  }
  Atomics.add(signal, 0, 1);
});
