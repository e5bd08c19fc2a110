import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderMarkdown, resolveServerConfig } from '../../src/server/index.js';
import { webPage } from '../../src/server/web.js';

describe('renderMarkdown (the answer renderer of the web page)', () => {
  it('escapes every tag and attribute; only its own markup comes out', () => {
    const attacks = [
      '<img src=x onerror=alert(1)>',
      '<script>alert(1)</script>',
      '[click](javascript:alert(1))',
      '[x](/collections/docs/documents/a" onmouseover="alert(1))',
      '<a href="https://evil.example">x</a>',
      '**<b onclick=alert(1)>bold</b>**',
      '`<svg onload=alert(1)>`',
      '```\n</code><script>alert(1)</script>\n```',
    ];
    for (const attack of attacks) {
      const html = renderMarkdown(attack, { citations: ['1'], links: ['/collections/docs/documents/a'] });
      const tags = [...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]!.toLowerCase());
      expect(tags.every((t) => ['p', 'br', 'strong', 'em', 'code', 'pre', 'ul', 'ol', 'li', 'h3', 'h4', 'h5', 'h6', 'span', 'button', 'a'].includes(t))).toBe(true);
      expect(html).not.toMatch(/<[^>]+\son\w+=/i);
      expect(html).not.toMatch(/href="javascript:/i);
    }
  });

  it('renders paragraphs, emphasis, lists, code and citation chips for cited keys only', () => {
    const html = renderMarkdown('BM25 **saturates** *tf* [1] [7].\n\n- one\n- `two`\n\n1. first', { citations: ['1'] });
    expect(html).toBe(
      '<p>BM25 <strong>saturates</strong> <em>tf</em> <button type="button" class="cite" data-key="1">1</button> [7].</p>\n<ul><li>one</li><li><code>two</code></li></ul>\n<ol><li>first</li></ol>',
    );
  });

  it('never loads images; shows links only when they point to a cited source', () => {
    expect(renderMarkdown('![diagram](https://evil.example/pixel.png)')).toBe('<p><span class="md-image">[image: diagram]</span></p>');
    const links = ['/collections/docs/documents/wal.md?start=1&end=9'];
    expect(renderMarkdown('see [the log](/collections/docs/documents/wal.md?start=1&end=9)', { links })).toBe(
      '<p>see <a href="/collections/docs/documents/wal.md?start=1&amp;end=9" target="_blank" rel="noopener noreferrer">the log</a></p>',
    );
    expect(renderMarkdown('see [the log](https://elsewhere.example/)', { links })).toBe('<p>see the log</p>');
  });

  it('is self-contained, so the page can embed its source', () => {
    const { html, script } = webPage();
    expect(html).toContain(script);
    const embedded = new Function(`${script.split('\nwindow.renderMarkdown')[0]}; return renderMarkdown;`)() as typeof renderMarkdown;
    expect(embedded('**a** [1]', { citations: ['1'] })).toBe(renderMarkdown('**a** [1]', { citations: ['1'] }));
  });
});

describe('server configuration: file < RALM_* environment < flags, one zod schema', () => {
  it('merges the three sources and validates them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ralm-config-'));
    try {
      const file = join(dir, 'server.json');
      writeFileSync(file, JSON.stringify({ port: 9001, root: 'collections', corsOrigins: ['https://a.example'], rateLimitPerMinute: 10 }));
      const fromFile = resolveServerConfig({ file });
      expect(fromFile).toMatchObject({ host: '127.0.0.1', port: 9001, root: join(dir, 'collections'), corsOrigins: ['https://a.example'], rateLimitPerMinute: 10 });
      const fromEnv = resolveServerConfig({ file, env: { RALM_PORT: '9002', RALM_CORS_ORIGINS: 'https://b.example, https://c.example' } });
      expect(fromEnv).toMatchObject({ port: 9002, corsOrigins: ['https://b.example', 'https://c.example'] });
      const fromFlags = resolveServerConfig({ file, env: { RALM_PORT: '9002' }, flags: { port: 9003, index: 'one' } });
      expect(fromFlags).toMatchObject({ port: 9003, index: 'one' });
      expect(fromFlags.root).toBeUndefined();
      expect(() => resolveServerConfig({ flags: { port: 70000 } })).toThrow(/port/);
      writeFileSync(file, JSON.stringify({ prot: 1 }));
      expect(() => resolveServerConfig({ file })).toThrow(/Unrecognized key.*prot/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
