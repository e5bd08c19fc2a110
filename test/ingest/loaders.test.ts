import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseLoader,
  codeLoader,
  csvLoader,
  docxLoader,
  htmlLoader,
  jsonLoader,
  jsonlLoader,
  LOADERS,
  markdownLoader,
  pdfLoader,
  textLoader,
  type LoaderIssue,
  type LoadedDocument,
} from '../../src/ingest/loaders/index.js';
import { LoadError } from '../../src/ingest/loaders/types.js';
import { makeDocx, makePdf } from './builders.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const slice = (d: LoadedDocument, s: { start: number; end: number }) => d.text.slice(s.start, s.end);

describe('text loader', () => {
  it('reads UTF-8 and drops the BOM', async () => {
    const [doc] = await textLoader.load({ bytes: utf8('\ufeffhello world'), path: 'notes/hello.txt' }, {});
    expect(doc).toMatchObject({ title: 'hello', text: 'hello world', sections: [] });
  });

  it('reads UTF-16 LE and BE with a BOM', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße 日本', 'utf16le')]);
    const be = Buffer.from(le);
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1]!, be[i]!];
    expect((await textLoader.load({ bytes: le, path: 'a.txt' }, {}))[0]).toMatchObject({ text: 'Grüße 日本', metadata: { encoding: 'utf-16le' } });
    expect((await textLoader.load({ bytes: be, path: 'a.txt' }, {}))[0]).toMatchObject({ text: 'Grüße 日本', metadata: { encoding: 'utf-16be' } });
  });

  it('replaces invalid UTF-8 bytes with U+FFFD instead of failing', async () => {
    const bytes = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' ok '), Buffer.from([0xc3, 0x28])]);
    const [doc] = await textLoader.load({ bytes, path: 'latin1.txt' }, {});
    expect(doc!.text).toBe('caf\ufffd ok \ufffd(');
  });

  it('refuses binary content: NUL bytes or many control characters', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    await expect(textLoader.load({ bytes: png, path: 'image.txt' }, {})).rejects.toThrow('image.txt: binary file with a text extension');
    const controls = Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0x01 : 0x61)));
    await expect(textLoader.load({ bytes: controls, path: 'c.txt' }, {})).rejects.toBeInstanceOf(LoadError);
    // a few control characters (form feeds, escapes) are fine
    await expect(textLoader.load({ bytes: utf8('page one\fpage two \x1b[1mbold\x1b[0m'), path: 'ok.txt' }, {})).resolves.toHaveLength(1);
  });
});

describe('markdown loader', () => {
  const source = [
    '---',
    'title: Front Title',
    'tags: [ir, bm25]',
    'date: 2024-05-01',
    '---',
    '# Okapi BM25',
    '',
    'Intro text.',
    '',
    '## Saturation',
    'tf saturates.',
    '```python',
    '# not a heading',
    'x = 1',
    '```',
    'Setext Heading',
    '--------------',
    'under setext',
    '',
    'Other Top',
    '=========',
    'end',
  ].join('\n');

  it('front matter → metadata and title; ATX and setext headings; fenced code', async () => {
    const [doc] = await markdownLoader.load({ bytes: utf8(source), path: 'docs/bm25.md' }, {});
    expect(doc!.title).toBe('Front Title');
    expect(doc!.metadata).toMatchObject({ tags: ['ir', 'bm25'], date: '2024-05-01' });
    expect(doc!.text.startsWith('# Okapi BM25')).toBe(true);
    const headings = doc!.sections.filter((s) => s.kind === 'heading');
    expect(headings.map((h) => [h.level, h.title])).toEqual([
      [1, 'Okapi BM25'],
      [2, 'Saturation'],
      [2, 'Setext Heading'],
      [1, 'Other Top'],
    ]);
    // a heading section runs to the next heading of the same or a higher level
    expect(slice(doc!, headings[0]!)).toContain('tf saturates.');
    expect(slice(doc!, headings[0]!)).not.toContain('Other Top');
    expect(slice(doc!, headings[1]!).startsWith('## Saturation')).toBe(true);
    expect(slice(doc!, headings[1]!)).not.toContain('Setext Heading');
    expect(slice(doc!, headings[3]!)).toBe('Other Top\n=========\nend');
    const code = doc!.sections.filter((s) => s.kind === 'code');
    expect(code).toHaveLength(1);
    expect(slice(doc!, code[0]!)).toBe('```python\n# not a heading\nx = 1\n```\n');
  });

  it('title falls back to the first heading, then the file name; bad YAML is an issue, not fatal', async () => {
    const [a] = await markdownLoader.load({ bytes: utf8('text\n\n### Deep *title* ###\n'), path: 'a.md' }, {});
    expect(a!.title).toBe('Deep *title*');
    const [b] = await markdownLoader.load({ bytes: utf8('no headings'), path: 'x/notes.markdown' }, {});
    expect(b!.title).toBe('notes');
    const issues: LoaderIssue[] = [];
    const [c] = await markdownLoader.load({ bytes: utf8('---\nkey: [unclosed\n---\n# T\n'), path: 'c.md', onIssue: (i) => issues.push(i) }, {});
    expect(c!.title).toBe('T');
    expect(issues[0]!.reason).toMatch(/^invalid YAML front matter/);
  });
});

