// Incremental sync of a folder: unchanged files cost nothing, changed files replace their documents,
// vanished files are deleted with --sync, everything in one atomic commit — also under kill -9 — and
// --watch keeps the collection in sync.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { verifyCollection } from '../../src/engine/verify.js';
import { ralm, ralmBin } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-sync-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function snapshot(index: string): Promise<Map<string, string>> {
  const c = await openCollection({ path: index, readOnly: true });
  try {
    const out = new Map<string, string>();
    for (const d of c.documents()) out.set(d.id, d.text);
    return out;
  } finally {
    await c.close();
  }
}

function json(run: { stdout: string }) {
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

describe('incremental sync', () => {
  it('skips unchanged files, replaces changed ones, deletes vanished ones only with --sync', async () => {
    const folder = join(dir, 'docs');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(folder, i % 2 ? 'sub' : '', `note${i}.md`), `# Note ${i}\n\nBody of note ${i} about topic${i}.\n`);
    const index = join(dir, 'index-a');
    const first = json(ralm(['index', folder, '--index', index, '--json'], { cwd: dir }));
    expect(first).toMatchObject({ read: 20, added: 20, documents: 20 });
    const again = json(ralm(['index', folder, '--index', index, '--json'], { cwd: dir }));
    expect(again).toMatchObject({ read: 0, added: 0, updated: 0, deleted: 0, unchanged_files: 20 });

    writeFileSync(join(folder, 'note0.md'), '# Note 0\n\nRewritten with brandnewword.\n');
    unlinkSync(join(folder, 'sub', 'note1.md'));
    writeFileSync(join(folder, 'fresh.md'), '# Fresh\n\nA new file.\n');
    const noSync = json(ralm(['index', folder, '--index', index, '--json'], { cwd: dir }));
    expect(noSync).toMatchObject({ read: 2, added: 1, updated: 1, deleted: 0, unchanged_files: 18, documents: 21 });
    const withSync = json(ralm(['index', folder, '--index', index, '--json', '--sync'], { cwd: dir }));
    expect(withSync).toMatchObject({ read: 0, deleted: 1, vanished_files: 1, documents: 20 });
    const docs = await snapshot(index);
    expect(docs.get('docs/note0.md')).toContain('brandnewword');
    expect(docs.has('docs/sub/note1.md')).toBe(false);
    expect(docs.has('docs/fresh.md')).toBe(true);
    expect((await verifyCollection(index)).problems).toEqual([]);
  });

  it('kill -9 at random moments during a sync leaves the collection before or after the commit, never in between', async () => {
    const folder = join(dir, 'big');
    mkdirSync(folder, { recursive: true });
    const files = 1500;
    const write = (round: number) => {
      for (let i = 0; i < files; i++) {
        const path = join(folder, `f${i}.txt`);
        if ((i + round) % 7 === 0) {
          rmSync(path, { force: true }); // vanishes this round
          continue;
        }
        const changed = (i + round) % 3 === 0;
        writeFileSync(path, `file ${i} ${changed ? `round${round}` : 'stable'} words here and more text to index`);
      }
    };
    const index = join(dir, 'index-big');
    write(0);
    expect(ralm(['index', folder, '--index', index, '--sync'], { cwd: dir }).code).toBe(0);
    let before = await snapshot(index);
    const outcomes: string[] = [];
    for (let round = 1; round <= 5; round++) {
      write(round);
      const child = spawn(process.execPath, [ralmBin, 'index', folder, '--index', index, '--sync'], { cwd: dir, stdio: 'ignore' });
      const delay = 50 + Math.floor(Math.random() * 1500);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exited;
      clearTimeout(timer);
      const after = await snapshot(index);
      // The expected state after a complete sync: exactly the files now in the folder.
      const complete = ralm(['index', folder, '--index', join(dir, `reference-${round}`), '--sync'], { cwd: dir });
      expect(complete.code).toBe(0);
      const reference = await snapshot(join(dir, `reference-${round}`));
      const rename = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [k, v]));
      if (code === 0) expect(after).toEqual(rename(reference));
      else {
        const isBefore = JSON.stringify([...after].sort()) === JSON.stringify([...before].sort());
        const isAfter = JSON.stringify([...after].sort()) === JSON.stringify([...reference].sort());
        expect(isBefore || isAfter).toBe(true);
        outcomes.push(`round ${round}: killed at ${delay} ms, ${isBefore ? 'before' : 'after'} the commit`);
        if (isBefore) {
          // finish the interrupted sync so the next round starts from a known state
          expect(ralm(['index', folder, '--index', index, '--sync'], { cwd: dir }).code).toBe(0);
        }
      }
      expect((await verifyCollection(index)).problems).toEqual([]);
      before = await snapshot(index);
      expect(before).toEqual(reference);
    }
    console.log(outcomes.join('\n'));
  });

  it('--watch keeps the collection in sync as files change', async () => {
    const folder = join(dir, 'watched');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'a.md'), '# A\n\nfirst file\n');
    const index = join(dir, 'index-watch');
    const child = spawn(process.execPath, [ralmBin, 'index', folder, '--index', index, '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = async (predicate: () => boolean, what: string) => {
      for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(predicate(), `${what}; output:\n${output}`).toBe(true);
    };
    await waitFor(() => output.includes('watching'), 'watch started');
    writeFileSync(join(folder, 'b.md'), '# B\n\nzebrafish appears\n');
    const found = async () => {
      const c = await openCollection({ path: index, readOnly: true });
      try {
        return (await c.search('zebrafish', { k: 5 })).hits.length;
      } finally {
        await c.close();
      }
    };
    let hits = 0;
    for (let i = 0; i < 300 && hits === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hits = await found();
    }
    expect(hits, output).toBe(1);
    unlinkSync(join(folder, 'a.md'));
    await waitFor(() => (output.match(/indexed/g) ?? []).length >= 3, 'deletion synced');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const docs = await snapshot(index);
    expect([...docs.keys()]).toEqual(['watched/b.md']);
  });
});
