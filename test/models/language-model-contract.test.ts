import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAICompatible } from '../../src/generate/providers/openai/index.js';
import { createLlamaCpp } from '../../src/generate/providers/llama/index.js';
import { reply, startOpenAIServer } from '../helpers/openai-server.js';
import { languageModelContract } from './language-model.contract.js';
import { standIn } from './llama-stand-in.js';

languageModelContract('openai-compatible (scripted server)', async () => {
  const server = await startOpenAIServer(reply.text('Hello there, friend.'));
  return {
    model: createOpenAICompatible({ baseURL: server.baseURL, model: 'test-model', env: {}, retryDelayMs: 1 }),
    expectedText: 'Hello there, friend.',
    teardown: () => server.close(),
  };
});

languageModelContract('llama.cpp (stand-in for node-llama-cpp)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ralm-contract-'));
  const modelPath = join(dir, 'stand-in.gguf');
  writeFileSync(modelPath, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(20)]));
  const model = await createLlamaCpp({ modelPath, loadModule: async () => standIn([]) });
  return {
    model,
    expectedText: 'Hello there',
    teardown: async () => {
      await model.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
