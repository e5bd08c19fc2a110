// Content hashes are recorded lazily: a document added under a new id is stored without its hash (HASH_NOT_RECORDED),
// which is computed from the stored title, text and metadata when a later add, isUnchanged or get needs it. Whatever
// was recorded, an equal re-add must be skipped, a different one must replace the stored version, and get() must give
// the SHA-256 of the content.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { prepareDocument } from '../../src/engine/prepare.js';
import { documentHash, HASH_NOT_RECORDED, STORE_FILE } from '../../src/store/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-content-hash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function storedHashes(path: string): Array<{ id: string; hash: string; live: number }> {
  const db = new Database(join(path, STORE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT id, hash, deleted_seq IS NULL AS live FROM documents ORDER BY docno').all() as Array<{ id: string; hash: string; live: number }>;
  } finally {
    db.close();
  }
}

describe('content hashes', () => {
  it('are not recorded for a new id, are recorded for an update, and compare either way', async () => {
    const path = join(dir, 'c');
    const c = await openCollection({ path, create: true, analyzer: 'english', chunking: false, deduplicate: false, analysisWorkers: 0 });
    const a = { id: 'a', title: 'Título', text: 'Okapi BM25 ranks documents', metadata: { year: 2024, tags: ['x', 'ü'], nested: { n: 1.5 } } };
    c.add(a);
    await c.commit();
    expect(storedHashes(path)).toEqual([{ id: 'a', hash: HASH_NOT_RECORDED, live: 1 }]);
    expect((await c.get(['a']))[0]!.hash).toBe(documentHash(a));
    expect(c.isUnchanged(a)).toBe(true);
    expect(c.isUnchanged({ ...a, metadata: { ...a.metadata, year: 2025 } })).toBe(false);

    c.add({ ...a }); // equal: skipped
    expect(await c.commit()).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
    const b = { ...a, text: 'Okapi BM25 ranks documents by term frequency' };
    c.add(b);
    expect(await c.commit()).toMatchObject({ added: 0, updated: 1 });
    expect(storedHashes(path)).toEqual([
      { id: 'a', hash: HASH_NOT_RECORDED, live: 0 },
      { id: 'a', hash: documentHash(b), live: 1 },
    ]);
    c.add({ ...b }); // compared with the recorded hash
    expect(await c.commit()).toMatchObject({ updated: 0, unchanged: 1 });
    expect((await c.get(['a']))[0]!.hash).toBe(documentHash(b));
    await c.close();
  });

  it('compares a document prepared elsewhere (ingest) with a version stored without its hash', async () => {
    const path = join(dir, 'c');
    const c = await openCollection({ path, create: true, analyzer: 'english', chunking: false, deduplicate: false, analysisWorkers: 0 });
    const doc = { id: 'p', text: 'prepared in a worker', metadata: { source: 'x.md' } };
    c.add(doc);
    await c.commit();
    c.addPrepared(prepareDocument(doc, 0, c.prepareSettings()));
    expect(await c.commit()).toMatchObject({ updated: 0, unchanged: 1 });
    c.addPrepared(prepareDocument({ ...doc, text: 'changed' }, 0, c.prepareSettings()));
    expect(await c.commit()).toMatchObject({ updated: 1 });
    await c.close();
  });

  it('skip exactly the re-adds equal to the live version, within one add and across commits (property)', async () => {
    let round = 0;
    const version = fc.record({ id: fc.integer({ min: 0, max: 3 }), text: fc.constantFrom('alpha beta', 'alpha  beta', 'gamma'), title: fc.constantFrom('', 'T'), tag: fc.constantFrom(undefined, 'x', 'é') });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(version, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }), async (commits) => {
        const c = await openCollection({ path: join(dir, `p${round++}`), create: true, analyzer: 'english', chunking: false, deduplicate: false, analysisWorkers: 0 });
        try {
          const live = new Map<string, string>();
          for (const docs of commits) {
            const inputs = docs.map((d) => ({ id: `d${d.id}`, title: d.title, text: d.text, ...(d.tag === undefined ? {} : { metadata: { tag: d.tag } }) }));
            let unchanged = 0;
            for (const input of inputs) {
              const hash = documentHash(input);
              if (live.get(input.id) === hash) unchanged++;
              live.set(input.id, hash);
            }
            c.add(inputs);
            expect((await c.commit()).unchanged).toBe(unchanged);
          }
          const got = await c.get([...live.keys()]);
          expect(new Map(got.map((d) => [d.id, d.hash]))).toEqual(live);
        } finally {
          await c.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
