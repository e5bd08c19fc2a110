// What a commit reports (added / updated / deleted documents, and `pendingChanges` before it) is counted as the
// documents come, from the live versions' sequence numbers, without a map by id: it must equal what a map of each
// id's change gives, whatever mix of new ids, updates, unchanged re-adds, deletes and re-adds of deleted ids one
// commit holds (property test against that map). `AddedKeys` must answer as the Map it stands for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { AddedKeys } from '../../src/engine/added-keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-commit-counts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Operation = { kind: 'add'; id: number; version: number } | { kind: 'delete'; id: number };
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 8 }), version: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 8 }) }) },
);

describe('commit counts', () => {
  it('equal a map of each id\'s change over any mix of adds, updates, unchanged re-adds and deletes (property)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(operation, { maxLength: 25 }), { minLength: 1, maxLength: 4 }), async (commits) => {
        const c = await openCollection({ path: join(dir, `c${round++}`), create: true, analyzer: 'english', chunking: false, deduplicate: false, analysisWorkers: 0 });
        try {
          /** Content of each live id, as committed. */
          const stored = new Map<string, string>();
          for (const operations of commits) {
            const live = new Map(stored);
            const changes = new Map<string, 'added' | 'updated' | 'deleted'>();
            let unchanged = 0;
            for (const op of operations) {
              const id = `d${op.id}`;
              if (op.kind === 'add') {
                const text = `document ${id} version ${op.version}`;
                c.add({ id, text });
                if (live.get(id) === text) {
                  unchanged++;
                  continue;
                }
                const previous = changes.get(id);
                changes.set(id, previous === 'added' || (previous === undefined && !live.has(id)) ? 'added' : 'updated');
                live.set(id, text);
              } else {
                c.delete(id);
                if (!live.has(id)) continue;
                const previous = changes.get(id);
                if (previous === 'added') changes.delete(id);
                else changes.set(id, 'deleted');
                live.delete(id);
              }
              expect(c.pendingChanges).toBe(changes.size);
            }
            const count = (kind: string) => [...changes.values()].filter((v) => v === kind).length;
            const result = await c.commit();
            expect({ added: result.added, updated: result.updated, deleted: result.deleted, unchanged: result.unchanged }).toEqual({ added: count('added'), updated: count('updated'), deleted: count('deleted'), unchanged });
            stored.clear();
            for (const [id, text] of live) stored.set(id, text);
            expect(c.stats().documents).toBe(stored.size);
          }
        } finally {
          await c.close();
        }
      }),
      { numRuns: 60, seed: 20261121 },
    );
  });

  it('AddedKeys answers as a Map<number, string> (property)', () => {
    type KeyOperation = { kind: 'set'; key: number; id: number } | { kind: 'delete'; key: number } | { kind: 'has'; key: number } | { kind: 'next'; id: number };
    const keyOperation: fc.Arbitrary<KeyOperation> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('next' as const), id: fc.nat(5) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(60), id: fc.nat(5) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(60) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('has' as const), key: fc.nat(60) }) },
    );
    fc.assert(
      fc.property(fc.array(keyOperation, { maxLength: 80 }), (operations) => {
        const added = new AddedKeys();
        const model = new Map<number, string>();
        let next = 0;
        for (const op of operations) {
          if (op.kind === 'next') {
            next += 1 + (op.id % 3); // ascending keys, the bulk case
            added.set(next, `d${op.id}`);
            model.set(next, `d${op.id}`);
          } else if (op.kind === 'set') {
            added.set(op.key, `d${op.id}`);
            model.set(op.key, `d${op.id}`);
          } else if (op.kind === 'delete') expect(added.delete(op.key)).toBe(model.delete(op.key));
          else expect(added.has(op.key)).toBe(model.has(op.key));
          expect(added.size).toBe(model.size);
        }
        expect([...added.entries()]).toEqual([...model]);
        expect(added.keyList()).toEqual([...model.keys()]);
      }),
      { numRuns: 300, seed: 20261121 },
    );
  });
});
