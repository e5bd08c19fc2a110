/**
 * Metadata filters: a small text language and an equivalent JSON form, both parsed into one {@link FilterNode} tree
 * and compiled into a predicate over a document's metadata. The search applies the predicate while collecting the
 * top k (`SparseSearcher.search(…, { filter })`), so a filtered search still returns k hits when k documents match.
 *
 * Text form (keywords are case-insensitive; `and` binds tighter than `or`, `not` tighter than both):
 * ```text
 * lang = "zh" and year >= 2020
 * not (draft = true) or tag in ("a", 'b')
 * path ^= "docs/api/" and year between 2019 and 2021
 * exists author.name and `odd key` != null
 * ```
 * Values: strings in double or single quotes (escapes `\\ \" \' \n \r \t \b \f \/ \uXXXX`), numbers, `true`, `false`,
 * `null`. Keys: identifiers joined by dots (`author.name`), or any text in backticks. The constant filters are
 * `true` (matches everything) and `false`.
 *
 * Semantics:
 * - a key is looked up as written first; if the metadata has no such own property, a dotted key walks nested objects
 *   (`author.name` reads `metadata.author.name`; arrays of objects on the way contribute every element's value);
 * - **arrays match if any element matches**: `tag = "a"` is true for `{ tag: ["a", "b"] }`, and so are `in`, `^=`,
 *   `<`, `<=`, `>`, `>=` and `between`;
 * - `key != v` is exactly `not (key = v)`: true when no element equals `v`, and when the key is missing;
 * - type mismatches are false, not errors: `year < "2020"` is false when `year` is a number; `<`…`>=` and `between`
 *   compare two numbers, or two strings in UTF-16 code-unit order (ISO dates sort correctly); `^=` needs strings;
 * - equality is strict (`1` ≠ `"1"`, `null` equals only `null`, a missing key equals nothing);
 * - `exists key` is true when the key has a value other than `null` (an empty array has no value).
 */
import { RalmError } from '../core/errors.js';
import type { Metadata } from '../core/types.js';

/**
 * A literal value in a filter.
 *
 * @example
 * ```ts
 * const values: FilterValue[] = ['zh', 2020, true, null];
 * ```
 */
export type FilterValue = string | number | boolean | null;

/**
 * The comparison operators of `compare` nodes.
 *
 * @example
 * ```ts
 * const operator: ComparisonOperator = '>=';
 * ```
 */
export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * A parsed filter. `and`/`or` nodes from the parser have no children (the constants `true` and `false`) or at least
 * two; `in` has at least one value.
 *
 * @example
 * ```ts
 * const node: FilterNode = {
 *   type: 'and',
 *   children: [
 *     { type: 'compare', key: 'lang', operator: '=', value: 'zh' },
 *     { type: 'compare', key: 'year', operator: '>=', value: 2020 },
 *   ],
 * };
 * ```
 */
export type FilterNode =
  | { type: 'and'; children: FilterNode[] }
  | { type: 'or'; children: FilterNode[] }
  | { type: 'not'; child: FilterNode }
  | { type: 'compare'; key: string; operator: ComparisonOperator; value: FilterValue }
  | { type: 'in'; key: string; values: FilterValue[] }
  | { type: 'prefix'; key: string; value: string }
  | { type: 'between'; key: string; low: FilterValue; high: FilterValue }
  | { type: 'exists'; key: string };

/**
 * A compiled filter: true when the document's metadata matches.
 *
 * @example
 * ```ts
 * const predicate: FilterPredicate = compileFilter(parseFilter('lang = "en"'));
 * predicate({ lang: 'en' }); // true
 * ```
 */
export type FilterPredicate = (metadata: Metadata) => boolean;

// ---------------------------------------------------------------------------------------------------------------
// Lexer

type TokenKind = 'word' | 'key' | 'string' | 'number' | 'operator' | '(' | ')' | ',' | 'end';

interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** The decoded value (string contents, number, lower-cased word, backtick key). */
  value: string | number;
  /** 1-based column of the token's first character. */
  column: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'between', 'exists', 'true', 'false', 'null']);
