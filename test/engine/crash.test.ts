// kill -9 of `ralm index` at random moments: the collection must always open and hold exactly the
// documents of its last completed commit (never a partial one), and `ralm verify` must pass.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { ralm, ralmBin } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(file: string, round: number, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ _id: `r${round}-${i}`, title: `round${round} document ${i}`, text: `marker${round} body text number ${i} with some words ${i % 97} and more ${i % 13}` }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function countMarker(path: string, round: number): Promise<number> {
  const c = await openCollection({ path, readOnly: true });
  try {
    return (await c.search(`marker${round}`, { k: 100_000, documents: false })).hits.length;
  } finally {
    await c.close();
  }
}

describe('kill -9 during ralm index', () => {
  it('leaves the collection at its last completed commit, every time', async () => {
    const index = join(dir, 'index');
    const seed = join(dir, 'seed.jsonl');
    corpus(seed, 0, 200);
    expect(ralm(['index', seed, '--index', index]).code).toBe(0);
    let expectedDocuments = 200;
    const perRound = 12_000;
    const outcomes: string[] = [];
    for (let round = 1; round <= 6; round++) {
      const file = join(dir, `round${round}.jsonl`);
      corpus(file, round, perRound);
      const child = spawn(process.execPath, [ralmBin, 'index', file, '--index', index], { stdio: 'ignore' });
      const delay = 100 + Math.floor(Math.random() * 2500);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      const c = await openCollection({ path: index, readOnly: true });
      const documents = c.stats().documents;
      await c.close();
      const found = await countMarker(index, round);
      if (code === 0) {
        expectedDocuments += perRound;
        expect(found).toBe(perRound);
        outcomes.push(`round ${round}: finished before the kill at ${delay} ms`);
      } else {
        // killed: either the commit had completed (all documents) or not (none) — never in between
        expect([0, perRound]).toContain(found);
        if (found === perRound) expectedDocuments += perRound;
        outcomes.push(`round ${round}: killed at ${delay} ms, ${found === 0 ? 'before' : 'after'} the commit`);
      }
      expect(documents).toBe(expectedDocuments);
      const report = await verifyCollection(index);
      expect(report.problems).toEqual([]);
    }
    // The stale lock of a killed writer is recovered by the next writer.
    const last = join(dir, 'last.jsonl');
    corpus(last, 99, 10);
    expect(ralm(['index', last, '--index', index]).code).toBe(0);
    expect(await countMarker(index, 99)).toBe(10);
    console.log(outcomes.join('\n'));
  });
});