describe('html loader', () => {
  it('keeps visible text only, decodes entities, headings and block breaks', async () => {
    const html = `<!DOCTYPE html><html lang="en"><head><title>The  Page</title><meta name="description" content="About BM25">
      <style>body { color: red }</style><script>alert("x")</script></head>
      <body><noscript>enable js</noscript><template><p>hidden</p></template>
      <h1>Main &amp; Title</h1><p>First   paragraph with <b>bold</b> and&nbsp;entities &lt;ok&gt;.</p>
      <div>Line one<br>Line two</div><h2>Sub</h2><ul><li>a</li><li>b</li></ul><pre>  keep
   spaces</pre><script>var hidden = 1;</script><svg><title>icon</title></svg></body></html>`;
    const [doc] = await htmlLoader.load({ bytes: utf8(html), path: 'site/page.html' }, {});
    expect(doc!.title).toBe('The Page');
    expect(doc!.metadata).toMatchObject({ lang: 'en', description: 'About BM25' });
    for (const hidden of ['alert', 'color: red', 'enable js', 'hidden', 'icon']) expect(doc!.text).not.toContain(hidden);
    expect(doc!.text).toContain('First paragraph with bold and\u00a0entities <ok>.');
    expect(doc!.text).toContain('Line one\nLine two');
    expect(doc!.text).toContain('a\nb');
    expect(doc!.text).toContain('  keep\n   spaces');
    const headings = doc!.sections.filter((s) => s.kind === 'heading');
    expect(headings.map((h) => [h.level, h.title])).toEqual([
      [1, 'Main & Title'],
      [2, 'Sub'],
    ]);
    expect(slice(doc!, headings[0]!).startsWith('Main & Title\n\nFirst paragraph')).toBe(true);
    expect(slice(doc!, headings[1]!).startsWith('Sub')).toBe(true);
  });

  it('title falls back to the first heading, then the file name', async () => {
    expect((await htmlLoader.load({ bytes: utf8('<h2>Only</h2>text'), path: 'a.htm' }, {}))[0]!.title).toBe('Only');
    expect((await htmlLoader.load({ bytes: utf8('<p>text</p>'), path: 'dir/b.html' }, {}))[0]!.title).toBe('b');
  });
});

describe('pdf loader', () => {
  it('extracts the text of each page with page sections and metadata.pages', async () => {
    const pdf = makePdf(['Hello from page one', 'Second page (with parentheses)'], { title: 'Tiny Paper' });
    const [doc] = await pdfLoader.load({ bytes: pdf, path: 'paper.pdf' }, {});
    expect(doc!.title).toBe('Tiny Paper');
    expect(doc!.metadata.pages).toBe(2);
    expect(doc!.sections).toEqual([
      { kind: 'page', start: 0, end: 19, page: 1 },
      { kind: 'page', start: 21, end: doc!.text.length, page: 2 },
    ]);
    expect(slice(doc!, doc!.sections[0]!)).toBe('Hello from page one');
    expect(slice(doc!, doc!.sections[1]!)).toBe('Second page (with parentheses)');
  });

  it('an encrypted PDF and a corrupt PDF are one-line problems', async () => {
    await expect(pdfLoader.load({ bytes: makePdf(['secret'], { encrypt: true }), path: 'locked.pdf' }, {})).rejects.toMatchObject({
      reason: 'encrypted PDF (password required)',
      problemCode: 'ENCRYPTED',
    });
    await expect(pdfLoader.load({ bytes: utf8('%PDF-1.4\nthis is not a pdf body'), path: 'bad.pdf' }, {})).rejects.toMatchObject({
      reason: expect.stringMatching(/^corrupt or unreadable PDF: /),
    });
  });
});

