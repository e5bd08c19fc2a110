/**
 * The ONNX runtime of the embedders and rerankers: a transformers.js tokenizer and model (onnxruntime-node CPU),
 * pooling and normalisation. Runs in a worker thread (see `pool.ts`) or in the calling thread (`workers: 0`).
 * `@huggingface/transformers` is imported here, lazily, and only when a runtime is loaded.
 */
import { RalmError } from '../../core/errors.js';

/** What to load; plain data, so it can be posted to a worker. */
export interface RuntimeSpec {
  /** A Hugging Face model id or an absolute folder path. */
  model: string;
  /** Whether `model` is a local folder (then nothing is downloaded). */
  local: boolean;
  task: 'embed' | 'rerank';
  dtype: 'fp32' | 'q8';
  /** Longest input in tokens (truncation); undefined: the tokenizer's `model_max_length`, capped by the config. */
  maxTokens?: number;
  pooling: 'mean' | 'cls';
  normalize: boolean;
  /** onnxruntime intra-op threads; undefined: onnxruntime's default. */
  threads?: number;
}

/** What a loaded runtime reports about itself. */
export interface RuntimeInfo {
  /** The model's hidden size (config.json `hidden_size`), 0 when the config does not say. */
  hiddenSize: number;
  /** The truncation length in effect. */
  maxTokens: number;
}

/** A loaded model. Calls must not overlap (the pool and the in-thread runner serialise them). */
export interface Runtime {
  readonly info: RuntimeInfo;
  /** Embeds a batch: row-major vectors (`texts.length × dimensions`). */
  embed(texts: string[]): Promise<{ data: Float32Array; dimensions: number }>;
  /** Scores (query, passage) pairs: one number per passage. */
  score(query: string, passages: string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

type Transformers = typeof import('@huggingface/transformers');

/**
 * Imports `@huggingface/transformers`, or throws `UNSUPPORTED` naming the package to install.
 *
 * @example
 * ```ts
 * const { AutoTokenizer } = await loadTransformers();
 * ```
 */
export async function loadTransformers(): Promise<Transformers> {
  try {
    return await import('@huggingface/transformers');
  } catch (cause) {
    throw new RalmError(
      'UNSUPPORTED',
      'ONNX embedders and rerankers need the optional package @huggingface/transformers, which is not installed: run `npm install @huggingface/transformers`',
      { cause },
    );
  }
}

interface TensorLike {
  data: ArrayLike<number | bigint>;
  dims: number[];
}

/**
 * Which tokens the attention mask keeps (1) or masks (0). An int64 mask (what the tokenizer returns) is read through
 * an Int32Array view of its buffer — an element is non-zero iff either 32-bit half is, whatever the byte order — so
 * no BigInt is created per token (`Number(mask[i])` per token made pooling about a third slower).
 */
function maskFlags(mask: ArrayLike<number | bigint>, length: number): Uint8Array {
  const flags = new Uint8Array(length);
  if ((mask instanceof BigInt64Array || mask instanceof BigUint64Array) && mask.length >= length) {
    const words = new Int32Array(mask.buffer, mask.byteOffset, length * 2);
    for (let i = 0; i < length; i++) flags[i] = words[2 * i] !== 0 || words[2 * i + 1] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < length; i++) flags[i] = Number(mask[i]) !== 0 ? 1 : 0;
  }
  return flags;
}

/**
 * Masked mean or [CLS] pooling of a `[batch, sequence, hidden]` tensor, then optional L2 normalisation; sums in
 * double precision. Exported for tests and benchmarks (the same arithmetic as the embedder).
 *
 * @example
 * ```ts
 * const { data } = poolHiddenStates(hidden, [2, 5, 32], mask, 'mean', true); // 2 × 32 unit vectors
 * ```
 */
export function poolHiddenStates(
  hidden: ArrayLike<number>,
  dims: readonly number[],
  mask: ArrayLike<number | bigint>,
  pooling: 'mean' | 'cls',
  normalize: boolean,
): { data: Float32Array; dimensions: number } {
  const [batch, sequence, size] = dims as [number, number, number];
  const out = new Float32Array(batch * size);
  const sum = new Float64Array(size);
  const kept = pooling === 'mean' ? maskFlags(mask, batch * sequence) : undefined;
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    if (kept === undefined) {
      const base = b * sequence * size;
      for (let j = 0; j < size; j++) sum[j] = hidden[base + j]!;
    } else {
      let count = 0;
      for (let t = 0; t < sequence; t++) {
        if (kept[b * sequence + t] === 0) continue;
        count++;
        const base = (b * sequence + t) * size;
        for (let j = 0; j < size; j++) sum[j] += hidden[base + j]!;
      }
      const scale = 1 / Math.max(count, 1e-9);
      for (let j = 0; j < size; j++) sum[j] *= scale;
    }
    let scale = 1;
    if (normalize) {
      let norm = 0;
      for (let j = 0; j < size; j++) norm += sum[j]! * sum[j]!;
      scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    }
    for (let j = 0; j < size; j++) out[b * size + j] = sum[j]! * scale;
  }
  return { data: out, dimensions: size };
}

