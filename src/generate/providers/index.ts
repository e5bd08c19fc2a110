/**
 * Generator specifications as users write them (`--generator extractive`, `openai:gpt-4o-mini`,
 * `llama:models/x.gguf`), parsed into a typed spec that the engine turns into a provider.
 */
import { RalmError } from '../../core/errors.js';

/**
 * A parsed generator specification.
 *
 * @example
 * ```ts
 * const spec: GeneratorSpec = { kind: 'openai', model: 'gpt-4o-mini' };
 * ```
 */
export type GeneratorSpec = { kind: 'extractive' } | { kind: 'openai'; model: string } | { kind: 'llama'; path: string };

/**
 * The accepted forms, for messages and help texts.
 *
 * @example
 * ```ts
 * console.log(generatorSpecForms.join(', '));
 * ```
 */
export const generatorSpecForms: readonly string[] = ['extractive', 'openai:<model>', 'llama:<file.gguf>'];

/**
 * Parses `extractive`, `openai:<model>` (any OpenAI-compatible server; the model name may itself contain `:`, as in
 * Ollama's `llama3.2:3b`) or `llama:<file.gguf>`. Anything else is `INVALID_ARGUMENT` listing the valid forms.
 *
 * @example
 * ```ts
 * parseGeneratorSpec('openai:llama3.2:3b'); // { kind: 'openai', model: 'llama3.2:3b' }
 * parseGeneratorSpec('llama:models/q.gguf'); // { kind: 'llama', path: 'models/q.gguf' }
 * ```
 */
export function parseGeneratorSpec(text: string): GeneratorSpec {
  const value = typeof text === 'string' ? text.trim() : '';
  const valid = `valid forms: ${generatorSpecForms.join(', ')}`;
  if (value === 'extractive') return { kind: 'extractive' };
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? '' : value.slice(colon + 1).trim();
  if (kind === 'openai') {
    if (rest === '') throw new RalmError('INVALID_ARGUMENT', `generator "${value}" names no model; write openai:<model>, e.g. openai:gpt-4o-mini (${valid})`);
    return { kind: 'openai', model: rest };
  }
  if (kind === 'llama') {
    if (rest === '') throw new RalmError('INVALID_ARGUMENT', `generator "${value}" names no file; write llama:<file.gguf> (${valid})`);
    if (!/\.gguf$/i.test(rest)) throw new RalmError('INVALID_ARGUMENT', `generator "${value}": ${rest} does not end in .gguf; write llama:<file.gguf> (${valid})`);
    return { kind: 'llama', path: rest };
  }
  throw new RalmError('INVALID_ARGUMENT', `unknown generator "${String(text)}"; ${valid}`);
}