describe('docx loader', () => {
  it('keeps Word headings as heading sections', async () => {
    const docx = makeDocx([{ style: 'Heading1', text: 'Quarterly Memo' }, 'Revenue grew & costs fell.', { style: 'Heading2', text: 'Outlook' }, 'Stable.']);
    const [doc] = await docxLoader.load({ bytes: docx, path: 'memo.docx' }, {});
    expect(doc!.title).toBe('Quarterly Memo');
    expect(doc!.text).toBe('Quarterly Memo\n\nRevenue grew & costs fell.\n\nOutlook\n\nStable.');
    expect(doc!.sections.map((s) => [s.kind, s.level, s.title])).toEqual([
      ['heading', 1, 'Quarterly Memo'],
      ['heading', 2, 'Outlook'],
    ]);
  });

  it('a corrupt DOCX is a problem', async () => {
    const bytes = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]);
    await expect(docxLoader.load({ bytes, path: 'broken.docx' }, {})).rejects.toMatchObject({ reason: expect.stringMatching(/^corrupt or unreadable DOCX: /) });
  });
});

describe('csv loader', () => {
  it('one document per row; id, title and text columns; other columns → metadata', async () => {
    const csv = 'id,title,text,year\n1,"Okapi, BM25","ranks ""documents""",1994\n2,DPR,dense passages,2020\n';
    const docs = await csvLoader.load({ bytes: utf8(csv), path: 'papers.csv' }, {});
    expect(docs).toEqual([
      { idSuffix: '1', title: 'Okapi, BM25', text: 'ranks "documents"', metadata: { year: '1994' }, sections: [] },
      { idSuffix: '2', title: 'DPR', text: 'dense passages', metadata: { year: '2020' }, sections: [] },
    ]);
  });

  it('TSV with chosen columns; rows numbered without an id column; unknown column named', async () => {
    const tsv = 'name\tabstract\tnotes\tvenue\nBM25\tprobabilistic "model"\tclassic\tTREC\n';
    const docs = await csvLoader.load({ bytes: utf8(tsv), path: 'p.tsv' }, { csv: { titleColumn: 'name', textColumns: ['abstract', 'notes'] } });
    expect(docs).toEqual([{ idSuffix: 'row-1', title: 'BM25', text: 'probabilistic "model"\nclassic', metadata: { venue: 'TREC' }, sections: [] }]);
    await expect(csvLoader.load({ bytes: utf8(tsv), path: 'p.tsv' }, { csv: { idColumn: 'nope' } })).rejects.toThrow('idColumn "nope" is not a column');
    // without a text column every other column becomes labelled text
    const [generic] = await csvLoader.load({ bytes: utf8('sku,colour,size\nA1,red,XL\n'), path: 'items.csv' }, {});
    expect(generic!.text).toBe('sku: A1\ncolour: red\nsize: XL');
  });

  it('a malformed row is an issue with its line; the other rows load', async () => {
    const issues: LoaderIssue[] = [];
    const csv = 'id,text\n1,fine\n2,too,many,fields\n3,also fine\n4,"unclosed\n';
    const docs = await csvLoader.load({ bytes: utf8(csv), path: 'r.csv', onIssue: (i) => issues.push(i) }, {});
    expect(docs.map((d) => d.idSuffix)).toEqual(['1', '3']);
    expect(issues.map((i) => [i.line, i.reason.split(':')[0]])).toEqual([
      [3, 'malformed row'],
      [5, 'malformed row'],
    ]);
    expect(issues[1]!.reason).toContain('Quote Not Closed');
  });
});