const IDENTIFIER_START = /[\p{L}_$]/u;
const IDENTIFIER_PART = /[\p{L}\p{N}_$-]/u;
const PLAIN_KEY = /^[\p{L}_$][\p{L}\p{N}_$-]*(\.[\p{L}\p{N}_$-]+)*$/u;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", '/': '/', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

function syntaxError(found: string, column: number, expected: string): RalmError {
  const what = found === '' ? 'end of input' : `"${found}"`;
  return new RalmError('INVALID_ARGUMENT', `filter: unexpected ${what} at column ${column}; expected ${expected}`);
}

function readQuoted(text: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const character = text[i]!;
    if (character === quote) return { value, end: i + 1 };
    if (character === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(text.slice(i, i + 6), i + 1, 'an escape \\uXXXX with four hex digits');
        value += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      if (next === '`' && quote === '`') value += '`';
      else if (ESCAPES[next] !== undefined) value += ESCAPES[next];
      else throw syntaxError(`\\${next}`, i + 1, 'an escape (\\\\ \\" \\\' \\n \\r \\t \\b \\f \\/ \\uXXXX)');
      i += 2;
      continue;
    }
    value += character;
    i++;
  }
  throw syntaxError('', text.length + 1, `a closing ${quote} for the string that starts at column ${start + 1}`);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const character = text[i]!;
    const column = i + 1;
    if (/\s/.test(character)) {
      i++;
      continue;
    }
    if (character === '(' || character === ')' || character === ',') {
      tokens.push({ kind: character, text: character, value: character, column });
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '^=') {
      tokens.push({ kind: 'operator', text: two, value: two, column });
      i += 2;
      continue;
    }
    if (character === '=' || character === '<' || character === '>') {
      tokens.push({ kind: 'operator', text: character, value: character, column });
      i++;
      continue;
    }
    if (character === '"' || character === "'" || character === '`') {
      const { value, end } = readQuoted(text, i, character);
      tokens.push({ kind: character === '`' ? 'key' : 'string', text: text.slice(i, end), value, column });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number && (character !== '-' || number[0].length > 1)) {
      const end = i + number[0].length;
      if (end < text.length && IDENTIFIER_PART.test(text[end]!)) {
        let stop = end;
        while (stop < text.length && (IDENTIFIER_PART.test(text[stop]!) || text[stop] === '.')) stop++;
        throw syntaxError(text.slice(i, stop), column, 'a number or a key (keys start with a letter, "_" or "$")');
      }
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), column });
      i = end;
      continue;
    }
    if (IDENTIFIER_START.test(character)) {
      let end = i + 1;
      for (;;) {
        while (end < text.length && IDENTIFIER_PART.test(text[end]!)) end++;
        if (text[end] === '.' && end + 1 < text.length && IDENTIFIER_PART.test(text[end + 1]!)) end++;
        else break;
      }
      const word = text.slice(i, end);
      tokens.push({ kind: 'word', text: word, value: word, column });
      i = end;
      continue;
    }
    const codePoint = String.fromCodePoint(text.codePointAt(i)!);
    throw syntaxError(codePoint, column, 'a key, a value, an operator (= != < <= > >= ^=) or a parenthesis');
  }
  tokens.push({ kind: 'end', text: '', value: '', column: text.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

const START_OF_CONDITION = 'a key, "not", "exists", "true", "false" or "("';
const OPERATORS = 'an operator (=, !=, <, <=, >, >=, ^=, in, between)';
const VALUE = 'a value (a string, a number, true, false or null)';

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private next(): Token {
    return this.tokens[this.position++]!;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && String(token.value).toLowerCase() === keyword;
  }

  parse(): FilterNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') throw syntaxError(token.text, token.column, '"and", "or" or the end of the filter');
    return node;
  }

  private parseOr(): FilterNode {
    const children = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      children.push(this.parseAnd());
    }
    return children.length === 1 ? children[0]! : { type: 'or', children };
  }

  private parseAnd(): FilterNode {
    const children = [this.parseUnary()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      children.push(this.parseUnary());
    }
    return children.length === 1 ? children[0]! : { type: 'and', children };
  }

  private parseUnary(): FilterNode {
    if (this.isKeyword(this.peek(), 'not')) {
      this.next();
      return { type: 'not', child: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const token = this.peek();
    if (token.kind === '(') {
      this.next();
      const node = this.parseOr();
      const close = this.next();
      if (close.kind !== ')') throw syntaxError(close.text, close.column, `")" to close the "(" at column ${token.column}, "and" or "or"`);
      return node;
    }
    if (this.isKeyword(token, 'true')) {
      this.next();
      return { type: 'and', children: [] };
    }
    if (this.isKeyword(token, 'false')) {
      this.next();
      return { type: 'or', children: [] };
    }
    if (this.isKeyword(token, 'exists')) {
      this.next();
      return { type: 'exists', key: this.parseKey('a key after "exists"') };
    }
    const key = this.parseKey(START_OF_CONDITION);
    const operator = this.next();
    if (this.isKeyword(operator, 'in')) {
      const open = this.next();
      if (open.kind !== '(') throw syntaxError(open.text, open.column, '"(" and a list of values after "in"');
      const values = [this.parseValue()];
      for (;;) {
        const separator = this.next();
        if (separator.kind === ')') break;
        if (separator.kind !== ',') throw syntaxError(separator.text, separator.column, '"," or ")" in the list of values');
        values.push(this.parseValue());
      }
      return { type: 'in', key, values };
    }
    if (this.isKeyword(operator, 'between')) {
      const low = this.parseValue();
      const and = this.next();
      if (!this.isKeyword(and, 'and')) throw syntaxError(and.text, and.column, '"and" between the two bounds of "between"');
      return { type: 'between', key, low, high: this.parseValue() };
    }
    if (operator.kind !== 'operator') throw syntaxError(operator.text, operator.column, OPERATORS);
    if (operator.value === '^=') {
      const value = this.next();
      if (value.kind !== 'string') throw syntaxError(value.text, value.column, 'a string after "^=" (prefix match)');
      return { type: 'prefix', key, value: String(value.value) };
    }
    return { type: 'compare', key, operator: operator.value as ComparisonOperator, value: this.parseValue() };
  }

  private parseKey(expected: string): string {
    const token = this.next();
    if (token.kind === 'key') return String(token.value);
    if (token.kind === 'word' && !KEYWORDS.has(String(token.value).toLowerCase())) return String(token.value);
    throw syntaxError(token.text, token.column, expected);
  }

  private parseValue(): FilterValue {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const word = String(token.value).toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    throw syntaxError(token.text, token.column, VALUE);
  }
}

/**
 * Parses the text form of a filter. Syntax errors are `RalmError('INVALID_ARGUMENT')` with the 1-based column,
 * e.g. `filter: unexpected "2020" at column 6; expected an operator (=, !=, <, <=, >, >=, ^=, in, between)`.
 *
 * @example
 * ```ts
 * parseFilter('lang = "zh" and year >= 2020');
 * // { type: 'and', children: [ { type: 'compare', key: 'lang', operator: '=', value: 'zh' },
 * //                            { type: 'compare', key: 'year', operator: '>=', value: 2020 } ] }
 * ```
 */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw new RalmError('INVALID_ARGUMENT', `filter must be a string, got ${text === null ? 'null' : typeof text}`);
  return new Parser(tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

function formatValue(value: FilterValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return String(value);
}

function formatKey(key: string): string {
  const first = key.split('.')[0]!;
  if (PLAIN_KEY.test(key) && !KEYWORDS.has(first.toLowerCase())) return key;
  return `\`${key.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

function isJunction(node: FilterNode): boolean {
  return (node.type === 'and' || node.type === 'or') && node.children.length > 0;
}

/**
 * Formats a filter as canonical text that {@link parseFilter} reads back to the same tree (for trees in the parser's
 * normal form: `and`/`or` with zero or at least two children). Strings use double quotes with JSON escapes.
 *
 * @example
 * ```ts
 * formatFilter(parseFilter("NOT (draft = TRUE) and tag in ('a','b')")); // 'not draft = true and tag in ("a", "b")'
 * ```
 */
export function formatFilter(node: FilterNode): string {
  switch (node.type) {
    case 'and':
      if (node.children.length === 0) return 'true';
      return node.children.map((child) => (isJunction(child) ? `(${formatFilter(child)})` : formatFilter(child))).join(' and ');
    case 'or':
      if (node.children.length === 0) return 'false';
      return node.children.map((child) => (child.type === 'or' && isJunction(child) ? `(${formatFilter(child)})` : formatFilter(child))).join(' or ');
    case 'not':
      return `not ${isJunction(node.child) ? `(${formatFilter(node.child)})` : formatFilter(node.child)}`;
    case 'compare':
      return `${formatKey(node.key)} ${node.operator} ${formatValue(node.value)}`;
    case 'in':
      return `${formatKey(node.key)} in (${node.values.map(formatValue).join(', ')})`;
    case 'prefix':
      return `${formatKey(node.key)} ^= ${formatValue(node.value)}`;
    case 'between':
      return `${formatKey(node.key)} between ${formatValue(node.low)} and ${formatValue(node.high)}`;
    case 'exists':
      return `exists ${formatKey(node.key)}`;
    default:
      throw invalidNode(node);
  }
}

function invalidNode(node: unknown): RalmError {
  return new RalmError(
    'INVALID_ARGUMENT',
    `filter node ${JSON.stringify(node)} is not valid; expected a type of and, or, not, compare, in, prefix, between or exists`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// JSON form

const JSON_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'prefix', 'between', 'exists'] as const;
const JSON_COMPARISONS: Record<string, ComparisonOperator> = { eq: '=', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function jsonError(path: string, message: string): RalmError {
  return new RalmError('INVALID_ARGUMENT', `filter JSON at ${path}: ${message}`);
}

function jsonValue(value: unknown, path: string): FilterValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw jsonError(path, `expected a string, a finite number, true, false or null, got ${describe(value)}`);
}

function jsonNode(value: unknown, path: string): FilterNode {
  if (!isPlainObject(value)) throw jsonError(path, `expected an object such as {"lang": "zh"} or {"and": [...]}, got ${describe(value)}`);
  const parts: FilterNode[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const here = `${path}.${key}`;
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(inner)) throw jsonError(here, `expected an array of filters, got ${describe(inner)}`);
      parts.push({ type: key, children: inner.map((child, i) => jsonNode(child, `${here}[${i}]`)) });
    } else if (key === 'not') {
      parts.push({ type: 'not', child: jsonNode(inner, here) });
    } else {
      parts.push(jsonField(key, inner, here));
    }
  }
  return parts.length === 1 ? parts[0]! : { type: 'and', children: parts };
}

function jsonField(key: string, value: unknown, path: string): FilterNode {
  if (Array.isArray(value)) throw jsonError(path, `an array is not a value; use {"in": ${describe(value)}} to match any of them`);
  if (!isPlainObject(value)) return { type: 'compare', key, operator: '=', value: jsonValue(value, path) };
  const entries = Object.entries(value);
  if (entries.length === 0) throw jsonError(path, `expected an operator; one of ${JSON_OPERATORS.join(', ')}`);
  const parts = entries.map(([operator, operand]): FilterNode => {
    const here = `${path}.${operator}`;
    const comparison = JSON_COMPARISONS[operator];
    if (comparison !== undefined) return { type: 'compare', key, operator: comparison, value: jsonValue(operand, here) };
    switch (operator) {
      case 'in':
        if (!Array.isArray(operand) || operand.length === 0) throw jsonError(here, `expected a non-empty array of values, got ${describe(operand)}`);
        return { type: 'in', key, values: operand.map((v, i) => jsonValue(v, `${here}[${i}]`)) };
      case 'prefix':
        if (typeof operand !== 'string') throw jsonError(here, `expected a string, got ${describe(operand)}`);
        return { type: 'prefix', key, value: operand };
      case 'between':
        if (!Array.isArray(operand) || operand.length !== 2) throw jsonError(here, `expected [low, high], got ${describe(operand)}`);
        return { type: 'between', key, low: jsonValue(operand[0], `${here}[0]`), high: jsonValue(operand[1], `${here}[1]`) };
      case 'exists':
        if (typeof operand !== 'boolean') throw jsonError(here, `expected true or false, got ${describe(operand)}`);
        return operand ? { type: 'exists', key } : { type: 'not', child: { type: 'exists', key } };
      default:
        throw jsonError(path, `unknown operator "${operator}"; expected one of ${JSON_OPERATORS.join(', ')}`);
    }
  });
  return parts.length === 1 ? parts[0]! : { type: 'and', children: parts };
}

/**
 * Reads the JSON form of a filter: `{"and": [...]}`, `{"or": [...]}`, `{"not": {...}}`, `{key: value}` (equality),
 * `{key: {op: operand}}` with op one of `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in` (array), `prefix` (string),
 * `between` ([low, high]), `exists` (boolean). Several keys in one object are and-ed; `{}` matches everything. The
 * keys `and`, `or` and `not` are reserved at the filter level. Errors are `RalmError('INVALID_ARGUMENT')` naming the
 * JSON path.
 *
 * @example
 * ```ts
 * filterFromJson({ and: [{ lang: 'zh' }, { year: { gte: 2020 } }] }); // same tree as parseFilter('lang = "zh" and year >= 2020')
 * ```
 */
export function filterFromJson(value: unknown): FilterNode {
  return jsonNode(value, '$');
}

/**
 * Writes a filter in the JSON form read by {@link filterFromJson} (which gives back an equivalent filter). Metadata
 * keys named `and`, `or` or `not` cannot be expressed in the JSON form (`RalmError('INVALID_ARGUMENT')`).
 *
 * @example
 * ```ts
 * filterToJson(parseFilter('lang = "zh" and year >= 2020')); // { and: [{ lang: 'zh' }, { year: { gte: 2020 } }] }
 * ```
 */
export function filterToJson(node: FilterNode): unknown {
  const field = (key: string, operand: unknown) => {
    if (key === 'and' || key === 'or' || key === 'not') {
      throw new RalmError('INVALID_ARGUMENT', `the metadata key "${key}" cannot be written in the JSON filter form (reserved); use the text form`);
    }
    return { [key]: operand };
  };
  switch (node.type) {
    case 'and':
      return { and: node.children.map(filterToJson) };
    case 'or':
      return { or: node.children.map(filterToJson) };
    case 'not':
      return { not: filterToJson(node.child) };
    case 'compare': {
      if (node.operator === '=') return field(node.key, node.value);
      const name = Object.keys(JSON_COMPARISONS).find((k) => JSON_COMPARISONS[k] === node.operator)!;
      return field(node.key, { [name]: node.value });
    }
    case 'in':
      return field(node.key, { in: [...node.values] });
    case 'prefix':
      return field(node.key, { prefix: node.value });
    case 'between':
      return field(node.key, { between: [node.low, node.high] });
    case 'exists':
      return field(node.key, { exists: true });
    default:
      throw invalidNode(node);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation

/** Values of `key` in `metadata`, array elements spread (an empty list when the key is missing). */
function lookup(metadata: Metadata, key: string, segments: string[]): unknown[] {
  let values: unknown[];
  if (Object.prototype.hasOwnProperty.call(metadata, key)) values = [metadata[key]];
  else {
    values = [metadata];
    for (const segment of segments) {
      const next: unknown[] = [];
      for (const value of values) {
        const objects = Array.isArray(value) ? value : [value];
        for (const object of objects) {
          if (isPlainObject(object) && Object.prototype.hasOwnProperty.call(object, segment)) next.push(object[segment]);
        }
      }
      values = next;
    }
  }
  const out: unknown[] = [];
  for (const value of values) {
    if (Array.isArray(value)) out.push(...value);
    else if (value !== undefined) out.push(value);
  }
  return out;
}

function equal(value: unknown, target: FilterValue): boolean {
  return value === target;
}

/** -1 / 0 / 1, or undefined when the two are not both numbers or both strings. */
function order(value: unknown, target: FilterValue): number | undefined {
  if (typeof value === 'number' && typeof target === 'number') {
    if (Number.isNaN(value) || Number.isNaN(target)) return undefined;
    return value < target ? -1 : value > target ? 1 : 0;
  }
  if (typeof value === 'string' && typeof target === 'string') return value < target ? -1 : value > target ? 1 : 0;
  return undefined;
}

function checkKey(key: unknown, node: unknown): string {
  if (typeof key !== 'string' || key === '') throw new RalmError('INVALID_ARGUMENT', `filter node ${describe(node)} needs a non-empty string key`);
  return key;
}

/**
 * Compiles a filter into a predicate over a document's metadata (see the module comment for the semantics:
 * dotted keys, arrays match if any element matches, type mismatches are false). Invalid trees are
 * `RalmError('INVALID_ARGUMENT')`.
 *
 * @example
 * ```ts
 * const matches = compileFilter(parseFilter('tag in ("a", "b") and year between 2019 and 2021'));
 * matches({ tag: ['x', 'b'], year: 2020 }); // true
 * matches({ tag: 'a', year: '2020' }); // false: year is a string
 * ```
 */
export function compileFilter(node: FilterNode): FilterPredicate {
  if (!isPlainObject(node)) throw invalidNode(node);
  switch (node.type) {
    case 'and': {
      if (!Array.isArray(node.children)) throw invalidNode(node);
      const children = node.children.map(compileFilter);
      return (metadata) => children.every((child) => child(metadata));
    }
    case 'or': {
      if (!Array.isArray(node.children)) throw invalidNode(node);
      const children = node.children.map(compileFilter);
      return (metadata) => children.some((child) => child(metadata));
    }
    case 'not': {
      const child = compileFilter(node.child);
      return (metadata) => !child(metadata);
    }
    case 'exists': {
      const key = checkKey(node.key, node);
      const segments = key.split('.');
      return (metadata) => lookup(metadata, key, segments).some((v) => v !== null);
    }
    case 'compare': {
      const key = checkKey(node.key, node);
      const segments = key.split('.');
      const { value: target, operator } = node;
      const test: (value: unknown) => boolean =
        operator === '=' || operator === '!='
          ? (v) => equal(v, target)
          : operator === '<'
            ? (v) => order(v, target) === -1
            : operator === '<='
              ? (v) => (order(v, target) ?? 1) <= 0
              : operator === '>'
                ? (v) => order(v, target) === 1
                : operator === '>='
                  ? (v) => (order(v, target) ?? -1) >= 0
                  : (() => {
                      throw new RalmError('INVALID_ARGUMENT', `filter operator "${String(operator)}" is not one of =, !=, <, <=, >, >=`);
                    })();
      if (operator === '!=') return (metadata) => !lookup(metadata, key, segments).some(test);
      return (metadata) => lookup(metadata, key, segments).some(test);
    }
    case 'in': {
      const key = checkKey(node.key, node);
      const segments = key.split('.');
      if (!Array.isArray(node.values)) throw invalidNode(node);
      const targets = new Set<unknown>(node.values);
      return (metadata) => lookup(metadata, key, segments).some((v) => targets.has(v) && !Number.isNaN(v));
    }
    case 'prefix': {
      const key = checkKey(node.key, node);
      const segments = key.split('.');
      const prefix = node.value;
      if (typeof prefix !== 'string') throw invalidNode(node);
      return (metadata) => lookup(metadata, key, segments).some((v) => typeof v === 'string' && v.startsWith(prefix));
    }
    case 'between': {
      const key = checkKey(node.key, node);
      const segments = key.split('.');
      const { low, high } = node;
      return (metadata) => lookup(metadata, key, segments).some((v) => (order(v, low) ?? -1) >= 0 && (order(v, high) ?? 1) <= 0);
    }
    default:
      throw invalidNode(node);
  }
}
