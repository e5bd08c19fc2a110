/**
 * Local GGUF models through node-llama-cpp (an optional dependency, imported only when a `llama:<file.gguf>`
 * generator is created). Written against node-llama-cpp v3's documented API: `getLlama()`,
 * `llama.loadModel({ modelPath })`, `model.createContext({ contextSize, threads })`, `context.getSequence()`,
 * `sequence.tokenMeter`, `new LlamaChatSession({ contextSequence })`, `session.setChatHistory(…)`,
 * `session.promptWithMeta(text, { onTextChunk, signal, maxTokens, temperature, customStopTriggers })` and
 * `model.tokenize(text)`. Tested against node-llama-cpp 3.22 with a generated GGUF file (test/models/llama-gguf.test.ts).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { RalmError } from '../../../core/errors.js';
import type {
  CallOptions,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  StreamEvent,
} from '../../../models/language-model.js';
import { assertGgufFile } from './gguf.js';

/**
 * Options of {@link createLlamaCpp}.
 *
 * @example
 * ```ts
 * const options: LlamaCppOptions = { modelPath: 'models/qwen2.5-0.5b-instruct-q4_k_m.gguf', contextSize: 4096 };
 * ```
 */
export interface LlamaCppOptions {
  /** Path of the `.gguf` model file. */
  modelPath: string;
  /** Context window to allocate, in tokens; defaults to what node-llama-cpp chooses (fits the model and memory). */
  contextSize?: number;
  /** Layers to offload to the GPU (`'auto'` by default in node-llama-cpp). */
  gpuLayers?: number | 'auto';
  /**
   * CPU threads that evaluate tokens. Defaults to node-llama-cpp's choice (its math cores, at least 4), capped at the
   * CPUs this process may use (`os.availableParallelism()`) when running on the CPU: more threads than CPUs make
   * llama.cpp's spinning thread pool many times slower.
   */
  threads?: number;
  /** Imports node-llama-cpp; replaceable for tests. Defaults to `import('node-llama-cpp')`. */
  loadModule?: () => Promise<unknown>;
}

/**
 * A llama.cpp {@link LanguageModel} that holds native memory: call `dispose()` when done.
 *
 * @example
 * ```ts
 * const model = await createLlamaCpp({ modelPath: 'model.gguf' });
 * try { console.log((await model.generate({ messages })).text); } finally { await model.dispose(); }
 * ```
 */
export interface LlamaLanguageModel extends LanguageModel {
  countTokens(text: string): number;
  dispose(): Promise<void>;
}

/** The slice of node-llama-cpp's API this provider uses (structural, so the package stays optional). */
interface NodeLlamaCpp {
  getLlama(): Promise<LlamaHandle>;
  LlamaChatSession: new (options: { contextSequence: unknown; chatWrapper?: unknown }) => LlamaChatSessionHandle;
}
interface LlamaHandle {
  /** `false` when running on the CPU only. */
  readonly gpu?: string | false;
  /** The thread limit of this Llama instance (0: none). */
  readonly maxThreads?: number;
  loadModel(options: { modelPath: string; gpuLayers?: number | 'auto' }): Promise<LlamaModelHandle>;
}
interface LlamaModelHandle {
  tokenize(text: string): unknown[];
  readonly trainContextSize?: number;
  createContext(options?: { contextSize?: number; threads?: number }): Promise<LlamaContextHandle>;
  dispose?(): Promise<void> | void;
}
interface LlamaContextHandle {
  readonly contextSize?: number;
  getSequence(): LlamaSequenceHandle;
  dispose?(): Promise<void> | void;
}
interface LlamaSequenceHandle {
  /** Tokens evaluated (input) and generated (output) on this sequence. */
  readonly tokenMeter?: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
  dispose?(): void;
}
type ChatHistoryItem = { type: 'system'; text: string } | { type: 'user'; text: string } | { type: 'model'; response: string[] };
interface PromptOptions {
  onTextChunk?: (text: string) => void;
  signal?: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  customStopTriggers?: string[];
}
interface LlamaChatSessionHandle {
  /** The chat wrapper (prompt format) the session resolved from the model's chat template. */
  readonly chatWrapper?: unknown;
  setChatHistory(history: ChatHistoryItem[]): void;
  prompt(text: string, options?: PromptOptions): Promise<string>;
  promptWithMeta?(text: string, options?: PromptOptions): Promise<{ responseText: string; stopReason?: string }>;
  dispose?(): void;
}

const PACKAGE = 'node-llama-cpp';

/**
 * Imports node-llama-cpp, turning a missing package into `UNSUPPORTED` with the install command.
 *
 * @example
 * ```ts
 * const llamaCpp = await importNodeLlamaCpp(); // throws "… run `npm install node-llama-cpp` …" when absent
 * ```
 */
