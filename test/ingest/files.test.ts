import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPaths, recordToDocument, SUPPORTED_EXTENSIONS, type LoadOptions } from '../../src/ingest/files.js';
import { collect, documentsOf, makeDocx, makePdf, problemLines } from './builders.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-ingest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string | Buffer>): string {
  const root = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const load = (paths: string[], options?: LoadOptions) => collect(loadPaths(paths, options));
const ids = (events: Awaited<ReturnType<typeof load>>) => Object.keys(documentsOf(events)).sort();

describe('loadPaths: formats in a folder', () => {
  it('every loader by extension; ids relative to the folder; hidden folders and node_modules skipped', async () => {
    const root = tree('mixed', {
      'guide.md': '---\ntags: [a]\n---\n# Guide\n\n## Install\nnpm i\n',
      'notes/plain.txt': 'plain words',
      'site/index.html': '<title>Home</title><h1>Welcome</h1><script>bad()</script><p>hello</p>',
      'data/papers.csv': 'id,title,text\np1,BM25,ranking\np2,DPR,dense\n',
      'data/corpus.jsonl.gz': gzipSync(`${JSON.stringify({ _id: 'doc-1', text: 'from jsonl' })}\n`),
      'data/list.json': JSON.stringify([{ id: 'j1', text: 'from json' }]),
      'src/main.py': 'def main():\n    pass\n',
      'docs/paper.pdf': makePdf(['page one text', 'page two text']),
      'docs/memo.docx': makeDocx([{ style: 'Heading1', text: 'Memo' }, 'body']),
      'README': '# Read me\n',
      'image.png': 'not really an image',
      '.hidden/secret.txt': 'hidden',
      'node_modules/pkg/index.js': 'module.exports = 1',
    });
    const events = await load([root]);
    expect(problemLines(events)).toEqual([]);
    expect(ids(events)).toEqual(['README', 'data/papers.csv#p1', 'data/papers.csv#p2', 'doc-1', 'docs/memo.docx', 'docs/paper.pdf', 'guide.md', 'j1', 'notes/plain.txt', 'site/index.html', 'src/main.py']);
    const docs = documentsOf(events);
    expect(docs['guide.md']).toMatchObject({ title: 'Guide', metadata: { source: join(root, 'guide.md'), type: 'markdown', tags: ['a'] } });
    expect(docs['guide.md']!.sections!.map((s) => s.title)).toEqual(['Guide', 'Install']);
    expect(docs['docs/paper.pdf']).toMatchObject({ text: 'page one text\n\npage two text', metadata: { pages: 2, type: 'pdf' } });
    expect(docs['docs/paper.pdf']!.sections!.map((s) => s.page)).toEqual([1, 2]);
    expect(docs['site/index.html']).toMatchObject({ title: 'Home', text: 'Welcome\n\nhello' });
    expect(docs['src/main.py']!.metadata).toMatchObject({ language: 'python' });
    expect(docs['doc-1']).toEqual({ id: 'doc-1', title: '', text: 'from jsonl', metadata: {} });
    expect(docs['README']!.title).toBe('Read me');
    expect(events.filter((e) => e.kind === 'skipped').map((e) => e.kind === 'skipped' && e.file)).toEqual([join(root, 'image.png')]);
  });

  it('prefixRecordIds: JSON Lines records get <file>#<id>; a file given alone gets its name as id', async () => {
    const root = tree('prefix', { 'c.jsonl': `${JSON.stringify({ _id: 'x', text: 't' })}\n`, 'one.md': '# One' });
    expect(ids(await load([root], { prefixRecordIds: true }))).toEqual(['c.jsonl#x', 'one.md']);
    expect(ids(await load([join(root, 'one.md')]))).toEqual(['one.md']);
  });

  it('an explicit file of an unknown type is a problem naming the supported types', async () => {
    const root = tree('explicit', { 'photo.png': 'x' });
    expect(problemLines(await load([join(root, 'photo.png')]))).toEqual([
      expect.stringMatching(new RegExp(`^${join(root, 'photo.png').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: unsupported file type ".png" \\(supported: \\.pdf`)),
    ]);
    expect(SUPPORTED_EXTENSIONS).toEqual(expect.arrayContaining(['.txt', '.md', '.html', '.pdf', '.docx', '.csv', '.tsv', '.json', '.jsonl', '.py']));
    expect(problemLines(await load([join(root, 'missing.txt')]))).toEqual([`${join(root, 'missing.txt')}: no such file or folder`]);
  });

  it('standard input as JSON Lines, and recordToDocument still exported', async () => {
    const stdin = Readable.from([`${JSON.stringify({ id: 7, text: 'electroweak' })}\n{bad\n`]);
    const events = await load(['-'], { stdin });
    expect(ids(events)).toEqual(['7']);
    expect(problemLines(events)).toEqual([expect.stringMatching(/^<stdin>:2: malformed JSON/)]);
    expect(recordToDocument({ _id: 'a', text: 'b', k: 1 })).toEqual({ id: 'a', title: '', text: 'b', metadata: { k: 1 } });
  });
});

