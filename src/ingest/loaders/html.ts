/**
 * HTML: visible text only (`<script>`, `<style>`, `<noscript>`, `<template>` and the rest of `<head>` dropped), entities
 * decoded, whitespace collapsed as a browser would (kept inside `<pre>`), block elements as line breaks, `<title>` as
 * the title and `h1`–`h6` as heading sections.
 */
import { Parser } from 'htmlparser2';
import type { Metadata } from '../../core/types.js';
import { baseTitle, decodeText, headingSections } from './decode.js';
import type { Loader, LoadedDocument, Section } from './types.js';

const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'head']);
/** Elements that end a paragraph (a blank line). */
const PARAGRAPH = new Set(['p', 'pre', 'blockquote', 'table', 'ul', 'ol', 'dl', 'figure', 'section', 'article', 'header', 'footer', 'nav', 'aside', 'main', 'form', 'fieldset', 'details', 'hr']);
/** Elements that end a line. */
const LINE = new Set(['br', 'div', 'li', 'tr', 'dt', 'dd', 'caption', 'figcaption', 'address', 'summary', 'option', 'legend', 'body', 'html', 'center']);
const CELL = new Set(['td', 'th']);

/**
 * The result of {@link htmlToText}: the visible text, the `<title>`, heading sections and a few `<meta>` values.
 *
 * @example
 * ```ts
 * const result: HtmlText = { text: 'Hi', title: 'Page', sections: [], metadata: { lang: 'en' } };
 * ```
 */
export interface HtmlText {
  text: string;
  title: string;
  sections: Section[];
  metadata: Metadata;
}

/**
 * The extracted text, kept as parts: every question the extractor asks of it (its length, what it ends
 * with, trimming trailing blanks) looks at the last parts only, so extraction stays linear in the page size.
 */
class TextBuffer {
  private readonly parts: string[] = [];
  length = 0;

  get empty(): boolean {
    return this.length === 0;
  }

  append(text: string): void {
    if (text.length === 0) return;
    this.parts.push(text);
    this.length += text.length;
  }

  /** The last `n` characters (fewer when the text is shorter). */
  tail(n: number): string {
    let result = '';
    for (let i = this.parts.length - 1; i >= 0 && result.length < n; i--) {
      const part = this.parts[i]!;
      result = (part.length > n ? part.slice(part.length - n) : part) + result;
    }
    return result.length > n ? result.slice(result.length - n) : result;
  }

  endsWith(suffix: string): boolean {
    return this.tail(suffix.length) === suffix;
  }

  /** Removes spaces and tabs at the end. */
  trimTrailingBlanks(): void {
    while (this.parts.length > 0) {
      const last = this.parts[this.parts.length - 1]!;
      let end = last.length;
      while (end > 0 && (last.charCodeAt(end - 1) === 32 || last.charCodeAt(end - 1) === 9)) end--;
      this.length -= last.length - end;
      if (end > 0) {
        this.parts[this.parts.length - 1] = last.slice(0, end);
        return;
      }
      this.parts.pop();
    }
  }

  /** The text from offset `start` to the end. */
  sliceFrom(start: number): string {
    let position = this.length;
    let i = this.parts.length;
    while (i > 0 && position > start) position -= this.parts[--i]!.length;
    return this.parts.slice(i).join('').slice(start - position);
  }

  toString(): string {
    return this.parts.join('');
  }
}

/**
 * Extracts the visible text of an HTML document with its headings.
 *
 * @example
 * ```ts
 * htmlToText('<title>T</title><h1>Hello</h1><p>a &amp; b</p><script>x()</script>').text; // 'Hello\n\na & b'
 * ```
 */