export async function importNodeLlamaCpp(load: () => Promise<unknown> = () => import(PACKAGE)): Promise<unknown> {
  try {
    return await load();
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const message = cause instanceof Error ? cause.message : String(cause);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package) ['"]?node-llama-cpp/.test(message)) {
      throw new RalmError('UNSUPPORTED', 'llama:<file.gguf> generators need node-llama-cpp, an optional peer dependency of ralm that is not installed: run `npm install node-llama-cpp`', {
        cause,
      });
    }
    throw new RalmError('UNSUPPORTED', `node-llama-cpp is installed but failed to load: ${message}`, { cause });
  }
}

/**
 * Loads a GGUF model with node-llama-cpp and returns it as a {@link LanguageModel}. Before anything is imported the
 * file is checked (exists, starts with the `GGUF` magic bytes). Requests are served one at a time (one context
 * sequence); each builds a fresh chat session from the request's messages (system → system prompt, earlier turns →
 * chat history, the last user message → the prompt). Token logprobs are not available through `LlamaChatSession`:
 * a request with `logprobs` is answered without them. `usage` counts the tokens the request evaluated (prompt, chat
 * template included) and generated, from the context sequence's token meter.
 *
 * @example
 * ```ts
 * const model = await createLlamaCpp({ modelPath: 'models/qwen2.5-0.5b-instruct-q4_k_m.gguf' });
 * for await (const e of model.stream({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 32 })) {
 *   if (e.type === 'text-delta') process.stdout.write(e.text);
 * }
 * await model.dispose();
 * ```
 */
