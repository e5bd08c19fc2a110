import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RalmError } from '../../src/core/errors.js';
import { assertGgufFile, createLlamaCpp, importNodeLlamaCpp } from '../../src/generate/providers/llama/index.js';
import { collectStream } from '../../src/models/index.js';
import { standIn } from './llama-stand-in.js';

const dir = mkdtempSync(join(tmpdir(), 'ralm-llama-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A GGUF header: magic, version 3, zero tensors, zero metadata entries (enough for the magic check; not a model). */
const ggufHeader = Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(16)]);

async function error(promise: Promise<unknown>): Promise<RalmError> {
  try {
    await promise;
  } catch (e) {
    expect(RalmError.is(e)).toBe(true);
    return e as RalmError;
  }
  throw new Error('expected a rejection');
}

describe('GGUF magic-byte check', () => {
  it('accepts a file starting with GGUF', async () => {
    await expect(assertGgufFile(file('ok.gguf', ggufHeader))).resolves.toBeUndefined();
  });

  it('refuses other files with UNSUPPORTED naming the file and the bytes found', async () => {
    const path = file('model.safetensors.gguf', Buffer.from([0x7b, 0x22, 0x5f, 0x5f, 0x6d]));
    const e = await error(assertGgufFile(path));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain(`${path} is not a GGUF file (magic bytes 7b 22 5f 5f "{\\"__"`);
    expect(e.file).toBe(path);
    expect((await error(assertGgufFile(file('empty.gguf', '')))).message).toContain('magic bytes none: the file is empty');
    expect((await error(assertGgufFile(file('short.gguf', 'GG')))).code).toBe('UNSUPPORTED');
    expect((await error(assertGgufFile(file('lower.gguf', 'gguf....')))).code).toBe('UNSUPPORTED');
  });

  it('a missing file is NOT_FOUND, a folder UNSUPPORTED', async () => {
    expect((await error(assertGgufFile(join(dir, 'nope.gguf')))).code).toBe('NOT_FOUND');
    mkdirSync(join(dir, 'folder.gguf'));
    expect((await error(assertGgufFile(join(dir, 'folder.gguf')))).code).toBe('UNSUPPORTED');
  });

  it('createLlamaCpp checks the file before importing node-llama-cpp', async () => {
    let imported = false;
    const e = await error(createLlamaCpp({ modelPath: file('fake.gguf', 'not a model'), loadModule: async () => ((imported = true), {}) }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('is not a GGUF file');
    expect(imported).toBe(false);
  });
});

describe('node-llama-cpp missing', () => {
  const notFound = () => Promise.reject(Object.assign(new Error("Cannot find package 'node-llama-cpp' imported from x.js"), { code: 'ERR_MODULE_NOT_FOUND' }));

  it('names `npm install node-llama-cpp`', async () => {
    const e = await error(createLlamaCpp({ modelPath: file('valid.gguf', ggufHeader), loadModule: notFound }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toContain('npm install node-llama-cpp');
  });

  it('the real import gives the same error while the package is not installed', async () => {
    let installed = true;
    try {
      await import('node-llama-cpp' as string);
    } catch {
      installed = false;
    }
    if (installed) {
      console.warn('[skip] node-llama-cpp is installed; the missing-package path is covered by the injected loader');
      return;
    }
    expect((await error(importNodeLlamaCpp())).message).toContain('npm install node-llama-cpp');
  });

  it('a package that fails to load for another reason says so', async () => {
    const e = await error(importNodeLlamaCpp(() => Promise.reject(new Error('libllama.so: cannot open shared object file'))));
    expect(e.message).toContain('installed but failed to load: libllama.so');
  });
});

describe('createLlamaCpp against a stand-in of the documented API (no real model)', () => {
  it('maps messages to chat history + prompt, streams chunks and maps maxTokens to "length"', async () => {
    const log: string[] = [];
    const model = await createLlamaCpp({ modelPath: file('stand-in.gguf', ggufHeader), loadModule: async () => standIn(log) });
    expect(model.provider).toBe('llama.cpp');
    expect(model.modelId).toBe('stand-in.gguf');
    expect(model.contextLength).toBe(4096);
    expect(model.countTokens('a b c')).toBe(3);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: 'Hello' },
      { role: 'user' as const, content: 'Again' },
    ];
    const result = await model.generate({ messages, maxTokens: 2, stop: ['\n'] });
    expect(result).toEqual({ text: 'Hello there', finishReason: 'length', usage: { outputTokens: 2 } });
    expect(log).toContain('history [{"type":"system","text":"Be brief."},{"type":"user","text":"Hi"},{"type":"model","response":["Hello"]}]');
    expect(log).toContain('prompt Again max=2 stop=["\\n"]');
    const streamed = await collectStream(model.stream({ messages }));
    expect(streamed.text).toBe('Hello there');
    // the chat wrapper is resolved once (it is slow: the Jinja template is compared against every known format)
    expect(log.filter((line) => line.startsWith('session chatWrapper'))).toEqual(['session chatWrapper=auto', 'session chatWrapper=reused']);
    await model.dispose();
    expect(log.slice(-2)).toEqual(['context disposed', 'model disposed']);
  });

  it('caps CPU threads at the CPUs available (node-llama-cpp asks for at least 4); an explicit count is passed through', async () => {
    const contextOptions = async (llama: object, options: { threads?: number; contextSize?: number } = {}) => {
      const log: string[] = [];
      const loadModule = async () => {
        const module = standIn(log);
        return { ...module, getLlama: async () => ({ ...(await module.getLlama()), ...llama }) };
      };
      await createLlamaCpp({ modelPath: file('stand-in.gguf', ggufHeader), loadModule, ...options });
      return log.find((line) => line.startsWith('context '));
    };
    expect(await contextOptions({ gpu: false, maxThreads: 100_000 })).toBe(`context {"threads":${availableParallelism()}}`);
    expect(await contextOptions({ gpu: false, maxThreads: 1 })).toBe('context {}');
    expect(await contextOptions({ gpu: 'cuda', maxThreads: 0 })).toBe('context {}');
    expect(await contextOptions({ gpu: false, maxThreads: 100_000 }, { threads: 3, contextSize: 512 })).toBe('context {"contextSize":512,"threads":3}');
    const e = await error(createLlamaCpp({ modelPath: file('stand-in.gguf', ggufHeader), threads: 0, loadModule: async () => standIn([]) }));
    expect(e.code).toBe('INVALID_ARGUMENT');
  });

  it('refuses a conversation that does not end with a user message', async () => {
    const model = await createLlamaCpp({ modelPath: file('stand-in.gguf', ggufHeader), loadModule: async () => standIn([]) });
    await expect(model.generate({ messages: [{ role: 'assistant', content: 'x' }] })).rejects.toThrow(/last message to be a user message/);
  });
});
