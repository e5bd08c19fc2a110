// kill -9 of `ralm index --embedder openai:<model>` at random moments — while chunks are embedded, while the commit
// is written, while the HNSW checkpoint is saved: the collection must always open with exactly its last completed
// commit, every committed chunk with its vector in the index (the checkpoint loaded and reconciled with the store, or
// rebuilt), and `ralm verify` must pass.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { ralmBin } from '../helpers/cli.js';
import { serverVector, startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';

const available = await import('usearch').then(
  () => true,
  () => false,
);

let dir: string;
let server: EmbeddingsServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-dense-crash-'));
  server = await startEmbeddingsServer({ dimensions: 16 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const textOf = (round: number, i: number) => `marker${round} passage number ${i} with words ${i % 97} and ${(i * 31) % 101}`;

/** Runs `ralm` without blocking this process's event loop (it serves the embeddings the child asks for). */
function ralm(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ralmBin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

function corpus(file: string, round: number, count: number): void {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ _id: `r${round}-${i}`, text: textOf(round, i) }));
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe.runIf(available)('kill -9 during vector ingest', () => {
  it('loses nothing that was committed, every time', async () => {
    const index = join(dir, 'index');
    const seed = join(dir, 'seed.jsonl');
    corpus(seed, 0, 150);
    const flags = ['--index', index, '--no-chunking', '--no-dedup', '--base-url', server.baseURL];
    const first = await ralm(['index', seed, ...flags, '--embedder', 'openai:crash-test', '--hnsw-threshold', '300']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    let expected = 150;
    const committedRounds = [0];
    const perRound = 400;
    const outcomes: string[] = [];
    // every request answers after a pause, so a run spends a few seconds embedding
    const slow = () => Array.from({ length: 400 }, () => ({ kind: 'slow' as const, delayMs: 40 }));
    // kill moments spread over a whole run: before, during and after embedding, the commit and the checkpoint
    let fullRunMs = 2500;
    for (let round = 1; round <= 8; round++) {
      const file = join(dir, `round${round}.jsonl`);
      corpus(file, round, perRound);
      server.script = slow();
      const started = performance.now();
      const child = spawn(process.execPath, [ralmBin, 'index', file, ...flags], { stdio: 'ignore' });
      const delay = 200 + Math.floor(Math.random() * 1.2 * fullRunMs);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      if (code === 0) fullRunMs = performance.now() - started;
      const reader = await openCollection({ path: index, readOnly: true });
      try {
        const stats = reader.stats();
        expect([expected, expected + perRound]).toContain(stats.documents);
        const committed = stats.documents === expected + perRound;
        if (committed) {
          expected += perRound;
          committedRounds.push(round);
        }
        outcomes.push(`round ${round}: ${code === 0 ? 'finished' : `killed at ${delay} ms`}, ${committed ? 'committed' : 'not committed'}; dense index ${stats.dense?.index} from ${stats.dense?.source}`);
        // every committed chunk has its vector in the index, and is found by it
        expect(stats.dense).toMatchObject({ embedder: 'openai:crash-test', dimensions: 16, vectors: expected });
        for (const r of committedRounds) {
          for (const i of r === 0 ? [0, 75, 149] : [0, 199, perRound - 1]) {
            const { hits } = reader.searchNow(`marker${r}`, { k: 1, mode: 'dense', queryVector: Float32Array.from(serverVector(textOf(r, i), 16)), documents: false });
            expect(hits[0]?.id).toBe(`r${r}-${i}`);
          }
        }
      } finally {
        await reader.close();
      }
      const report = await verifyCollection(index);
      expect(report.problems).toEqual([]);
    }
    // the killed writer's lock is recovered; the next run embeds only what no earlier run finished
    server.script = [];
    const last = join(dir, 'last.jsonl');
    corpus(last, 99, 10);
    const before = server.requests.length;
    expect((await ralm(['index', last, ...flags])).code).toBe(0);
    expect(server.requests.slice(before).flatMap((r) => r.body.input ?? [])).toHaveLength(10);
    console.log(outcomes.join('\n'));
  }, 180_000);
});
