/**
 * Markdown: YAML front matter becomes metadata, ATX (`#` … `######`) and setext (`===`, `---`) headings become heading
 * sections, fenced code blocks become code sections. The text is the Markdown body as written (front matter removed).
 */
import { createRequire } from 'node:module';
import type { Metadata } from '../../core/types.js';
import { baseTitle, decodeText, headingSections } from './decode.js';
import type { Loader, LoadedDocument, Section } from './types.js';

/** The `yaml` package, loaded on the first front matter the simple parser cannot read (it costs ~30 ms to load). */
let yaml: typeof import('yaml') | undefined;
const parseYaml = (source: string): unknown => (yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(source);

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Splits Markdown into front matter (parsed YAML, or an error message) and body.
 *
 * @example
 * ```ts
 * splitFrontMatter('---\ntitle: A\n---\n# Body'); // { data: { title: 'A' }, body: '# Body', error: undefined }
 * ```
 */
export function splitFrontMatter(source: string): { data: Metadata; body: string; error?: string } {
  const match = FRONT_MATTER.exec(source);
  if (!match) return { data: {}, body: source };
  const body = source.slice(match[0].length);
  const simple = parseSimpleFrontMatter(match[1]!);
  if (simple) return { data: simple, body };
  try {
    const value: unknown = parseYaml(match[1]!);
    if (value === null || value === undefined) return { data: {}, body };
    if (typeof value !== 'object' || Array.isArray(value)) return { data: {}, body, error: 'front matter is not a YAML mapping' };
    return { data: toJson(value) as Metadata, body };
  } catch (error) {
    return { data: {}, body, error: `invalid YAML front matter: ${(error as Error).message.split('\n')[0]}` };
  }
}

const SIMPLE_LINE = /^([A-Za-z_][\w-]*):[ \t]+(.*?)[ \t]*$/;
const PLAIN = /^[A-Za-z][\w .,/()-]*$/;
/** A plain scalar inside a flow sequence: no comma (it separates items). */
const PLAIN_ITEM = /^[A-Za-z][\w ./()-]*$/;
const FLOW_SEQUENCE = /^\[[ ]*(.*?)[ ]*\]$/;
const INTEGER = /^(0|-?[1-9]\d{0,14})$/;
const SPECIAL: Readonly<Record<string, unknown>> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false, null: null, Null: null, NULL: null };

/**
 * A fast path for the most common front matter, flat `key: value` lines with plain words, simply quoted strings,
 * integers, booleans and null, or a one-line list of those (`tags: [a, b]`): it gives exactly what the `yaml` package
 * gives (YAML 1.2 core schema; a property test checks that) at a fraction of the cost. Anything else returns
 * `undefined` and goes to the full parser.
 *
 * @example
 * ```ts
 * parseSimpleFrontMatter('title: "Hello"\ndraft: false\norder: 3'); // { title: 'Hello', draft: false, order: 3 }
 * parseSimpleFrontMatter('tags: [a, b]'); // { tags: ['a', 'b'] }
 * parseSimpleFrontMatter('tags:\n  - a'); // undefined (not simple)
 * ```
 */
export function parseSimpleFrontMatter(text: string): Metadata | undefined {
  const entries: Array<[string, unknown]> = [];
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() === '') continue;
    const match = SIMPLE_LINE.exec(trimmed);
    if (!match || keys.has(match[1]!) || Object.hasOwn(SPECIAL, match[1]!) || match[1] === '__proto__') return undefined;
    const raw = match[2]!;
    let value: unknown;
    const flow = FLOW_SEQUENCE.exec(raw);
    if (flow) {
      const items = flow[1] === '' ? [] : flow[1]!.split(',').map((item) => simpleScalar(item.replace(/^ +| +$/g, ''), PLAIN_ITEM));
      if (items.includes(NOT_SIMPLE)) return undefined;
      value = items;
    } else value = simpleScalar(raw, PLAIN);
    if (value === NOT_SIMPLE) return undefined;
    keys.add(match[1]!);
    entries.push([match[1]!, value]);
  }
  return Object.fromEntries(entries);
}

const NOT_SIMPLE = Symbol('not simple');