export function htmlToText(html: string): HtmlText {
  const out = new TextBuffer();
  let pendingSpace = false;
  let hidden = 0;
  let pre = 0;
  let inTitle = false;
  let graphic = 0;
  let title = '';
  const metadata: Metadata = {};
  const marks: Array<{ start: number; level: number; title: string }> = [];
  let heading: { start: number; level: number } | undefined;

  const breakLine = (blank: boolean) => {
    pendingSpace = false;
    if (out.empty) return;
    out.trimTrailingBlanks();
    if (!out.endsWith('\n')) out.append('\n');
    if (blank && !out.endsWith('\n\n')) out.append('\n');
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'svg' || name === 'math') graphic++;
        if (name === 'title' && graphic === 0 && title === '') inTitle = true;
        if (name === 'html' && attributes.lang) metadata.lang = attributes.lang;
        if (name === 'meta' && attributes.content) {
          const key = (attributes.name ?? attributes.property ?? '').toLowerCase();
          if (key === 'description' || key === 'og:description') metadata.description ??= attributes.content;
          if (key === 'author') metadata.author ??= attributes.content;
          if (key === 'keywords') metadata.keywords ??= attributes.content;
        }
        if (HIDDEN.has(name)) {
          hidden++;
          return;
        }
        if (hidden > 0) return;
        if (name === 'pre') pre++;
        const level = /^h([1-6])$/.exec(name);
        if (level) {
          breakLine(true);
          heading = { start: out.length, level: Number(level[1]) };
        } else if (PARAGRAPH.has(name)) breakLine(true);
        else if (LINE.has(name)) breakLine(false);
        else if (CELL.has(name) && !out.empty && !out.endsWith('\n')) pendingSpace = true;
        if (name === 'img' && attributes.alt && hidden === 0) appendText(attributes.alt);
      },
      ontext(data) {
        if (inTitle) {
          title += data;
          return;
        }
        if (hidden > 0) return;
        appendText(data);
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (name === 'svg' || name === 'math') graphic = Math.max(0, graphic - 1);
        if (HIDDEN.has(name)) {
          hidden = Math.max(0, hidden - 1);
          return;
        }
        if (hidden > 0) return;
        if (name === 'pre') pre = Math.max(0, pre - 1);
        const level = /^h([1-6])$/.exec(name);
        if (level && heading) {
          marks.push({ start: heading.start, level: heading.level, title: out.sliceFrom(heading.start).replace(/\s+/g, ' ').trim() });
          heading = undefined;
          breakLine(true);
        } else if (PARAGRAPH.has(name)) breakLine(true);
        else if (LINE.has(name)) breakLine(false);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );

  function appendText(data: string) {
    if (pre > 0) {
      if (pendingSpace && !out.empty && !/\s/.test(out.tail(1))) out.append(' ');
      pendingSpace = false;
      out.append(data.replace(/\r\n?/g, '\n'));
      return;
    }
    const collapsed = data.replace(/[ \t\n\r\f\u200b]+/g, ' ');
    if (collapsed === ' ' || collapsed === '') {
      if (collapsed === ' ') pendingSpace = true;
      return;
    }
    const leading = collapsed.startsWith(' ');
    const trimmed = collapsed.replace(/^ | $/g, '');
    if ((leading || pendingSpace) && !out.empty && !out.endsWith('\n') && !out.endsWith(' ')) out.append(' ');
    out.append(trimmed);
    pendingSpace = collapsed.endsWith(' ');
  }

  parser.write(html);
  parser.end();
  const text = out.toString().replace(/\s+$/, '');
  const valid = marks.filter((m) => m.start <= text.length).map((m) => ({ ...m, start: Math.min(m.start, text.length) }));
  return { text, title: title.replace(/\s+/g, ' ').trim(), sections: headingSections(valid, text.length), metadata };
}

/**
 * The HTML loader (`.html`, `.htm`, `.xhtml`). Title: `<title>`, else the first heading, else the file name.
 *
 * @example
 * ```ts
 * const [doc] = await htmlLoader.load({ bytes: new TextEncoder().encode('<title>T</title><p>Hi</p>'), path: 'a.html' }, {});
 * doc.text; // 'Hi'
 * ```
 */
export const htmlLoader: Loader = {
  name: 'html',
  extensions: ['.html', '.htm', '.xhtml'],
  sniff(head) {
    const start = new TextDecoder().decode(head.subarray(0, 512)).trimStart().toLowerCase();
    return start.startsWith('<!doctype html') || start.startsWith('<html') || /^(<!--[\s\S]*?-->\s*)*<(head|body)[\s>]/.test(start);
  },
  async load({ bytes, path }): Promise<LoadedDocument[]> {
    const { text: html, encoding } = decodeText(bytes, path);
    const result = htmlToText(html);
    const firstHeading = result.sections.find((s) => s.title);
    const metadata: Metadata = { ...result.metadata };
    if (encoding !== 'utf-8') metadata.encoding = encoding;
    return [{ title: result.title || firstHeading?.title || baseTitle(path), text: result.text, metadata, sections: result.sections }];
  },
};
