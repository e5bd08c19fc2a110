/**
 * A stand-in for the slice of node-llama-cpp's documented API that the llama provider uses (no native code, no
 * model): it records what it is asked in `log` and answers "Hello there" in two chunks.
 */
export function standIn(log: string[]) {
  const resolvedChatWrapper = { name: 'stand-in chat wrapper' };
  class LlamaChatSession {
    history: unknown[] = [];
    constructor(readonly options: { contextSequence: unknown; chatWrapper?: unknown }) {
      log.push(`session chatWrapper=${options.chatWrapper === undefined ? 'auto' : options.chatWrapper === resolvedChatWrapper ? 'reused' : 'other'}`);
    }
    get chatWrapper() {
      return this.options.chatWrapper ?? resolvedChatWrapper;
    }
    setChatHistory(history: unknown[]) {
      this.history = history;
      log.push(`history ${JSON.stringify(history)}`);
    }
    async promptWithMeta(text: string, o: { onTextChunk?: (t: string) => void; maxTokens?: number; customStopTriggers?: string[] }) {
      log.push(`prompt ${text} max=${o.maxTokens} stop=${JSON.stringify(o.customStopTriggers)}`);
      for (const piece of ['Hello', ' there']) o.onTextChunk?.(piece);
      return { responseText: 'Hello there', stopReason: 'maxTokens' };
    }
    async prompt(): Promise<string> {
      throw new Error('promptWithMeta is preferred');
    }
    dispose() {
      log.push('session disposed');
    }
  }
  return {
    LlamaChatSession,
    getLlama: async () => ({
      loadModel: async ({ modelPath }: { modelPath: string }) => {
        log.push(`load ${modelPath.endsWith('stand-in.gguf')}`);
        return {
          trainContextSize: 8192,
          tokenize: (t: string) => t.split(/\s+/).filter(Boolean),
          createContext: async (options?: object) => (log.push(`context ${JSON.stringify(options ?? {})}`), { contextSize: 4096, getSequence: () => ({ dispose: () => log.push('sequence disposed') }), dispose: async () => log.push('context disposed') }),
          dispose: async () => log.push('model disposed'),
        };
      },
    }),
  };
}
