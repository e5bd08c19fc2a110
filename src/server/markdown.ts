/**
 * A tiny, safe Markdown renderer for answers shown in the web page. Everything is HTML-escaped first; then only a
 * few constructs are turned back into markup: paragraphs, line breaks, `#` headings, `-`/`1.` lists, fenced and
 * inline code, `**bold**`, `*emphasis*`, citation markers `[1]` (chips, only for keys that were cited) and links —
 * a link becomes an anchor only when its target is one of the cited sources given in `links`; otherwise its text is
 * shown without the link. Images are never loaded: `![alt](url)` renders as the text "[image: alt]".
 *
 * The function is self-contained (no imports, no outer helpers): the web page embeds its source text.
 *
 * @example
 * ```ts
 * renderMarkdown('BM25 saturates **tf** [1]. <img src=x onerror=alert(1)>', { citations: ['1'], links: [] });
 * // '<p>BM25 saturates <strong>tf</strong> <button …>1</button>. &lt;img src=x onerror=alert(1)&gt;</p>'
 * ```
 */
export function renderMarkdown(markdown: string, options: { citations?: readonly string[]; links?: readonly string[] } = {}): string {
  const escape = (text: string): string =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const citations = new Set(options.citations ?? []);
  const links = new Set((options.links ?? []).filter((l) => /^(\/|https?:\/\/)/i.test(l)).map(escape));
  const source = escape(String(markdown).replace(/\u0000/g, '').replace(/\r\n?/g, '\n'));

  const inline = (text: string): string => {
    const codes: string[] = [];
    let out = text.replace(/`([^`\n]+)`/g, (_m, code: string) => {
      codes.push(`<code>${code}</code>`);
      return `\u0000${codes.length - 1}\u0000`;
    });
    out = out.replace(/!\[([^\]\n]*)\]\(([^)\s]*)\)/g, (_m, alt: string) => `<span class="md-image">[image${alt ? `: ${alt}` : ''}]</span>`);
    out = out.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) =>
      links.has(url) ? `<a href="${url}" target="_blank" rel="noopener noreferrer">${label}</a>` : label,
    );
    out = out.replace(/\[([^\]\s]{1,12})\]/g, (m, key: string) => (citations.has(key) ? `<button type="button" class="cite" data-key="${key}">${key}</button>` : m));
    out = out.replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>');
    out = out.replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, '$1<em>$2</em>');
    return out.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => codes[Number(i)]!);
  };

  const html: string[] = [];
  const lines = source.split('\n');
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = (): void => {
    if (paragraph.length) html.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
    paragraph = [];
    if (list) html.push(`<${list.ordered ? 'ol' : 'ul'}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${list.ordered ? 'ol' : 'ul'}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) {
      flush();
      const body: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]!); i++) body.push(lines[i]!);
      html.push(`<pre><code>${body.join('\n')}</code></pre>`);
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = Math.min(6, heading[1]!.length + 2);
      html.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
      continue;
    }
    const item = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = item[2] !== undefined;
      if (paragraph.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push(item[3]!);
      continue;
    }
    if (list) flush();
    paragraph.push(line);
  }
  flush();
  return html.join('\n');
}
