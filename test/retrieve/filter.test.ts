import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import type { Metadata } from '../../src/core/types.js';
import { compileFilter, filterFromJson, filterToJson, formatFilter, parseFilter, type FilterNode, type FilterValue } from '../../src/retrieve/filter.js';

// ------------------------------------------------------------------------------------------------------------
// A plain brute-force interpreter of the documented semantics, written independently of the compiler.

function valuesOf(metadata: Metadata, key: string): unknown[] {
  let raw: unknown[];
  if (Object.keys(metadata).includes(key)) raw = [metadata[key]];
  else {
    const walk = (value: unknown, path: string[]): unknown[] => {
      if (path.length === 0) return [value];
      if (Array.isArray(value)) return value.flatMap((element) => walk(element, path));
      if (value !== null && typeof value === 'object' && Object.keys(value).includes(path[0]!)) {
        return walk((value as Record<string, unknown>)[path[0]!], path.slice(1));
      }
      return [];
    };
    raw = walk(metadata, key.split('.'));
  }
  return raw.flatMap((value) => (Array.isArray(value) ? value : value === undefined ? [] : [value]));
}

function comparable(a: unknown, b: unknown): boolean {
  return (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
}

function interpret(node: FilterNode, metadata: Metadata): boolean {
  const any = (key: string, test: (value: unknown) => boolean) => valuesOf(metadata, key).some(test);
  switch (node.type) {
    case 'and':
      return node.children.every((child) => interpret(child, metadata));
    case 'or':
      return node.children.some((child) => interpret(child, metadata));
    case 'not':
      return !interpret(node.child, metadata);
    case 'exists':
      return any(node.key, (v) => v !== null);
    case 'in':
      return any(node.key, (v) => node.values.some((t) => v === t));
    case 'prefix':
      return any(node.key, (v) => typeof v === 'string' && v.startsWith(node.value));
    case 'between':
      return any(node.key, (v) => comparable(v, node.low) && comparable(v, node.high) && (v as number) >= (node.low as number) && (v as number) <= (node.high as number));
    case 'compare': {
      const t = node.value;
      switch (node.operator) {
        case '=':
          return any(node.key, (v) => v === t);
        case '!=':
          return !any(node.key, (v) => v === t);
        case '<':
          return any(node.key, (v) => comparable(v, t) && (v as number) < (t as number));
        case '<=':
          return any(node.key, (v) => comparable(v, t) && (v as number) <= (t as number));
        case '>':
          return any(node.key, (v) => comparable(v, t) && (v as number) > (t as number));
        case '>=':
          return any(node.key, (v) => comparable(v, t) && (v as number) >= (t as number));
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------------------
// Generators

const evalKeys = ['lang', 'year', 'tag', 'draft', 'author.name', 'path', 'score', 'missing'];
const smallValue: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.constantFrom('zh', 'en', 'a', 'b', 'docs/api/x', 'docs/', '2020', ''),
  fc.integer({ min: 2017, max: 2023 }),
  fc.constantFrom(0, 1, 0.5, -1),
  fc.boolean(),
  fc.constant(null),
);

function filterArbitrary(keys: fc.Arbitrary<string>, value: fc.Arbitrary<FilterValue>, prefix: fc.Arbitrary<string>): fc.Arbitrary<FilterNode> {
  const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
    fc.record({ type: fc.constant('compare' as const), key: keys, operator: fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), value }),
    fc.record({ type: fc.constant('in' as const), key: keys, values: fc.array(value, { minLength: 1, maxLength: 4 }) }),
    fc.record({ type: fc.constant('prefix' as const), key: keys, value: prefix }),
    fc.record({ type: fc.constant('between' as const), key: keys, low: value, high: value }),
    fc.record({ type: fc.constant('exists' as const), key: keys }),
  );
  const { node } = fc.letrec<{ node: FilterNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ type: fc.constant('not' as const), child: tie('node') }),
      fc
        .record({ type: fc.constantFrom('and' as const, 'or' as const), children: fc.oneof(fc.constant([]), fc.array(tie('node'), { minLength: 2, maxLength: 3 })) })
        .map(({ type, children }): FilterNode => ({ type, children: [...children] })),
    ),
  }));
  return node;
}

