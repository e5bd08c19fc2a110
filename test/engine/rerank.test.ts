import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openCollection, searchAndRerank, type Collection } from '../../src/index.js';
import type { RerankModel } from '../../src/models/rerank-model.js';
import { ralm } from '../helpers/cli.js';

const DOCS = [
  { id: 'a', title: 'Durability', text: 'A commit is durable once the write-ahead log is synced to disk.' },
  { id: 'b', title: 'Commit messages', text: 'Write a short commit message; commit often. The log of commits tells the story.' },
  { id: 'c', title: 'Zebra', text: 'A zebra has stripes. Commit to memory that a zebra is not a horse; the log says so.' },
  { id: 'd', title: 'Logs', text: 'Log files rotate daily; old logs are compressed.' },
  { id: 'e', title: 'Unrelated', text: 'Tea is brewed with hot water.' },
];

/** A cross-encoder stand-in that prefers passages mentioning zebras, then shorter passages. */
const zebraLover: RerankModel = {
  specificationVersion: 'v1',
  provider: 'test',
  modelId: 'zebra-lover',
  async rerank(_query, passages) {
    return passages.map((p) => (p.includes('zebra') ? 10 : 0) - p.length / 1000);
  },
};

describe('searchAndRerank', () => {
  const dirs: string[] = [];
  const open: Collection[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function collection(): Promise<Collection> {
    const dir = mkdtempSync(join(tmpdir(), 'ralm-rerank-'));
    dirs.push(dir);
    const c = await openCollection({ path: join(dir, 'c'), create: true, analyzer: 'english' });
    open.push(c);
    c.add(DOCS);
    await c.commit();
    return c;
  }

  it('reranks the first stage with a model: same candidates, the model\'s order, ranks renumbered', async () => {
    const c = await collection();
    const first = await c.search('commit log', { k: 10 });
    const reranked = await searchAndRerank(c, 'commit log', { k: 2, rerank: zebraLover, explain: true });
    expect(reranked.hits.map((h) => h.id)[0]).toBe('c');
    expect(reranked.hits.map((h) => h.rank)).toEqual([1, 2]);
    expect(new Set(first.hits.map((h) => h.id))).toEqual(new Set([...first.hits.map((h) => h.id)]));
    for (const hit of reranked.hits) {
      expect(first.hits.some((f) => f.id === hit.id)).toBe(true);
      expect(hit.snippet).toBeTruthy(); // document fields are kept
      expect(hit.text).toBeUndefined(); // text only when asked
      expect(hit.explanation?.description).toContain('zebra-lover');
      expect(JSON.stringify(hit.explanation)).toContain('first-stage score');
    }
    expect(reranked.hits[0]!.score).toBeGreaterThan(reranked.hits[1]!.score);
  });

  it('the feature reranker scores every candidate and never invents hits', async () => {
    const c = await collection();
    const first = await c.search('commit log', { k: 10, documents: false });
    const reranked = await searchAndRerank(c, 'commit log', { k: 10, rerank: 'features', text: true });
    expect(reranked.hits.map((h) => h.id).sort()).toEqual(first.hits.map((h) => h.id).sort());
    for (let i = 1; i < reranked.hits.length; i++) expect(reranked.hits[i - 1]!.score).toBeGreaterThanOrEqual(reranked.hits[i]!.score);
    expect(reranked.hits.every((h) => typeof h.text === 'string' && h.text.length > 0)).toBe(true);
    // the phrase "commit log" does not occur; proximity favours the passage where both terms are close
    const weights = await searchAndRerank(c, 'commit log', { k: 10, rerank: 'features', weights: { bm25: 0, proximity: 1, title: 0, phrase: 0, dense: 0 } });
    expect(weights.hits[0]!.id).not.toBe('d'); // "log" alone
  });

  it('refuses a depth that is not a positive integer', async () => {
    const c = await collection();
    await expect(searchAndRerank(c, 'commit', { rerank: 'features', depth: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('ralm search --rerank features prints reranked hits; a bad depth is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ralm-rerank-cli-'));
    dirs.push(dir);
    const docs = join(dir, 'docs.jsonl');
    writeFileSync(docs, DOCS.map((d) => JSON.stringify(d)).join('\n') + '\n');
    expect(ralm(['index', docs, '--index', join(dir, 'idx')]).code).toBe(0);
    const out = ralm(['search', 'commit log', '--index', join(dir, 'idx'), '--rerank', 'features', '--rerank-depth', '5', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const hits = (JSON.parse(out.stdout) as { hits: Array<{ id: string; rank: number }> }).hits;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.rank)).toEqual(hits.map((_, i) => i + 1));
    const bad = ralm(['search', 'commit', '--index', join(dir, 'idx'), '--rerank', 'features', '--rerank-depth', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--rerank-depth');
  });
});
