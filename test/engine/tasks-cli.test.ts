/**
 * `ralm summarize | classify | extract`, run from the built dist/ (the global setup builds it) through
 * `registerTaskCommands` on a fresh commander program — the same wiring main.ts gets with one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollection } from '../../src/engine/index.js';
import { repoRoot } from '../helpers/shared.js';

const runner = `
import { Command } from 'commander';
import { registerTaskCommands } from './dist/cli/tasks.js';
const program = new Command('ralm').exitOverride();
registerTaskCommands(program);
try {
  await program.parseAsync(JSON.parse(process.argv[1]), { from: 'user' });
} catch (error) {
  if (error?.code === 'commander.helpDisplayed') process.exit(0);
  process.stderr.write('ralm: ' + error.message + '\\n');
  process.exit(error?.code === 'INVALID_ARGUMENT' || String(error?.code).startsWith('commander.') ? 2 : 1);
}
`;

function ralmTasks(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', runner, JSON.stringify(args)], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let index: string;
beforeAll(async () => {
  index = mkdtempSync(join(tmpdir(), 'ralm-tasks-cli-'));
  const collection = await openCollection({ path: index, create: true, analyzer: 'english' });
  collection.add([
    { id: 'bm25', title: 'Okapi BM25', text: 'BM25 ranks documents by term frequency. BM25 saturates term frequency. Stephen Robertson developed BM25 at City University London.', metadata: { label: 'ranking' } },
    { id: 'commit', title: 'Commits', text: 'A commit writes documents and the index in one SQLite transaction. Every commit is durable.', metadata: { label: 'storage' } },
    { id: 'wal', title: 'WAL', text: 'The write-ahead log makes the transaction durable after a crash.', metadata: { label: 'storage' } },
  ]);
  await collection.commit();
  await collection.close();
});
afterAll(() => rmSync(index, { recursive: true, force: true }));

describe('ralm summarize / classify / extract', () => {
  it('summarize prints cited sentences then numbered sources; --json gives the result', () => {
    const text = ralmTasks(['summarize', 'BM25 term frequency', '--index', index, '--max-sentences', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/BM25 .* \[1\]\.\n\nSources:\n {2}\[1\] bm25 \(line 1\)\n/);
    const json = ralmTasks(['summarize', '--index', index, '--json']);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as { mode: string; citations: unknown[]; documents: number };
    expect(result).toMatchObject({ mode: 'map-reduce', documents: 3 });
    expect(result.citations.length).toBeGreaterThan(0);
  });

  it('classify prints the label, the votes and the neighbours', () => {
    const text = ralmTasks(['classify', 'is a crash-safe transaction durable?', '--index', index, '-k', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe('storage');
    expect(text.stdout).toMatch(/Votes:\n {2}storage {2}100\.0%/);
    expect(text.stdout).toContain('Neighbours:\n  [1] ');
    const json = JSON.parse(ralmTasks(['classify', 'BM25 ranking', '--index', index, '--json']).stdout) as { label: string; label_field: string };
    expect(json).toMatchObject({ label: 'ranking', label_field: 'label' });
  });

  it('extract prints entities and relations with their sources; --json gives validated data', () => {
    const text = ralmTasks(['extract', 'Robertson BM25', '--index', index]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Entities:\n[\s\S]*Stephen Robertson \[1\]/);
    expect(text.stdout).toContain('ORGANIZATION City University London [1]');
    const json = JSON.parse(ralmTasks(['extract', 'Robertson', '--index', index, '--json']).stdout) as { data: { entities: Array<{ source: string }> } };
    expect(json.data.entities.every((e) => e.source === '1')).toBe(true);
  });

  it('help texts carry examples; bad values are usage errors', () => {
    for (const command of ['summarize', 'classify', 'extract']) {
      const help = ralmTasks([command, '--help']);
      expect(help.stdout).toContain('Examples:');
    }
    const bad = ralmTasks(['summarize', 'x', '--index', index, '--max-sentences', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-sentences must be an integer/);
    const generator = ralmTasks(['classify', 'x', '--index', index, '--generator', 'gpt']);
    expect(generator.code).toBe(2);
    expect(generator.stderr).toMatch(/unknown generator "gpt"/);
  });
});
