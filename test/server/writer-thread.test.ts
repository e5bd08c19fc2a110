/**
 * The server's writes run in a per-collection worker thread: it holds the write lock while it lives, is closed
 * after an idle period (lock and memory given back), and a thread that dies mid-job fails only that job —
 * committed data stays, and the next job gets a fresh thread (recovering the lock the dead one held).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CollectionRegistry } from '../../src/server/registry.js';
import { openCollection } from '../../src/index.js';

describe('writer thread', () => {
  const dirs: string[] = [];
  const registries: CollectionRegistry[] = [];
  afterEach(async () => {
    for (const r of registries.splice(0)) await r.close({ drain: true });
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function setup(writerIdleMs: number) {
    const root = mkdtempSync(join(tmpdir(), 'ralm-writer-'));
    dirs.push(root);
    const registry = new CollectionRegistry({ root, writerIdleMs });
    registries.push(registry);
    await registry.create('docs', { chunking: false });
    return { registry, path: join(root, 'docs') };
  }

  async function ids(registry: CollectionRegistry): Promise<string[]> {
    const reader = await registry.reader('docs');
    return [...reader.documents()].map((d) => d.id).sort();
  }

  it('holds the lock while it lives and gives it back after the idle period', async () => {
    const { registry, path } = await setup(300);
    const job = await registry.submit('docs', 'documents', async ({ writer }) => {
      await writer.add([{ id: 'a', text: 'alpha' }]);
    });
    expect((await registry.waitForJob(job.id)).status).toBe('succeeded');
    expect(registry.writerThread('docs')?.alive).toBe(true);
    await expect(openCollection({ path })).rejects.toMatchObject({ code: 'LOCKED' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(registry.writerThread('docs')).toBeUndefined();
    const direct = await openCollection({ path }); // the lock is free again
    await direct.close();
    expect(await ids(registry)).toEqual(['a']);
  });

  it('a thread killed mid-job fails that job only; committed data stays and the next job works', async () => {
    const { registry } = await setup(60_000);
    const first = await registry.submit('docs', 'documents', async ({ writer }) => {
      await writer.add([
        { id: 'a', text: 'alpha' },
        { id: 'b', text: 'bravo' },
      ]);
    });
    expect((await registry.waitForJob(first.id)).status).toBe('succeeded');
    const crashed = await registry.submit('docs', 'documents', async ({ writer }) => {
      await writer.add([{ id: 'c', text: 'charlie' }]);
      await registry.writerThread('docs')!.kill(); // as if the thread crashed
      await writer.add([{ id: 'c2', text: 'charlie again' }]);
    });
    const state = await registry.waitForJob(crashed.id);
    expect(state.status).toBe('failed');
    expect(state.error?.message).toMatch(/writer thread .* exited/);
    expect(await ids(registry)).toEqual(['a', 'b']);
    const next = await registry.submit('docs', 'documents', async ({ writer }) => {
      await writer.add([{ id: 'd', text: 'delta' }]);
      expect((await writer.get(['a']))[0]?.text).toBe('alpha');
    });
    const after = await registry.waitForJob(next.id);
    expect(after.status, after.error?.message).toBe('succeeded');
    expect(await ids(registry)).toEqual(['a', 'b', 'd']);
  });

  it('errors of the collection reach the job with their code', async () => {
    const { registry } = await setup(60_000);
    const job = await registry.submit('docs', 'documents', async ({ writer }) => {
      await writer.add([{ id: '', text: 'no id' }]);
    });
    const state = await registry.waitForJob(job.id);
    expect(state.status).toBe('failed');
    expect(state.error?.code).toBe('INVALID_ARGUMENT');
    expect(await ids(registry)).toEqual([]);
  });
});