const syntaxKeys = fc.oneof(
  fc.constantFrom('lang', 'year', 'author.name', 'x.0', 'a-b', '_id', '$meta', '中文', 'not', 'AND', 'in.x', 'my key', 'a`b', 'back\\slash', 'trailing.'),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const anyValue: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

const metadataArbitrary: fc.Arbitrary<Metadata> = fc.record(
  {
    lang: fc.oneof(fc.constantFrom('zh', 'en', 'a'), fc.constant(null), fc.array(fc.constantFrom('zh', 'en'), { maxLength: 2 })),
    year: fc.oneof(fc.integer({ min: 2017, max: 2023 }), fc.constantFrom('2020', '2021'), fc.array(fc.integer({ min: 2017, max: 2023 }), { maxLength: 3 })),
    tag: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'c', 1, null), { maxLength: 3 }), fc.constantFrom('a', 'b')),
    draft: fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1)),
    author: fc.oneof(
      fc.record({ name: fc.constantFrom('a', 'b', 'zh') }),
      fc.array(fc.record({ name: fc.constantFrom('a', 'b', 2020) }, { requiredKeys: [] }), { maxLength: 3 }),
      fc.constant('flat'),
    ),
    'author.name': fc.constantFrom('en', 'b'),
    path: fc.constantFrom('docs/api/x', 'docs/guide', 'src/index.ts', ''),
    score: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constant(Number.NaN)),
  },
  { requiredKeys: [] },
);

// ------------------------------------------------------------------------------------------------------------

