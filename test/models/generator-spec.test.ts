import { describe, expect, it } from 'vitest';
import { parseGeneratorSpec } from '../../src/generate/providers/index.js';

describe('parseGeneratorSpec', () => {
  it('parses the three forms', () => {
    expect(parseGeneratorSpec('extractive')).toEqual({ kind: 'extractive' });
    expect(parseGeneratorSpec('openai:gpt-4o-mini')).toEqual({ kind: 'openai', model: 'gpt-4o-mini' });
    expect(parseGeneratorSpec('openai:llama3.2:3b')).toEqual({ kind: 'openai', model: 'llama3.2:3b' });
    expect(parseGeneratorSpec('llama:models/qwen2.5-0.5b-instruct-q4_k_m.gguf')).toEqual({ kind: 'llama', path: 'models/qwen2.5-0.5b-instruct-q4_k_m.gguf' });
    expect(parseGeneratorSpec('llama:C:\\models\\x.GGUF')).toEqual({ kind: 'llama', path: 'C:\\models\\x.GGUF' });
  });

  it('anything else is INVALID_ARGUMENT listing the valid forms', () => {
    for (const bad of ['', 'gpt-4', 'openai', 'openai:', 'llama:', 'llama:model.bin', 'anthropic:claude']) {
      expect(() => parseGeneratorSpec(bad)).toThrow(/valid forms: extractive, openai:<model>, llama:<file\.gguf>/);
    }
  });
});