describe('loadPaths: bad inputs are one-line problems and the rest of the folder loads', () => {
  it('corrupt PDF, encrypted PDF, binary .txt, bad JSONL line, oversized file, gzip bomb', async () => {
    const root = tree('bad', {
      'good.md': '# Good\n',
      'corrupt.pdf': '%PDF-1.4\nnot really a pdf',
      'locked.pdf': makePdf(['secret'], { encrypt: true }),
      'binary.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3]),
      'lines.jsonl': `${JSON.stringify({ _id: 'l1', text: 'ok' })}\n{"_id":\n${JSON.stringify({ _id: 'l3', text: 'ok' })}\n`,
      'big.txt': 'x'.repeat(5000),
      'bomb.jsonl.gz': gzipSync(Buffer.from(`${JSON.stringify({ _id: 'b', text: 'y'.repeat(3_000_000) })}\n`)),
    });
    const events = await load([root], { maxFileBytes: 4096, maxDecompressedBytes: 500_000 });
    const at = (name: string) => join(root, name);
    expect(problemLines(events).sort()).toEqual(
      [
        `${at('big.txt')}: file is 5000 bytes, over the limit of 4096 (raise --max-file-size)`,
        `${at('binary.txt')}: binary file with a text extension`,
        `${at('bomb.jsonl.gz')}: gzip bomb? decompressed size exceeds 500000 bytes, the limit (raise --max-decompressed-size)`,
        `${at('corrupt.pdf')}: corrupt or unreadable PDF: Invalid PDF structure.`,
        `${at('lines.jsonl')}:2: malformed JSON: Unexpected end of JSON input`,
        `${at('locked.pdf')}: encrypted PDF (password required)`,
      ].sort(),
    );
    expect(ids(events)).toEqual(['good.md', 'l1', 'l3']);
  });

  it('a gzip file may not expand past 100× its size (1 MB at least), whatever the absolute cap', async () => {
    const root = tree('ratio', { 'zeros.txt.gz': gzipSync(Buffer.alloc(3_000_000, 0x61)), 'ok.txt.gz': gzipSync(Buffer.from('small text')) });
    const events = await load([root]);
    expect(problemLines(events)).toEqual([expect.stringMatching(/zeros\.txt\.gz: gzip bomb\? decompressed size exceeds 1048576 bytes, 100× the compressed size$/)]);
    expect(documentsOf(events)['ok.txt.gz']).toMatchObject({ text: 'small text' });
  });

  it('a sparse 2 GB file is refused from its size, without reading it', async () => {
    const root = tree('sparse', { 'ok.txt': 'fine' });
    const huge = join(root, 'huge.txt');
    writeFileSync(huge, '');
    truncateSync(huge, 2 * 1024 ** 3);
    const started = performance.now();
    const events = await load([root]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(problemLines(events)).toEqual([`${huge}: file is 2147483648 bytes, over the limit of 104857600 (raise --max-file-size)`]);
    expect(ids(events)).toEqual(['ok.txt']);
  });

  it('a symlink loop and a symlink escaping the folder; links inside the folder followed once', async () => {
    const outside = tree('outside', { 'secret.txt': 'do not index' });
    const root = tree('links', { 'a/real.txt': 'real text', 'b.txt': 'b' });
    symlinkSync(join(root, 'a'), join(root, 'a', 'loop')); // a/loop → a
    symlinkSync(join(root, 'self'), join(root, 'self')); // self → self (ELOOP)
    symlinkSync(outside, join(root, 'escape-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'escape.txt'));
    symlinkSync(join(root, 'a'), join(root, 'z-alias')); // a second way into a/: walked once
    symlinkSync(join(root, 'b.txt'), join(root, 'c-link.txt')); // a second name for b.txt: read once
    const events = await load([root]);
    expect(problemLines(events).sort()).toEqual(
      [
        `${join(root, 'a', 'loop')}: symlink loop (links back to ${join(root, 'a')})`,
        `${join(root, 'escape-dir')}: path escapes the folder "${root}" (symlink to ${outside})`,
        `${join(root, 'escape.txt')}: path escapes the folder "${root}" (symlink to ${join(outside, 'secret.txt')})`,
        `${join(root, 'self')}: symlink loop`,
      ].sort(),
    );
    expect(ids(events)).toEqual(['a/real.txt', 'b.txt']);
    const noFollow = await load([root], { followSymlinks: false });
    expect(problemLines(noFollow)).toEqual([]);
    expect(ids(noFollow)).toEqual(['a/real.txt', 'b.txt']);
  });

  it('a file deleted between listing and reading', async () => {
    const root = tree('vanish', { 'a.txt': 'a', 'gone.txt': 'soon deleted', 'z.txt': 'z' });
    const events = await load([root], {
      beforeRead: (file) => {
        if (file.endsWith('gone.txt')) unlinkSync(file);
      },
    });
    expect(problemLines(events)).toEqual([`${join(root, 'gone.txt')}: file disappeared while reading`]);
    expect(ids(events)).toEqual(['a.txt', 'z.txt']);
  });

  it('a file name that is not valid UTF-8 is indexed with a printable id', async () => {
    const root = tree('names', { 'ok.txt': 'ok' });
    const name = Buffer.concat([Buffer.from(root), Buffer.from('/caf'), Buffer.from([0xe9]), Buffer.from('.txt')]);
    writeFileSync(name, 'latin-1 named file');
    const events = await load([root]);
    expect(problemLines(events)).toEqual([]);
    expect(documentsOf(events)['caf\ufffd.txt']).toMatchObject({ text: 'latin-1 named file', title: 'caf\ufffd' });
  });

  it('a path argument with .. escaping the base folder is refused', async () => {
    const root = tree('based', { 'in/doc.txt': 'inside', 'out.txt': 'outside' });
    const events = await load([join(root, 'in', 'doc.txt'), join(root, 'in', '..', 'out.txt')], { base: join(root, 'in') });
    expect(problemLines(events)).toEqual([`${join(root, 'in', '..', 'out.txt')}: path escapes the folder "${join(root, 'in')}"`]);
    expect(ids(events)).toEqual(['doc.txt']);
  });
});

describe('loadPaths: .gitignore and exclude globs', () => {
  it('honours nested .gitignore files with negation', async () => {
    const root = tree('git', {
      '.gitignore': '*.log\nbuild/\n/secret.md\n',
      'keep.md': '# keep',
      'secret.md': '# root secret',
      'debug.log.txt': 'not a .log file',
      'app.log': 'log',
      'build/out.txt': 'built',
      'sub/.gitignore': '!important.log\ndrafts\n',
      'sub/important.log': 'kept by negation',
      'sub/other.log': 'ignored by the parent',
      'sub/secret.md': 'only the root secret.md is anchored',
      'sub/drafts/d.md': '# draft',
    });
    const events = await load([root]);
    expect(problemLines(events)).toEqual([]);
    expect(ids(events)).toEqual(['debug.log.txt', 'keep.md', 'sub/important.log', 'sub/secret.md']);
    const all = await load([root], { respectGitignore: false });
    expect(ids(all)).toEqual(['app.log', 'build/out.txt', 'debug.log.txt', 'keep.md', 'secret.md', 'sub/drafts/d.md', 'sub/important.log', 'sub/other.log', 'sub/secret.md']);
  });

  it('exclude globs: paths relative to the folder; patterns without a slash match names anywhere', async () => {
    const root = tree('exclude', { 'a.md': 'a', 'drafts/b.md': 'b', 'x/drafts/c.md': 'c', 'x/d.tmp.txt': 'd', 'x/e.txt': 'e' });
    expect(ids(await load([root], { exclude: ['drafts/**', '*.tmp.txt'] }))).toEqual(['a.md', 'x/drafts/c.md', 'x/e.txt']);
    expect(ids(await load([root], { exclude: ['**/drafts'] }))).toEqual(['a.md', 'x/d.tmp.txt', 'x/e.txt']);
  });
});