export async function createLlamaCpp(options: LlamaCppOptions): Promise<LlamaLanguageModel> {
  if (!options || typeof options.modelPath !== 'string' || options.modelPath === '') {
    throw new RalmError('INVALID_ARGUMENT', 'createLlamaCpp needs modelPath, the path of a .gguf file');
  }
  const { modelPath } = options;
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new RalmError('INVALID_ARGUMENT', `threads must be a positive integer, got ${options.threads}`);
  }
  await assertGgufFile(modelPath);
  const llamaCpp = (await importNodeLlamaCpp(options.loadModule)) as NodeLlamaCpp;
  if (typeof llamaCpp?.getLlama !== 'function' || typeof llamaCpp.LlamaChatSession !== 'function') {
    throw new RalmError('UNSUPPORTED', 'the installed node-llama-cpp does not export getLlama and LlamaChatSession; ralm needs node-llama-cpp 3.x');
  }
  let model: LlamaModelHandle | undefined;
  let context: LlamaContextHandle;
  try {
    const llama = await sharedLlama(llamaCpp);
    model = await llama.loadModel({ modelPath, ...(options.gpuLayers !== undefined ? { gpuLayers: options.gpuLayers } : {}) });
    const threads = options.threads ?? cpuThreadCap(llama);
    context = await model.createContext({
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(threads !== undefined ? { threads } : {}),
    });
  } catch (cause) {
    await Promise.resolve(model?.dispose?.()).catch(() => {}); // the context failed: free the loaded weights
    throw new RalmError('UNSUPPORTED', `node-llama-cpp could not load ${modelPath}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, file: modelPath });
  }

  // Resolving the chat wrapper renders the model's Jinja chat template against every known format (~1 s): the first
  // session does it, later sessions reuse its wrapper.
  let chatWrapper: unknown;
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => {});
    return run;
  };

  const run = (request: GenerateRequest, call: CallOptions, onTextChunk?: (text: string) => void): Promise<GenerateResult> =>
    exclusive(async () => {
      if (call.signal?.aborted) throw new RalmError('ABORTED', 'the generation was aborted', { cause: call.signal.reason });
      const { history, prompt } = toChatHistory(request);
      const sequence = context.getSequence();
      let session: LlamaChatSessionHandle;
      try {
        session = new llamaCpp.LlamaChatSession({ contextSequence: sequence, ...(chatWrapper !== undefined ? { chatWrapper } : {}) });
      } catch (cause) {
        sequence.dispose?.();
        throw new RalmError('PROVIDER', `llama.cpp could not start a chat with ${basename(modelPath)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
      chatWrapper ??= session.chatWrapper;
      try {
        session.setChatHistory(history);
        const promptOptions: PromptOptions = {};
        if (onTextChunk) promptOptions.onTextChunk = onTextChunk;
        if (call.signal) promptOptions.signal = call.signal;
        if (request.maxTokens !== undefined) promptOptions.maxTokens = request.maxTokens;
        if (request.temperature !== undefined) promptOptions.temperature = request.temperature;
        if (request.stop && request.stop.length > 0) promptOptions.customStopTriggers = request.stop;
        let text: string;
        let finishReason: FinishReason = 'stop';
        if (typeof session.promptWithMeta === 'function') {
          const meta = await session.promptWithMeta(prompt, promptOptions);
          text = meta.responseText;
          finishReason = meta.stopReason === 'maxTokens' ? 'length' : meta.stopReason === 'abort' ? 'other' : 'stop';
        } else {
          text = await session.prompt(prompt, promptOptions);
        }
        const meter = sequence.tokenMeter;
        const usage = meter ? { inputTokens: meter.usedInputTokens, outputTokens: meter.usedOutputTokens } : { outputTokens: model.tokenize(text).length };
        return { text, finishReason, usage };
      } catch (cause) {
        if (call.signal?.aborted) throw new RalmError('ABORTED', 'the generation was aborted', { cause });
        throw new RalmError('PROVIDER', `llama.cpp generation with ${basename(modelPath)} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      } finally {
        session.dispose?.();
        sequence.dispose?.();
      }
    });

  const stream = (request: GenerateRequest, call: CallOptions = {}): AsyncIterable<StreamEvent> => ({
    async *[Symbol.asyncIterator]() {
      const controller = new AbortController();
      const signal = call.signal ? AbortSignal.any([call.signal, controller.signal]) : controller.signal;
      const pending: string[] = [];
      let wake: (() => void) | undefined;
      let settled: { result?: GenerateResult; error?: unknown } | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      run(request, { ...call, signal }, (text) => {
        pending.push(text);
        notify();
      }).then(
        (result) => {
          settled = { result };
          notify();
        },
        (error: unknown) => {
          settled = { error };
          notify();
        },
      );
      try {
        for (;;) {
          while (pending.length > 0) yield { type: 'text-delta', text: pending.shift()! };
          if (settled) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (settled.error !== undefined) {
          const error = settled.error;
          yield { type: 'error', error: RalmError.is(error) ? error : new RalmError('PROVIDER', String(error), { cause: error }) };
        } else {
          yield { type: 'finish', finishReason: settled.result!.finishReason, usage: settled.result!.usage };
        }
      } finally {
        if (!settled) controller.abort(); // the consumer stopped early
      }
    },
  });

  const contextLength = context.contextSize ?? model.trainContextSize;
  const languageModel: LlamaLanguageModel = {
    specificationVersion: 'v1',
    provider: 'llama.cpp',
    modelId: basename(modelPath),
    generate: (request, call = {}) => run(request, call),
    stream,
    countTokens: (text) => model.tokenize(text).length,
    dispose: async () => {
      await context.dispose?.();
      await model.dispose?.();
    },
  };
  if (contextLength !== undefined) (languageModel as { contextLength?: number }).contextLength = contextLength;
  return languageModel;
}

/**
 * One `Llama` (llama.cpp's loaded bindings) per imported node-llama-cpp module, shared by every model: `getLlama()`
 * takes about a second on each call. A failure is not kept, so a later call tries again.
 */
const llamaInstances = new WeakMap<object, Promise<LlamaHandle>>();
function sharedLlama(llamaCpp: NodeLlamaCpp): Promise<LlamaHandle> {
  let llama = llamaInstances.get(llamaCpp);
  if (!llama) {
    llama = llamaCpp.getLlama();
    llamaInstances.set(llamaCpp, llama);
    llama.catch(() => llamaInstances.delete(llamaCpp));
  }
  return llama;
}

/**
 * node-llama-cpp runs at least 4 CPU threads by default; on a machine with fewer CPUs the extra threads spin against
 * each other (measured on a busy 2-CPU machine, 12–16 tokens after a 240-token prompt: 28 s with the default 4 threads,
 * 1.7–3.7 s with 2, under 0.1 s with 1). Returns the number of CPUs this process may use when that is lower than the
 * limit, else undefined (node-llama-cpp decides).
 */
function cpuThreadCap(llama: LlamaHandle): number | undefined {
  if (llama.gpu !== false || typeof llama.maxThreads !== 'number' || llama.maxThreads === 0) return undefined;
  const cpus = availableParallelism();
  return llama.maxThreads > cpus ? cpus : undefined;
}

/** Splits messages into node-llama-cpp chat history and the final user prompt. */
function toChatHistory(request: GenerateRequest): { history: ChatHistoryItem[]; prompt: string } {
  const messages = request.messages ?? [];
  const last = messages.at(-1);
  if (!last || last.role !== 'user') {
    throw new RalmError('UNSUPPORTED', 'the llama.cpp provider needs the last message to be a user message (it continues a chat, not an assistant prefix)');
  }
  const history: ChatHistoryItem[] = messages.slice(0, -1).map((m) =>
    m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
  );
  return { history, prompt: last.content };
}