describe('json and jsonl loaders', () => {
  it('JSON array of records, one record, and non-record JSON', async () => {
    const issues: LoaderIssue[] = [];
    const docs = await jsonLoader.load(
      { bytes: utf8(JSON.stringify([{ _id: 'a', title: 'A', text: 'alpha', year: 1 }, { id: 2, contents: 'beta' }, { text: 'no id' }])), path: 'd.json', onIssue: (i) => issues.push(i) },
      {},
    );
    expect(docs.map((d) => [d.id, d.title, d.text, d.metadata])).toEqual([
      ['a', 'A', 'alpha', { year: 1 }],
      ['2', '', 'beta', {}],
    ]);
    expect(issues.map((i) => i.reason)).toEqual(['item 2: no "_id" or "id" (string or number)']);
    const [one] = await jsonLoader.load({ bytes: utf8('{"title":"Solo","text":"just one"}'), path: 'solo.json' }, {});
    expect(one).toMatchObject({ title: 'Solo', text: 'just one' });
    expect(one!.id).toBeUndefined();
    const [config] = await jsonLoader.load({ bytes: utf8('{"compilerOptions":{"strict":true}}'), path: 'tsconfig.json' }, {});
    expect(config).toMatchObject({ title: 'tsconfig', text: '{"compilerOptions":{"strict":true}}' });
    await expect(jsonLoader.load({ bytes: utf8('{"a": '), path: 'bad.json' }, {})).rejects.toThrow(/bad\.json: malformed JSON/);
  });

  it('JSONL: one document per line, a bad line is an issue with its line number, the rest loads', async () => {
    const issues: LoaderIssue[] = [];
    const text = [JSON.stringify({ _id: 'd1', text: 'one' }), '', '{"_id": "broken", ', JSON.stringify({ _id: 'd3', title: 'T', text: 'three', metadata: { k: 1 } })].join('\r\n');
    const docs = await jsonlLoader.load({ bytes: utf8(text), path: 'c.jsonl', onIssue: (i) => issues.push(i) }, {});
    expect(docs.map((d) => [d.id, d.title, d.text, d.metadata])).toEqual([
      ['d1', '', 'one', {}],
      ['d3', 'T', 'three', { k: 1 }],
    ]);
    expect(issues).toEqual([{ line: 3, reason: expect.stringMatching(/^malformed JSON/), code: 'PARSE' }]);
  });
});

describe('code loader', () => {
  it('language from the extension or the #! line; title is the file name', async () => {
    const [ts] = await codeLoader.load({ bytes: utf8('export const x = 1;\n'), path: 'src/app.tsx' }, {});
    expect(ts).toMatchObject({ title: 'app.tsx', text: 'export const x = 1;\n', metadata: { language: 'typescript' } });
    for (const [file, language] of [['a.py', 'python'], ['b.go', 'go'], ['c.rs', 'rust'], ['d.hpp', 'cpp'], ['e.kt', 'kotlin'], ['f.sql', 'sql'], ['g.R', 'r']]) {
      expect((await codeLoader.load({ bytes: utf8('x'), path: file! }, {}))[0]!.metadata.language).toBe(language);
    }
    const [script] = await codeLoader.load({ bytes: utf8('#!/usr/bin/env python3\nprint(1)\n'), path: 'bin/tool' }, {});
    expect(script!.metadata.language).toBe('python');
  });
});

describe('loader choice', () => {
  it('by extension, by content when the extension is missing or lies', () => {
    const pick = (path: string, head: string | Buffer) => chooseLoader(path, typeof head === 'string' ? utf8(head) : head)?.name;
    expect(pick('notes.md', 'x')).toBe('markdown');
    expect(pick('corpus.JSONL.gz', 'x')).toBe('jsonl');
    expect(pick('report.txt', '%PDF-1.7\n')).toBe('pdf');
    expect(pick('memo.txt', makeDocx(['x']))).toBe('docx');
    expect(pick('README', '# Title\n')).toBe('markdown');
    expect(pick('page', '<!doctype html><p>x')).toBe('html');
    expect(pick('data', '[{"id": 1}]')).toBe('json');
    expect(pick('run', '#!/bin/sh\necho')).toBe('code');
    expect(pick('LICENSE', 'MIT License')).toBe('text');
    expect(pick('photo.png', 'not really an image')).toBeUndefined();
  });
});

