/**
 * ralm itself, through its public library API (`openCollection` from `src/index.ts`). The module is loaded
 * at run time so the bench still builds while the engine is being written; `RalmModule` restates the contract.
 */
import type { Peer, PeerFactory, PeerHit } from './types.js';
import { findRepoRoot } from '../corpora.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface RalmCollection {
  add(docs: Array<{ id: string; title?: string; text: string; metadata?: Record<string, unknown> }>): unknown;
  commit(): Promise<unknown>;
  search(query: string, options: { k: number; documents?: boolean }): Promise<{ hits: Array<{ id: string; score: number }> }>;
  close(): Promise<void>;
}

interface RalmModule {
  openCollection(options: {
    path: string;
    create?: boolean;
    readOnly?: boolean;
    analyzer?: string;
    bm25?: { k1: number; b: number };
    chunking?: false;
    deduplicate?: false;
  }): Promise<RalmCollection>;
}

/** Loads `src/index.ts` (or its compiled copy beside the bench build); throws a one-line error when it is not there. */
export async function loadRalm(): Promise<RalmModule> {
  const specifier = '../../src/index.js';
  let mod: Partial<RalmModule>;
  try {
    mod = (await import(specifier)) as Partial<RalmModule>;
  } catch (error) {
    throw new Error(`ralm's library API (src/index.ts) could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof mod.openCollection !== 'function') throw new Error('src/index.ts does not export openCollection yet');
  return mod as RalmModule;
}

export function ralmVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(findRepoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function toHits(hits: Array<{ id: string; score: number }>): PeerHit[] {
  return hits.map((h) => ({ id: h.id, score: h.score }));
}

/** Builds a collection in `context.workDir/collection` (kept there for the read-only reopen run). */
export const createRalmPeer: PeerFactory = async (context) => {
  const ralm = await loadRalm();
  const path = join(context.workDir, 'collection');
  let collection: RalmCollection | undefined;
  const peer: Peer = {
    name: 'ralm',
    version: ralmVersion(),
    notes: [
      `openCollection({ analyzer: 'english', bm25: { k1: ${context.k1}, b: ${context.b} }, chunking: false, deduplicate: false }), title and text passed separately: each document indexed whole, title + text as one field, as Anserini's "flat" BEIR index (ralm's defaults for user folders add chunking and near-duplicate removal, measured in bench/results/ingest.md)`,
      'index time = add() of every document + commit() (atomic, durable, on disk)',
      'search(query, { k: 100, documents: false }): ranked ids and scores, like the peers; its default documents: true (title, snippet and metadata of every hit) is timed in one extra pass, see below',
    ],
    async index(docs) {
      collection = await ralm.openCollection({ path, create: true, analyzer: 'english', bm25: { k1: context.k1, b: context.b }, chunking: false, deduplicate: false });
      collection.add(docs.map((d) => ({ id: d.id, title: d.title, text: d.text })));
      await collection.commit();
    },
    async search(query, k) {
      if (!collection) throw new Error('ralm: search before index');
      return toHits((await collection.search(query, { k, documents: false })).hits);
    },
    extraSearch: {
      label: 'QPS with documents: true (title + snippet + metadata per hit)',
      async search(query, k) {
        if (!collection) throw new Error('ralm: search before index');
        return toHits((await collection.search(query, { k, documents: true })).hits);
      },
    },
    async close() {
      await collection?.close();
    },
  };
  return peer;
};

/** Opens an existing collection read-only (a fresh process serving a committed collection). */
export async function openRalmReadOnly(path: string): Promise<Peer> {
  const ralm = await loadRalm();
  const collection = await ralm.openCollection({ path, readOnly: true });
  return {
    name: 'ralm (reopened read-only)',
    version: ralmVersion(),
    notes: ['openCollection({ path, readOnly: true }) in a fresh process; index time here is the open time; search as above'],
    index() {},
    async search(query, k) {
      return toHits((await collection.search(query, { k, documents: false })).hits);
    },
    extraSearch: {
      label: 'QPS with documents: true (title + snippet + metadata per hit)',
      async search(query, k) {
        return toHits((await collection.search(query, { k, documents: true })).hits);
      },
    },
    async close() {
      await collection.close();
    },
  };
}
