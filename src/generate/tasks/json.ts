/**
 * Structured answers: finding the JSON object in a model's reply (bare, or in a fenced block, or surrounded by prose)
 * and describing validation errors so that a person — or the model, in a repair prompt — can act on them.
 */
import type { z } from 'zod';

/**
 * The outcome of {@link parseJsonAnswer}.
 *
 * @example
 * ```ts
 * const parsed: JsonAnswer = { ok: false, error: 'no JSON object found in the reply' };
 * ```
 */
export type JsonAnswer = { ok: true; value: unknown; text: string } | { ok: false; error: string };

/** The first balanced `{…}` or `[…]` in `text`, respecting JSON strings. */
function balanced(text: string): string | undefined {
  const open = text.search(/[{[]/);
  if (open < 0) return undefined;
  const stack: string[] = [];
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch === '{' ? '}' : ']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return undefined;
      if (stack.length === 0) return text.slice(open, i + 1);
    }
  }
  return undefined;
}

/**
 * Parses the JSON value of a model's reply. Tried in order: a fenced block (```` ```json … ``` ```` or ```` ``` … ``` ````),
 * the whole reply, the first balanced `{…}`/`[…]`. On failure the error names what was wrong (JSON.parse's message).
 *
 * @example
 * ```ts
 * parseJsonAnswer('Here you go:\n```json\n{"entities": []}\n```'); // { ok: true, value: { entities: [] }, text: '{"entities": []}' }
 * parseJsonAnswer('{"entities": [}').ok; // false
 * ```
 */
export function parseJsonAnswer(reply: string): JsonAnswer {
  const attempts: string[] = [];
  const fenced = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(reply);
  if (fenced) attempts.push(fenced[1]!.trim());
  attempts.push(reply.trim());
  const inner = balanced(reply);
  if (inner !== undefined) attempts.push(inner);
  let firstError: string | undefined;
  for (const text of attempts) {
    if (text === '') continue;
    try {
      return { ok: true, value: JSON.parse(text) as unknown, text };
    } catch (error) {
      firstError ??= (error as Error).message;
    }
  }
  return { ok: false, error: firstError === undefined ? 'the reply is empty' : `the reply is not valid JSON (${firstError})` };
}

/**
 * One line per validation issue: `path: message`, the path written as `entities[0].source` (`(root)` for the value
 * itself).
 *
 * @example
 * ```ts
 * const result = schema.safeParse({ entities: [{ text: 'Paris' }] });
 * if (!result.success) describeValidationIssues(result.error);
 * // ['entities[0].type: Invalid input: expected string, received undefined', …]
 * ```
 */
export function describeValidationIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    let path = '';
    for (const part of issue.path) path += typeof part === 'number' ? `[${part}]` : path === '' ? String(part) : `.${String(part)}`;
    return `${path === '' ? '(root)' : path}: ${issue.message}`;
  });
}

/**
 * Every `source` value (string or number) anywhere in a JSON value, in document order: the citation keys of an
 * extraction.
 *
 * @example
 * ```ts
 * collectSources({ entities: [{ text: 'Paris', source: '1' }], relations: [{ head: 'a', source: 3 }] }); // ['1', '3']
 * ```
 */
export function collectSources(value: unknown, field = 'source'): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === field && (typeof x === 'string' || typeof x === 'number')) out.push(String(x).replace(/^\[(.*)\]$/, '$1').trim());
        else walk(x);
      }
    }
  };
  walk(value);
  return out;
}