describe('every loader: sections lie inside the text (property)', () => {
  const textLoaders = LOADERS.filter((l) => ['text', 'markdown', 'html', 'code'].includes(l.name));
  it('for arbitrary Markdown/HTML-ish input', async () => {
    const piece = fc.constantFrom('# h\n', '## h2\n', 'para\n', '\n', '```\n', 'x\n===\n', '<h1>t</h1>', '<p>p</p>', '<script>s</script>', '&amp;', ' ', '---\n', '- item\n');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
        const bytes = utf8(pieces.join(''));
        for (const loader of textLoaders) {
          for (const doc of await loader.load({ bytes, path: `f.${loader.extensions[0]}` }, {})) {
            for (const section of doc.sections) {
              expect(section.start).toBeGreaterThanOrEqual(0);
              expect(section.end).toBeGreaterThanOrEqual(section.start);
              expect(section.end).toBeLessThanOrEqual(doc.text.length);
            }
          }
        }
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('front matter fast path', () => {
  it('gives exactly what the yaml package gives, or defers to it (property)', async () => {
    const { parse } = await import('yaml');
    const { parseSimpleFrontMatter } = await import('../../src/ingest/loaders/markdown.js');
    const key = fc.stringMatching(/^[A-Za-z_][\w-]{0,8}$/);
    const value = fc.oneof(
      fc.stringMatching(/^[A-Za-z][\w .,/()#:'"-]{0,12}$/),
      fc.constantFrom('true', 'False', 'NULL', 'null', '~', 'yes', 'No', '0', '-0', '007', '12', '-3', '1.5', '1e3', '+4', '.inf', '2024-05-01', '"quoted"', "'single'", '"a\\"b"', "'it''s'", '[a, b]', '{a: 1}', '', '#c', 'a #c', 'x: y'),
      fc.integer({ min: -1e9, max: 1e9 }).map(String),
    );
    const item = fc.oneof(
      fc.stringMatching(/^[A-Za-z][\w .,/()#:'"-]{0,8}$/),
      fc.constantFrom('true', 'NULL', '~', 'yes', '0', '-3', '007', '1.5', '"q"', "'s'", '"a, b"', '[x]', '{a: 1}', '', ' a ', 'x: y'),
    );
    const list = fc.oneof(
      fc.tuple(fc.array(item, { maxLength: 4 }), fc.constantFrom(', ', ',', ' , ')).map(([items, separator]) => `[${items.join(separator)}]`),
      fc.constantFrom('[]', '[ ]', '[a, ]', '[a,, b]', '["x, y", z]', "['q', r]", '[a] # c', '[a, b]x', '[ a b , c ]'),
    );
    const line = fc.oneof(fc.tuple(key, fc.oneof(value, list)).map(([k, v]) => `${k}: ${v}`), fc.constantFrom('', '# comment', '  indented: x', 'key:value', 'k:'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        const fast = parseSimpleFrontMatter(text);
        if (fast === undefined) return;
        expect(fast).toEqual(parse(text) ?? {});
      }),
      { numRuns: 2000, seed: 11 },
    );
    expect(parseSimpleFrontMatter('title: Hello world\ndraft: false\norder: 3\nauthor: "A. B"')).toEqual({ title: 'Hello world', draft: false, order: 3, author: 'A. B' });
    expect(parseSimpleFrontMatter('tags: [biology, medicine]\nyear: 2001')).toEqual({ tags: ['biology', 'medicine'], year: 2001 });
  });
});

describe('optional parsers', () => {
  it('a missing optional package is a clear problem naming the package', async () => {
    const { importOptional } = await import('../../src/ingest/loaders/optional.js');
    await expect(importOptional('ralm-no-such-package', 'ralm-no-such-package', 'scan.xyz', 'XYZ')).rejects.toMatchObject({
      message: 'scan.xyz: reading XYZ files needs the optional package "ralm-no-such-package" (npm install ralm-no-such-package)',
      problemCode: 'UNSUPPORTED',
    });
  });
});