/**
 * The onnxruntime session options ralm uses: `threads` intra-op threads when given, one inter-op thread, and no
 * spin-waiting (`session.intra_op.allow_spinning = 0`). By default onnxruntime's pool threads spin after every
 * parallel section; a worker alternates tokenization (JavaScript, on its main thread) with inference, so the spinning
 * thread takes a core from the tokenizer: on 2 cores a tokenize-then-run loop over a tiny model took 1.7–2× as long
 * with spinning, and `session.run` alone was slower too (bench/results/embed.md).
 *
 * @example
 * ```ts
 * await ort.InferenceSession.create('model.onnx', onnxSessionOptions(2));
 * ```
 */
export function onnxSessionOptions(threads?: number): {
  intraOpNumThreads?: number;
  interOpNumThreads: number;
  extra: { session: { intra_op: { allow_spinning: '0' }; inter_op: { allow_spinning: '0' } } };
} {
  return {
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

function providerError(spec: RuntimeSpec, what: string, cause: unknown): RalmError {
  if (RalmError.is(cause)) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new RalmError('PROVIDER', `ONNX model ${spec.model}: ${what} failed: ${reason}`, { cause, isRetryable: false });
}

/**
 * Loads the tokenizer and the ONNX model of `spec` through transformers.js (`AutoModel` for embeddings,
 * `AutoModelForSequenceClassification` for rerankers).
 *
 * @example
 * ```ts
 * const runtime = await loadRuntime({ model: '/models/tiny', local: true, task: 'embed', dtype: 'fp32', pooling: 'mean', normalize: true });
 * const { data, dimensions } = await runtime.embed(['hello']);
 * ```
 */
export async function loadRuntime(spec: RuntimeSpec): Promise<Runtime> {
  const transformers = await loadTransformers();
  const common = {
    local_files_only: spec.local,
    dtype: spec.dtype,
    device: 'cpu' as const,
    session_options: onnxSessionOptions(spec.threads),
  };
  let tokenizer: Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;
  let model: Awaited<ReturnType<Transformers['AutoModel']['from_pretrained']>>;
  try {
    tokenizer = await transformers.AutoTokenizer.from_pretrained(spec.model, { local_files_only: spec.local });
  } catch (cause) {
    throw providerError(spec, 'loading the tokenizer', cause);
  }
  try {
    model =
      spec.task === 'embed'
        ? await transformers.AutoModel.from_pretrained(spec.model, common)
        : await transformers.AutoModelForSequenceClassification.from_pretrained(spec.model, common);
  } catch (cause) {
    throw providerError(spec, 'loading the model', cause);
  }
  const config = model.config as unknown as Record<string, unknown>;
  const hiddenSize = typeof config.hidden_size === 'number' ? config.hidden_size : 0;
  const positions = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : Infinity;
  const tokenizerMax = Number((tokenizer as unknown as { model_max_length?: number }).model_max_length);
  const maxTokens = Math.min(spec.maxTokens ?? (Number.isFinite(tokenizerMax) && tokenizerMax > 0 ? tokenizerMax : 512), positions);

  return {
    info: { hiddenSize, maxTokens },
    async embed(texts) {
      try {
        const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens }) as Record<string, TensorLike>;
        const output = (await model(inputs)) as Record<string, TensorLike | undefined>;
        const hidden = output.last_hidden_state ?? output.token_embeddings;
        if (!hidden) throw new Error(`the model has no last_hidden_state output (outputs: ${Object.keys(output).join(', ')})`);
        return poolHiddenStates(hidden.data as ArrayLike<number>, hidden.dims, inputs.attention_mask!.data, spec.pooling, spec.normalize);
      } catch (cause) {
        throw providerError(spec, 'embedding', cause);
      }
    },
    async score(query, passages) {
      try {
        const inputs = tokenizer(new Array<string>(passages.length).fill(query), {
          text_pair: passages,
          padding: true,
          truncation: true,
          max_length: maxTokens,
        }) as Record<string, TensorLike>;
        const output = (await model(inputs)) as Record<string, TensorLike | undefined>;
        const logits = output.logits;
        if (!logits) throw new Error(`the model has no logits output (outputs: ${Object.keys(output).join(', ')})`);
        const labels = logits.dims[1] ?? 1;
        const scores = new Float32Array(passages.length);
        for (let i = 0; i < passages.length; i++) scores[i] = Number(logits.data[i * labels + labels - 1]);
        return scores;
      } catch (cause) {
        throw providerError(spec, 'reranking', cause);
      }
    },
    async dispose() {
      await (model as unknown as { dispose?: () => Promise<unknown> }).dispose?.();
    },
  };
}
