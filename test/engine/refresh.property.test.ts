/**
 * A read-only collection follows the writer's commits incrementally (refresh() reads only what changed).
 * Property: after any sequence of adds, replacements, deletes, near-duplicate links and promotions, merges
 * and optimizes, the refreshed reader answers every query exactly as a reader opened fresh on the same store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCollection, type Collection } from '../../src/index.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
// long enough (≥ 8 words) for near-duplicate detection, so copies of it are linked and promoted on delete
const SHARED = 'mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray';

type Op =
  | { kind: 'add'; id: number; words: number[]; copy: boolean; chunks: boolean; tag: number }
  | { kind: 'delete'; id: number }
  | { kind: 'commit' }
  | { kind: 'optimize' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 14 }), words: fc.array(fc.integer({ min: 0, max: WORDS.length - 1 }), { minLength: 1, maxLength: 12 }), copy: fc.boolean(), chunks: fc.boolean(), tag: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 0, max: 14 }) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'optimize' as const }) },
);

function textOf(op: Extract<Op, { kind: 'add' }>): string {
  const own = op.words.map((w) => WORDS[w]).join(' ') + '.';
  const body = op.copy ? `${SHARED}. ${own}` : own;
  // several paragraphs with small chunks → several chunks per document
  return op.chunks ? `${body}\n\n${own} ${own}\n\n${SHARED}` : body;
}

async function answers(c: Collection): Promise<unknown> {
  const out: unknown[] = [];
  for (const query of [...WORDS, 'mike tango', 'alpha bravo charlie']) {
    const result = await c.search(query, { k: 50, documents: false });
    out.push(result.hits.map((h) => [h.id, Math.fround(h.score)]));
    const filtered = await c.search(query, { k: 50, documents: false, filter: { tag: 1 } });
    out.push(filtered.hits.map((h) => h.id));
  }
  const stats = c.stats();
  out.push([stats.documents, stats.indexedChunks, stats.terms, stats.lastSeq]);
  return out;
}

describe('incremental reader refresh', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a near-duplicate promoted after newer chunks were written in the same commit is indexed (found by the property below)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ralm-refresh-'));
    dirs.push(dir);
    const c = await openCollection({ path: join(dir, 'c'), create: true, analyzer: 'english', chunking: { targetTokens: 16, overlapTokens: 0 } });
    try {
      const copy = (id: number, words: number[]) => textOf({ kind: 'add', id, words, copy: true, chunks: true, tag: 0 });
      c.add({ id: 'd3', text: copy(3, [0]) });
      c.add({ id: 'd0', text: copy(0, [0]) }); // its copy of the shared passage links to d3's
      c.add({ id: 'd4', text: 'alpha.' }); // a newer chunk key
      c.delete('d3'); // d0's older chunk inherits the shared passage
      await c.commit();
      expect((await c.search('mike tango', { documents: false })).hits.map((h) => h.id)).toEqual(['d0']);
    } finally {
      await c.close();
    }
  });

  it('a refreshed reader equals a freshly opened one after any sequence of commits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = mkdtempSync(join(tmpdir(), 'ralm-refresh-'));
        dirs.push(dir);
        const path = join(dir, 'c');
        const writer = await openCollection({ path, create: true, analyzer: 'english', mergeFactor: 2, chunking: { targetTokens: 16, overlapTokens: 0 } });
        await writer.commit();
        const reader = await openCollection({ path, readOnly: true });
        try {
          for (const op of [...ops, { kind: 'commit' } as Op]) {
            if (op.kind === 'add') writer.add({ id: `d${op.id}`, text: textOf(op), metadata: { tag: op.tag } });
            else if (op.kind === 'delete') writer.delete(`d${op.id}`);
            else {
              if (op.kind === 'commit') await writer.commit();
              else {
                await writer.commit();
                await writer.optimize();
              }
              await new Promise((r) => setImmediate(r)); // let a scheduled background merge run
              await reader.refresh();
              const fresh = await openCollection({ path, readOnly: true });
              try {
                expect(await answers(reader)).toEqual(await answers(fresh));
              } finally {
                await fresh.close();
              }
            }
          }
        } finally {
          await reader.close();
          await writer.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
