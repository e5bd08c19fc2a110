// A writer leaves WAL checkpoints to the checkpoint thread (commits do not wait for them): after a large commit the
// log is checkpointed in the background, readers and a second writer see every commit, and closing removes the log.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentStore, documentHash, STORE_FILE } from '../../src/store/index.js';
import { checkpointThread, walSize, WAL_CHECKPOINT_BYTES } from '../../src/store/checkpointer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-checkpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Commits `count` documents of ~2 KB each (seq `seq`) and returns their ids. */
function commitDocuments(store: DocumentStore, seq: number, count: number, from = 0): string[] {
  const ids: string[] = [];
  store.beginTransaction();
  for (let i = from; i < from + count; i++) {
    const doc = { id: `d${i}`, title: `title ${i}`, text: `${i} `.repeat(500), metadata: {} };
    store.insertDocument({ ...doc, hash: documentHash(doc) }, seq, [{ chunkno: i + 1, ordinal: 0, start: 0, end: doc.text.length }]);
    ids.push(doc.id);
  }
  store.setMeta('last_seq', String(seq));
  store.commitTransaction();
  return ids;
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('checkpoints off the commit path', () => {
  it('runs here (the compiled checkpoint worker is built by the test setup)', () => {
    expect(checkpointThread()).not.toBeNull();
  });

  it('a large commit returns with the log un-checkpointed; the thread checkpoints it; every commit stays readable', async () => {
    const threadBefore = checkpointThread()!.checkpoints;
    const store = DocumentStore.open(dir, { create: true });
    const file = join(dir, STORE_FILE);
    // SQLite's own checkpoints (inside a commit) are off for this writer
    expect((store as unknown as { connection: Database.Database }).connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const mainBefore = statSync(file).size;
    commitDocuments(store, 1, 3000); // ~6 MB of text: past SQLite's automatic threshold of 1,000 pages
    expect(walSize(file)).toBeGreaterThan(WAL_CHECKPOINT_BYTES);
    await until(() => checkpointThread()!.checkpoints > threadBefore);
    expect(statSync(file).size).toBeGreaterThan(mainBefore + 4_000_000); // the pages reached the main file
    // a reader in another connection sees the commit; so does the writer after more commits
    const reader = DocumentStore.open(dir, { readOnly: true });
    expect(reader.liveDocumentCount()).toBe(3000);
    commitDocuments(store, 2, 10, 3000);
    expect(store.liveDocumentCount()).toBe(3010);
    expect(reader.liveDocumentCount()).toBe(3010);
    reader.close();
    store.close();
    // the last connection closed: everything is in the main file, the log is gone
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = DocumentStore.open(dir);
    expect(reopened.liveDocumentCount()).toBe(3010);
    expect(reopened.getDocuments(['d2999'])[0]?.text).toBe('2999 '.repeat(500));
    reopened.close();
  });

  it('the log is cut back once checkpointed, so small commits after a large one ask for no checkpoint', async () => {
    const store = DocumentStore.open(dir, { create: true });
    const file = join(dir, STORE_FILE);
    const started = checkpointThread()!.checkpoints;
    commitDocuments(store, 1, 3000);
    await until(() => checkpointThread()!.checkpoints > started);
    const before = checkpointThread()!.checkpoints;
    commitDocuments(store, 2, 5, 3000); // restarts the log from its start, cut to the size limit
    expect(walSize(file)).toBeLessThanOrEqual(WAL_CHECKPOINT_BYTES);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checkpointThread()!.checkpoints).toBe(before);
    store.close();
  });

  it('a writer whose checkpoint thread failed checkpoints on its own connection, in the commit, as SQLite would', () => {
    const store = DocumentStore.open(dir, { create: true });
    const file = join(dir, STORE_FILE);
    const mainBefore = statSync(file).size;
    const thread = checkpointThread()!;
    const asked = thread.checkpoints;
    thread.failed = true;
    try {
      commitDocuments(store, 1, 3000);
      expect(statSync(file).size).toBeGreaterThan(mainBefore + 4_000_000); // copied before commitTransaction returned
      expect(thread.checkpoints).toBe(asked);
      expect(store.liveDocumentCount()).toBe(3000);
    } finally {
      thread.failed = false;
      store.close();
    }
  });

  it('readers never checkpoint and never turn automatic checkpoints off', () => {
    DocumentStore.open(dir, { create: true }).close();
    const db = new Database(join(dir, STORE_FILE));
    expect((db.pragma('wal_autocheckpoint') as Array<{ wal_autocheckpoint: number }>)[0]!.wal_autocheckpoint).toBe(1000);
    db.close();
  });
});
