import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ralm } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lines(text: string): string[] {
  return text.trim().split('\n').filter(Boolean);
}

describe('ralm CLI', () => {
  it('indexes a folder of .txt/.md files and finds them', () => {
    const docs = join(dir, 'docs');
    mkdirSync(join(docs, 'sub'), { recursive: true });
    writeFileSync(join(docs, 'bm25.md'), '---\ntags: [ir]\n---\n# Okapi BM25\n\nBM25 ranks documents with term frequency saturation.\n');
    writeFileSync(join(docs, 'sub', 'dense.txt'), 'Dense retrieval uses embeddings of passages.');
    writeFileSync(join(docs, 'image.png'), 'not really an image');
    const index = join(dir, 'idx-folder');
    const run = ralm(['index', docs, '--index', index]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/indexed 2 documents .* 2 added/);
    expect(run.stdout).toContain('1 files of unsupported types skipped');
    const search = ralm(['search', 'term saturation', '--index', index, '--json']);
    expect(search.code).toBe(0);
    const result = JSON.parse(search.stdout) as { hits: Array<{ id: string; title: string }> };
    expect(result.hits.map((h) => h.id)).toEqual(['bm25.md']);
    expect(result.hits[0]!.title).toBe('Okapi BM25');
    const human = ralm(['search', 'embeddings', '--index', index, '-k', '1', '--explain']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(join('sub', 'dense.txt'));
    expect(human.stdout).toMatch(/idf/);
    // re-running costs nothing: everything unchanged
    const again = ralm(['index', docs, '--index', index, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 0, added: 0, updated: 0, unchanged_files: 2 });
  });

  it('a readable file with an extension no loader claims is indexed as text (ChangeLog.lpfc, Kconfig.select)', () => {
    const folder = join(dir, 'odd');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'ChangeLog.lpfc'), 'Changes: fixed the flux capacitor driver.');
    writeFileSync(join(folder, 'blob.xyz'), Buffer.from([0, 0, 0, 1, 2, 3, 0, 0]));
    const index = join(dir, 'idx-odd');
    const run = ralm(['index', folder, '--index', index, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ added: 1, skipped_files: 1 }); // blob.xyz: opened, sniffed as binary, skipped
    const hits = JSON.parse(ralm(['search', 'capacitor', '--index', index, '--json']).stdout).hits;
    expect(hits[0].id).toMatch(/ChangeLog\.lpfc$/);
  });

  it('indexes JSON Lines (.jsonl.gz, stdin) with metadata', () => {
    const file = join(dir, 'corpus.jsonl.gz');
    writeFileSync(file, gzipSync(`${JSON.stringify({ _id: 'q1', title: 'T', text: 'quantum chromodynamics', metadata: { year: 2020 } })}\r\n`));
    const index = join(dir, 'idx-jsonl');
    expect(ralm(['index', file, '--index', index]).code).toBe(0);
    const stdin = ralm(['index', '-', '--index', index], { input: `${JSON.stringify({ id: 7, text: 'electroweak theory', lang: 'en' })}\n` });
    expect(stdin.code).toBe(0);
    const hit = JSON.parse(ralm(['search', 'electroweak', '--index', index, '--json']).stdout).hits[0];
    expect(hit).toMatchObject({ id: '7', metadata: { lang: 'en' } });
    const hit2 = JSON.parse(ralm(['search', 'chromodynamics', '--index', index, '--json']).stdout).hits[0];
    expect(hit2).toMatchObject({ id: 'q1', metadata: { year: 2020 } });
  });

  it('a malformed JSONL line: one line naming file and line, the rest indexed, exit 1, earlier commits kept', () => {
    const index = join(dir, 'idx-bad');
    const good = join(dir, 'good.jsonl');
    writeFileSync(good, `${JSON.stringify({ _id: 'keep', text: 'committed before' })}\n`);
    expect(ralm(['index', good, '--index', index]).code).toBe(0);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, [JSON.stringify({ _id: 'ok1', text: 'fine line' }), '{"_id": "broken", "text": ', JSON.stringify({ title: 'no id', text: 'x' }), JSON.stringify({ _id: 'ok2', text: 'fine too' })].join('\n'));
    const run = ralm(['index', bad, '--index', index]);
    expect(run.code).toBe(1);
    const errors = lines(run.stderr);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(new RegExp(`^ralm: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: malformed JSON`));
    expect(errors[1]).toContain(':3: no "_id" or "id"');
    const ids = (q: string) => JSON.parse(ralm(['search', q, '--index', index, '--json']).stdout).hits.map((h: { id: string }) => h.id);
    expect(ids('fine')).toEqual(expect.arrayContaining(['ok1', 'ok2']));
    expect(ids('committed')).toEqual(['keep']);
    // --strict: stop at the first bad input and commit nothing
    const strict = ralm(['index', join(dir, 'bad.jsonl'), '--index', join(dir, 'idx-strict'), '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('nothing was committed');
  });

  it('an unknown file type given explicitly is named, with the supported types', () => {
    const file = join(dir, 'report.xyz');
    writeFileSync(file, Buffer.from([0, 1, 2, 3, 0, 0, 255, 254, 0, 7, 0, 0]));
    const run = ralm(['index', file, '--index', join(dir, 'idx-pdf')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: unsupported file type ".xyz"`);
  });

  it('clear errors for a missing index folder, an empty or all-stop-word query, another analyzer, a wrong flag', () => {
    const missing = ralm(['search', 'anything', '--index', join(dir, 'does-not-exist')]);
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toHaveLength(1);
    expect(missing.stderr).toContain('does not exist');

    const index = join(dir, 'idx-errors');
    const file = join(dir, 'one.txt');
    writeFileSync(file, 'a single document about search engines');
    expect(ralm(['index', file, '--index', index, '--analyzer', 'english']).code).toBe(0);
    const stop = ralm(['search', 'the of and', '--index', index]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain('no searchable terms');
    const empty = ralm(['search', '', '--index', index]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty');
    const other = ralm(['search', 'search', '--index', index, '--analyzer', 'plain']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('built with analyzer "english"');
    const flag = ralm(['search', 'x', '--index', index, '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--no-such-flag'");
    const k = ralm(['search', 'x', '--index', index, '-k', 'zero']);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain('-k must be an integer');
  });

  it('eval beir: a missing qrels file is named with the splits that exist', () => {
    const beir = join(dir, 'beir');
    mkdirSync(join(beir, 'qrels'), { recursive: true });
    writeFileSync(join(beir, 'corpus.jsonl'), `${JSON.stringify({ _id: 'd1', title: '', text: 'x' })}\n`);
    writeFileSync(join(beir, 'queries.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'x' })}\n`);
    writeFileSync(join(beir, 'qrels', 'dev.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    const run = ralm(['eval', 'beir', beir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(join('qrels', 'test.tsv'));
    expect(run.stderr).toContain('dev');
    const ok = ralm(['eval', 'beir', beir, '--split', 'dev', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ 'ndcg@10': 1, queries: 1, docs: 1 });
  });

  it('--help is available on every command', () => {
    for (const command of [[], ['index'], ['search'], ['eval'], ['eval', 'beir'], ['eval', 'squad'], ['verify'], ['optimize'], ['info']]) {
      const run = ralm([...command, '--help']);
      expect(run.code, command.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: ralm');
    }
  });
});
