// One writer and any number of readers across processes: a reader keeps answering, consistently, while
// another process ingests; a second writer is refused with the pid of the first.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { ralm, ralmBin } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-concurrency-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(file: string, prefix: string, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ _id: `${prefix}-${i}`, text: `${prefix} shared words document ${i} about ingestion` }));
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe('readers and writers across processes', () => {
  it('a reader answers consistently (all or nothing of a commit) while another process ingests', async () => {
    const index = join(dir, 'index');
    const seed = join(dir, 'seed.jsonl');
    corpus(seed, 'seed', 300);
    expect(ralm(['index', seed, '--index', index]).code).toBe(0);
    const big = join(dir, 'big.jsonl');
    const perCommit = 20_000;
    corpus(big, 'bulk', perCommit);

    const reader = await openCollection({ path: index, readOnly: true });
    const writer = spawn(process.execPath, [ralmBin, 'index', big, '--index', index], { stdio: ['ignore', 'ignore', 'pipe'] });
    let writerDone = false;
    const exited = new Promise<number | null>((resolve) => writer.on('exit', (code) => { writerDone = true; resolve(code); }));

    // While the writer holds the lock, a second writer is refused with its pid. It runs while the reader searches (a
    // blocking run of it could outlast the writer on a loaded machine, leaving the reader nothing to observe).
    await new Promise((r) => setTimeout(r, 300));
    let second: Promise<{ code: number | null; stderr: string; duringWrite: boolean }> | null = null;
    if (!writerDone) {
      const child = spawn(process.execPath, [ralmBin, 'index', seed, '--index', index], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      second = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, duringWrite: !writerDone })));
    }

    const observed = new Set<number>();
    let searches = 0;
    while (!writerDone || searches === 0) {
      await reader.refresh();
      const seedHits = (await reader.search('seed', { k: 1000, documents: false })).hits.length;
      let bulkHits = 0;
      try {
        bulkHits = (await reader.search('bulk', { k: 100_000, documents: false })).hits.length;
      } catch {
        bulkHits = 0;
      }
      expect(seedHits).toBe(300);
      observed.add(bulkHits);
      searches++;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exited).toBe(0);
    const refused = await second;
    if (refused?.duringWrite) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/locked by pid \d+/);
    }
    await reader.refresh();
    observed.add((await reader.search('bulk', { k: 100_000, documents: false })).hits.length);
    await reader.close();
    // Every observation is a whole commit: nothing, or everything.
    for (const n of observed) expect([0, perCommit]).toContain(n);
    expect(observed.has(perCommit)).toBe(true);
    expect(searches).toBeGreaterThan(1);
  });
});