describe('parseFilter', () => {
  it('parses every construct with the usual precedence', () => {
    expect(parseFilter('lang = "zh" and year >= 2020')).toEqual({
      type: 'and',
      children: [
        { type: 'compare', key: 'lang', operator: '=', value: 'zh' },
        { type: 'compare', key: 'year', operator: '>=', value: 2020 },
      ],
    });
    expect(parseFilter('not (draft = true)')).toEqual({ type: 'not', child: { type: 'compare', key: 'draft', operator: '=', value: true } });
    expect(parseFilter(`tag in ("a", 'b', 3, null)`)).toEqual({ type: 'in', key: 'tag', values: ['a', 'b', 3, null] });
    expect(parseFilter('path ^= "docs/api/"')).toEqual({ type: 'prefix', key: 'path', value: 'docs/api/' });
    expect(parseFilter('year between 2019 and 2021 and x != false')).toEqual({
      type: 'and',
      children: [
        { type: 'between', key: 'year', low: 2019, high: 2021 },
        { type: 'compare', key: 'x', operator: '!=', value: false },
      ],
    });
    expect(parseFilter('exists author.name')).toEqual({ type: 'exists', key: 'author.name' });
    expect(parseFilter('a = 1 or b = 2 and not c = 3')).toEqual({
      type: 'or',
      children: [
        { type: 'compare', key: 'a', operator: '=', value: 1 },
        { type: 'and', children: [{ type: 'compare', key: 'b', operator: '=', value: 2 }, { type: 'not', child: { type: 'compare', key: 'c', operator: '=', value: 3 } }] },
      ],
    });
    expect(parseFilter('A < -1.5e3 OR `odd key` <= \'it\\\'s\\n\\u4e2d\'')).toEqual({
      type: 'or',
      children: [
        { type: 'compare', key: 'A', operator: '<', value: -1500 },
        { type: 'compare', key: 'odd key', operator: '<=', value: "it's\n中" },
      ],
    });
    expect(parseFilter('true')).toEqual({ type: 'and', children: [] });
    expect(parseFilter('(a > 1)')).toEqual({ type: 'compare', key: 'a', operator: '>', value: 1 });
  });

  it('reports syntax errors with the column and what was expected', () => {
    const message = (text: string) => {
      try {
        parseFilter(text);
      } catch (error) {
        expect(RalmError.is(error) && error.code === 'INVALID_ARGUMENT').toBe(true);
        return (error as Error).message;
      }
      throw new Error(`no error for ${text}`);
    };
    expect(message('year 2020')).toBe('filter: unexpected "2020" at column 6; expected an operator (=, !=, <, <=, >, >=, ^=, in, between)');
    expect(message('lang = ')).toBe('filter: unexpected end of input at column 8; expected a value (a string, a number, true, false or null)');
    expect(message('')).toBe('filter: unexpected end of input at column 1; expected a key, "not", "exists", "true", "false" or "("');
    expect(message('(a = 1 or b = 2')).toBe('filter: unexpected end of input at column 16; expected ")" to close the "(" at column 1, "and" or "or"');
    expect(message('a = 1 b = 2')).toBe('filter: unexpected "b" at column 7; expected "and", "or" or the end of the filter');
    expect(message('tag in ("a" "b")')).toBe('filter: unexpected ""b"" at column 13; expected "," or ")" in the list of values');
    expect(message('path ^= 3')).toBe('filter: unexpected "3" at column 9; expected a string after "^=" (prefix match)');
    expect(message('a = "open')).toBe('filter: unexpected end of input at column 10; expected a closing " for the string that starts at column 5');
    expect(message('a = "\\q"')).toMatch(/^filter: unexpected "\\q" at column 6; expected an escape/);
    expect(message('a @ 1')).toMatch(/^filter: unexpected "@" at column 3; expected a key, a value, an operator/);
    expect(message('year between 1 or 2')).toBe('filter: unexpected "or" at column 16; expected "and" between the two bounds of "between"');
    expect(message('and = 1')).toMatch(/^filter: unexpected "and" at column 1; expected a key/);
    expect(message('a = 12abc')).toMatch(/^filter: unexpected "12abc" at column 5; expected a number or a key/);
  });

  it('round-trips: parseFilter(formatFilter(node)) equals node (generated trees)', () => {
    fc.assert(
      fc.property(filterArbitrary(syntaxKeys, anyValue, fc.string({ maxLength: 6 })), (node) => {
        const text = formatFilter(node);
        expect(parseFilter(text), text).toEqual(node);
      }),
      { numRuns: 500 },
    );
    expect(formatFilter(parseFilter("NOT (draft = TRUE) and tag in ('a','b')"))).toBe('not draft = true and tag in ("a", "b")');
  });
});

describe('compileFilter', () => {
  it('agrees with a brute-force interpreter on random metadata', () => {
    fc.assert(
      fc.property(filterArbitrary(fc.constantFrom(...evalKeys), smallValue, fc.constantFrom('docs/', 'docs/api/', '', 'z')), fc.array(metadataArbitrary, { minLength: 1, maxLength: 8 }), (node, documents) => {
        const predicate = compileFilter(node);
        for (const metadata of documents) expect(predicate(metadata), `${formatFilter(node)} on ${JSON.stringify(metadata)}`).toBe(interpret(node, metadata));
      }),
      { numRuns: 400 },
    );
  });

  it('documents the semantics on examples', () => {
    const match = (filter: string, metadata: Metadata) => compileFilter(parseFilter(filter))(metadata);
    expect(match('tag = "a"', { tag: ['x', 'a'] })).toBe(true); // arrays match if any element matches
    expect(match('tag != "a"', { tag: ['x', 'a'] })).toBe(false); // != is not(=)
    expect(match('tag != "a"', {})).toBe(true);
    expect(match('year < "2021"', { year: 2020 })).toBe(false); // type mismatch: false, no error
    expect(match('year >= 2020', { year: '2021' })).toBe(false);
    expect(match('date >= "2020-01-01"', { date: '2020-06-30' })).toBe(true);
    expect(match('author.name = "Ada"', { author: { name: 'Ada' } })).toBe(true);
    expect(match('author.name = "Ada"', { author: [{ name: 'Bob' }, { name: 'Ada' }] })).toBe(true);
    expect(match('author.name = "Ada"', { 'author.name': 'Ada' })).toBe(true);
    expect(match('exists lang', { lang: null })).toBe(false);
    expect(match('exists tags', { tags: [] })).toBe(false);
    expect(match('x = null', { x: null })).toBe(true);
    expect(match('x = null', {})).toBe(false);
    expect(match('path ^= "docs/api/"', { path: 'docs/api/search.md' })).toBe(true);
    expect(match('year between 2019 and 2021', { year: [2015, 2020] })).toBe(true);
    expect(match('false', {})).toBe(false);
    expect(match('constructor = 1', {})).toBe(false); // no prototype lookups
  });

  it('rejects invalid trees naming the valid choices', () => {
    expect(() => compileFilter({ type: 'xor' } as unknown as FilterNode)).toThrow(/expected a type of and, or, not, compare, in, prefix, between or exists/);
    expect(() => compileFilter({ type: 'compare', key: 'a', operator: '~', value: 1 } as unknown as FilterNode)).toThrow(/"~" is not one of =, !=, <, <=, >, >=/);
  });
});