/** A quoted string without escapes, an integer, a boolean, null or a plain word run; anything else is NOT_SIMPLE. */
function simpleScalar(raw: string, plain: RegExp): unknown {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') && !/["\\]/.test(raw.slice(1, -1))) return raw.slice(1, -1);
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'") && !raw.slice(1, -1).includes("'")) return raw.slice(1, -1);
  if (INTEGER.test(raw)) return Number(raw);
  if (Object.hasOwn(SPECIAL, raw)) return SPECIAL[raw];
  if (plain.test(raw)) return raw;
  return NOT_SIMPLE;
}

/** YAML values as plain JSON: dates → ISO strings, maps → objects, sets → arrays, non-finite numbers → null. */
function toJson(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value) || value instanceof Set) return [...value].map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v)]));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return null;
}

/**
 * Heading and code sections of a Markdown text (offsets into `text`).
 *
 * @example
 * ```ts
 * markdownSections('# A\ntext\n## B\n'); // heading A [0, 14), heading B [9, 14)
 * ```
 */
export function markdownSections(text: string): Section[] {
  const marks: Array<{ start: number; level: number; title: string }> = [];
  const code: Section[] = [];
  let fence: { char: string; length: number; start: number } | undefined;
  let previous: { start: number; text: string; paragraph: boolean } | undefined;
  let offset = 0;
  while (offset <= text.length) {
    let newline = text.indexOf('\n', offset);
    if (newline === -1) newline = text.length;
    const raw = text.slice(offset, newline);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineEnd = Math.min(newline + 1, text.length);
    if (fence) {
      const close = FENCE.exec(line);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length && line.trim() === close[1]) {
        code.push({ kind: 'code', start: fence.start, end: lineEnd });
        fence = undefined;
      }
      previous = undefined;
    } else {
      const open = FENCE.exec(line);
      const atx = ATX.exec(line);
      const setext = SETEXT.exec(line);
      if (open) {
        fence = { char: open[1]![0]!, length: open[1]!.length, start: offset };
        previous = undefined;
      } else if (atx) {
        marks.push({ start: offset, level: atx[1]!.length, title: (atx[2] ?? '').trim() });
        previous = undefined;
      } else if (setext && previous?.paragraph) {
        marks.push({ start: previous.start, level: setext[1]![0] === '=' ? 1 : 2, title: previous.text.trim() });
        previous = undefined;
      } else {
        const blank = line.trim() === '';
        previous = blank ? undefined : { start: offset, text: line, paragraph: !/^ {0,3}([-*+>]|\d+[.)])(\s|$)/.test(line) && !/^( {4}|\t)/.test(line) };
      }
    }
    if (newline >= text.length) break;
    offset = newline + 1;
  }
  if (fence) code.push({ kind: 'code', start: fence.start, end: text.length });
  return [...headingSections(marks, text.length), ...code].sort((a, b) => a.start - b.start || b.end - a.end);
}

/**
 * The Markdown loader (`.md`, `.markdown`, `.mdx`, …). Title: front-matter `title`, else the first heading, else the
 * file name. An invalid front matter is reported as an issue and the document still loads.
 *
 * @example
 * ```ts
 * const [doc] = await markdownLoader.load({ bytes: new TextEncoder().encode('---\ntags: [a]\n---\n# Hi\n'), path: 'hi.md' }, {});
 * doc.title; // 'Hi'; doc.metadata.tags → ['a']
 * ```
 */
export const markdownLoader: Loader = {
  name: 'markdown',
  extensions: ['.md', '.markdown', '.mdown', '.mkd', '.mdx'],
  sniff(head) {
    const start = new TextDecoder().decode(head.subarray(0, 256));
    return /^---[ \t]*\r?\n[\w-]+:/.test(start) || /^#{1,6} \S/.test(start);
  },
  async load({ bytes, path, onIssue }): Promise<LoadedDocument[]> {
    const { text: source, encoding } = decodeText(bytes, path);
    const { data, body, error } = splitFrontMatter(source);
    if (error) onIssue?.({ line: 1, reason: error, code: 'PARSE' });
    const sections = markdownSections(body);
    const firstHeading = sections.find((s) => s.kind === 'heading' && s.title);
    const title = typeof data.title === 'string' && data.title.trim() ? data.title.trim() : firstHeading?.title ?? baseTitle(path);
    const metadata: Metadata = { ...data };
    if (encoding !== 'utf-8') metadata.encoding = encoding;
    return [{ title, text: body, metadata, sections }];
  },
};