describe('filterFromJson', () => {
  it('reads the JSON form into the same trees as the text form', () => {
    expect(filterFromJson({ and: [{ lang: 'zh' }, { year: { gte: 2020 } }] })).toEqual(parseFilter('lang = "zh" and year >= 2020'));
    expect(filterFromJson({ or: [{ tag: { in: ['a', 'b'] } }, { not: { draft: true } }] })).toEqual(parseFilter('tag in ("a", "b") or not draft = true'));
    expect(filterFromJson({ path: { prefix: 'docs/' } })).toEqual(parseFilter('path ^= "docs/"'));
    expect(filterFromJson({ year: { gt: 1, lt: 9 }, x: { ne: null } })).toEqual(parseFilter('(year > 1 and year < 9) and x != null'));
    expect(filterFromJson({ year: { between: [2019, 2021] }, a: { exists: true } })).toEqual(parseFilter('year between 2019 and 2021 and exists a'));
    expect(filterFromJson({})).toEqual(parseFilter('true'));
    expect(filterToJson(parseFilter('lang = "zh" and year >= 2020'))).toEqual({ and: [{ lang: 'zh' }, { year: { gte: 2020 } }] });
  });

  it('is equivalent to the tree it was written from (filterToJson → filterFromJson), on random metadata', () => {
    fc.assert(
      fc.property(filterArbitrary(fc.constantFrom(...evalKeys), smallValue, fc.constantFrom('docs/', '')), fc.array(metadataArbitrary, { maxLength: 6 }), (node, documents) => {
        const json = JSON.parse(JSON.stringify(filterToJson(node))) as unknown;
        const fromJson = compileFilter(filterFromJson(json));
        const direct = compileFilter(node);
        for (const metadata of documents) expect(fromJson(metadata)).toBe(direct(metadata));
      }),
      { numRuns: 300 },
    );
  });

  it('names the JSON path and the valid choices in errors', () => {
    expect(() => filterFromJson({ and: [{ lang: 'zh' }, { year: { gtt: 2020 } }] })).toThrow(
      'filter JSON at $.and[1].year: unknown operator "gtt"; expected one of eq, ne, gt, gte, lt, lte, in, prefix, between, exists',
    );
    expect(() => filterFromJson({ tag: ['a'] })).toThrow('filter JSON at $.tag: an array is not a value; use {"in": ["a"]} to match any of them');
    expect(() => filterFromJson('lang = "zh"')).toThrow(/filter JSON at \$: expected an object/);
    expect(() => filterFromJson({ or: {} })).toThrow(/filter JSON at \$\.or: expected an array of filters/);
    expect(() => filterFromJson({ year: { in: [] } })).toThrow(/\$\.year\.in: expected a non-empty array/);
    expect(() => filterFromJson({ year: Number.POSITIVE_INFINITY })).toThrow(/\$\.year: expected a string, a finite number/);
  });
});
