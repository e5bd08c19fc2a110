/**
 * A writer of GGUF v3 files (ggml's `docs/gguf.md`, `ggml/include/gguf.h`) and a tiny llama-architecture model built
 * with it: seeded random F32 weights and a SentencePiece-style ("llama") vocabulary of a few hundred tokens with byte
 * fallback, so that any text tokenizes. The model is gibberish by design; it exists so the tests run node-llama-cpp's
 * real loading and generation path without downloading anything.
 *
 * File layout (all integers little-endian):
 *   magic "GGUF" · version u32 = 3 · tensor count u64 · metadata count u64
 *   metadata: key (string) · value type u32 · value        (an array: element type u32 · count u64 · elements)
 *   tensor infos: name (string) · dimension count u32 · dimensions u64 × n (ne[0] first: the contiguous one)
 *                 · ggml type u32 · offset u64 (from the start of the data section, a multiple of the alignment)
 *   padding to the alignment · tensor data, each tensor padded to the alignment
 * A string is its UTF-8 byte length (u64) followed by the bytes, with no terminator.
 *
 * @example
 * ```ts
 * const { bytes } = tinyLlamaGguf({ seed: 1 });
 * writeFileSync(join(dir, 'tiny.gguf'), bytes);
 * ```
 */
import { writeFileSync } from 'node:fs';

/** GGUF metadata value types (`enum gguf_type`). */
export const ggufValueType = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof ggufValueType, 'array'>;

/** A typed metadata value: JavaScript numbers do not say whether they are u32, i32 or f32, so every value names its type. */
export type GgufValue =
  | { type: Exclude<GgufScalarType, 'string' | 'bool' | 'uint64' | 'int64'>; value: number }
  | { type: 'uint64' | 'int64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufScalarType; values: readonly (number | bigint | boolean | string)[] };

/** Shorthands for metadata values. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  array: (itemType: GgufScalarType, values: readonly (number | bigint | boolean | string)[]): GgufValue => ({ type: 'array', itemType, values }),
};

/** A tensor to store as ggml type F32 (0). `shape` is in GGUF order: `shape[0]` is the innermost, contiguous dimension. */
export interface GgufTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface GgufFile {
  /** Metadata in file order. `general.alignment` (u32), when present, sets the alignment; otherwise 32. */
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
  tensors: readonly GgufTensor[];
}

const GGML_TYPE_F32 = 0;
const DEFAULT_ALIGNMENT = 32;

/** A growable little-endian byte sink. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = Buffer.alloc(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
  u8(v: number): void {
    this.reserve(1);
    this.length = this.buffer.writeUInt8(v, this.length);
  }
  i8(v: number): void {
    this.reserve(1);
    this.length = this.buffer.writeInt8(v, this.length);
  }
  u16(v: number): void {
    this.reserve(2);
    this.length = this.buffer.writeUInt16LE(v, this.length);
  }
  i16(v: number): void {
    this.reserve(2);
    this.length = this.buffer.writeInt16LE(v, this.length);
  }
  u32(v: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(v, this.length);
  }
  i32(v: number): void {
    this.reserve(4);
    this.length = this.buffer.writeInt32LE(v, this.length);
  }
  f32(v: number): void {
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(v, this.length);
  }
  f64(v: number): void {
    this.reserve(8);
    this.length = this.buffer.writeDoubleLE(v, this.length);
  }
  u64(v: bigint | number): void {
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(v), this.length);
  }
  i64(v: bigint | number): void {
    this.reserve(8);
    this.length = this.buffer.writeBigInt64LE(BigInt(v), this.length);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const utf8 = Buffer.from(s, 'utf8');
    this.u64(utf8.length);
    this.bytes(utf8);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.reserve(pad);
    this.buffer.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function writeScalar(out: ByteWriter, type: GgufScalarType, value: number | bigint | boolean | string): void {
  const expect = (kind: 'number' | 'boolean' | 'string') => {
    if (typeof value !== kind && !(kind === 'number' && typeof value === 'bigint')) {
      throw new TypeError(`GGUF ${type} value must be a ${kind}, got ${typeof value}`);
    }
  };
  switch (type) {
    case 'string':
      expect('string');
      return out.string(value as string);
    case 'bool':
      expect('boolean');
      return out.i8(value ? 1 : 0);
    case 'uint64':
      expect('number');
      return out.u64(value as bigint | number);
    case 'int64':
      expect('number');
      return out.i64(value as bigint | number);
  }
  expect('number');
  const n = Number(value);
  switch (type) {
    case 'uint8':
      return out.u8(n);
    case 'int8':
      return out.i8(n);
    case 'uint16':
      return out.u16(n);
    case 'int16':
      return out.i16(n);
    case 'uint32':
      return out.u32(n);
    case 'int32':
      return out.i32(n);
    case 'float32':
      return out.f32(n);
    case 'float64':
      return out.f64(n);
  }
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  out.u32(ggufValueType[value.type]);
  if (value.type === 'array') {
    out.u32(ggufValueType[value.itemType]);
    out.u64(value.values.length);
    for (const item of value.values) writeScalar(out, value.itemType, item);
  } else {
    writeScalar(out, value.type, value.value);
  }
}

/**
 * Serializes a GGUF v3 file. Checks that every tensor's data length matches its shape and that names are unique.
 *
 * @example
 * ```ts
 * const bytes = writeGguf({ metadata: [['general.architecture', gguf.str('llama')]], tensors: [] });
 * ```
 */
export function writeGguf(file: GgufFile): Buffer {
  const alignmentEntry = file.metadata.find(([key]) => key === 'general.alignment')?.[1];
  const alignment = alignmentEntry?.type === 'uint32' ? alignmentEntry.value : DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) throw new RangeError(`general.alignment must be a positive multiple of 8, got ${alignment}`);
  const names = new Set<string>();
  for (const t of file.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
    names.add(t.name);
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (t.shape.length < 1 || t.shape.length > 4 || t.shape.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`tensor ${t.name} has a bad shape [${t.shape}]`);
    if (elements !== t.data.length) throw new RangeError(`tensor ${t.name} has shape [${t.shape}] (${elements} elements) but ${t.data.length} values`);
  }

  const out = new ByteWriter();
  out.bytes(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(file.tensors.length);
  out.u64(file.metadata.length);
  for (const [key, value] of file.metadata) {
    out.string(key);
    writeValue(out, value);
  }
  let offset = 0;
  for (const t of file.tensors) {
    out.string(t.name);
    out.u32(t.shape.length);
    for (const d of t.shape) out.u64(d);
    out.u32(GGML_TYPE_F32);
    out.u64(offset);
    const size = t.data.length * 4;
    offset += size + ((alignment - (size % alignment)) % alignment);
  }
  out.padTo(alignment);
  for (const t of file.tensors) {
    out.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)); // x64 and arm64 are little-endian
    out.padTo(alignment);
  }
  return out.result();
}

/** A seeded generator of uniform numbers in [0, 1) (mulberry32): the same seed gives the same weights everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link tinyLlamaGguf}; the defaults make a ~0.7 MB file. */
export interface TinyLlamaOptions {
  seed?: number;
  embeddingLength?: number;
  headCount?: number;
  headCountKv?: number;
  blockCount?: number;
  feedForwardLength?: number;
  contextLength?: number;
  /** Whole words added to the vocabulary (with every prefix, so SentencePiece merges reach them). */
  words?: readonly string[];
  /**
   * When true the output row of `</s>` is random too, 3× larger than the others, so a greedy reply ends after a few
   * tokens (about one in six steps); when false (default) replies never end before `maxTokens`.
   */
  endsReplies?: boolean;
  /** `tokenizer.chat_template`; defaults to {@link chatMlTemplate}. `null` leaves the key out. */
  chatTemplate?: string | null;
}

/** The ChatML chat template (Jinja), as Qwen and many others ship it. */
export const chatMlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const defaultWords = [
  'the', 'a', 'commit', 'writes', 'documents', 'and', 'index', 'segment', 'in', 'one', 'transaction', 'write', 'ahead',
  'log', 'makes', 'it', 'durable', 'only', 'writer', 'may', 'hold', 'collection', 'second', 'is', 'refused', 'with',
  'pid', 'of', 'first', 'what', 'who', 'answer', 'question', 'passage', 'source', 'cite', 'be', 'brief', 'say', 'hello',
];

/** Token types of `tokenizer.ggml.token_type` (`enum llama_token_type`). */
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

export interface TinyLlama {
  bytes: Buffer;
  tokens: string[];
  /** Token ids the model can produce besides `</s>`: plain pieces (letters, digits, words), never control, byte or `<unk>` tokens. */
  generatable: number[];
  metadata: ReadonlyArray<readonly [string, GgufValue]>;
}

/**
 * Builds a tiny llama-architecture model (defaults: 64-wide, 4 heads, 2 blocks, 128-wide feed-forward, 2048-token
 * context) with seeded random F32 weights and a "llama" (SentencePiece) vocabulary: `<unk>`, `<s>`, `</s>`, the ChatML
 * control tokens, the 256 byte tokens `<0x00>`…`<0xFF>`, `▁`, letters, digits, punctuation and `▁`-prefixed words.
 * The output rows of control, byte and unknown tokens are zero, so the model never emits them (nor invalid UTF-8), and
 * a greedy reply runs to `maxTokens` unless `endsReplies` lets `</s>` win.
 *
 * @example
 * ```ts
 * writeFileSync('tiny.gguf', tinyLlamaGguf({ seed: 7 }).bytes);
 * ```
 */
export function tinyLlamaGguf(options: TinyLlamaOptions = {}): TinyLlama {
  const nEmbd = options.embeddingLength ?? 64;
  const nHead = options.headCount ?? 4;
  const nHeadKv = options.headCountKv ?? nHead;
  const nLayer = options.blockCount ?? 2;
  const nFf = options.feedForwardLength ?? 128;
  const nCtx = options.contextLength ?? 2048;
  const headDim = nEmbd / nHead;
  if (!Number.isInteger(headDim) || nHead % nHeadKv !== 0) throw new RangeError('embeddingLength must divide by headCount, headCount by headCountKv');
  const random = seededRandom(options.seed ?? 1);

  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  const add = (piece: string, type: number, score = 0) => {
    if (tokens.includes(piece)) return;
    tokens.push(piece);
    types.push(type);
    scores.push(score);
  };
  add('<unk>', TOKEN_UNKNOWN);
  add('<s>', TOKEN_CONTROL);
  add('</s>', TOKEN_CONTROL);
  add('<|im_start|>', TOKEN_CONTROL);
  add('<|im_end|>', TOKEN_CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_BYTE);
  const pieces = ['▁', ...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', ...'0123456789', ...'.,?!:;\'"()[]-'];
  for (const word of options.words ?? defaultWords) {
    const piece = `▁${word}`;
    for (let end = 2; end <= piece.length; end++) pieces.push(piece.slice(0, end));
  }
  for (const piece of pieces) add(piece, TOKEN_NORMAL, -tokens.length);
  const nVocab = tokens.length;
  const generatable = tokens.flatMap((_, id) => (types[id] === TOKEN_NORMAL ? [id] : []));

  const uniform = (n: number, scale: number) => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (random() * 2 - 1) * scale;
    return data;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const matrix = (name: string, inner: number, outer: number, scale = Math.sqrt(3 / inner)): GgufTensor => ({ name, shape: [inner, outer], data: uniform(inner * outer, scale) });

  const tensors: GgufTensor[] = [];
  tensors.push(matrix('token_embd.weight', nEmbd, nVocab, 1));
  for (let layer = 0; layer < nLayer; layer++) {
    const blk = `blk.${layer}`;
    tensors.push({ name: `${blk}.attn_norm.weight`, shape: [nEmbd], data: ones(nEmbd) });
    tensors.push(matrix(`${blk}.attn_q.weight`, nEmbd, headDim * nHead));
    tensors.push(matrix(`${blk}.attn_k.weight`, nEmbd, headDim * nHeadKv));
    tensors.push(matrix(`${blk}.attn_v.weight`, nEmbd, headDim * nHeadKv));
    tensors.push(matrix(`${blk}.attn_output.weight`, headDim * nHead, nEmbd));
    tensors.push({ name: `${blk}.ffn_norm.weight`, shape: [nEmbd], data: ones(nEmbd) });
    tensors.push(matrix(`${blk}.ffn_gate.weight`, nEmbd, nFf));
    tensors.push(matrix(`${blk}.ffn_up.weight`, nEmbd, nFf));
    tensors.push(matrix(`${blk}.ffn_down.weight`, nFf, nEmbd));
  }
  tensors.push({ name: 'output_norm.weight', shape: [nEmbd], data: ones(nEmbd) });
  // Logits have a standard deviation of about 3 over the plain pieces; the other tokens' rows are zero (logit 0).
  const output = matrix('output.weight', nEmbd, nVocab, Math.sqrt(3 / nEmbd) * 3);
  const endOfText = tokens.indexOf('</s>');
  for (let id = 0; id < nVocab; id++) {
    if (id === endOfText && options.endsReplies) for (let i = id * nEmbd; i < (id + 1) * nEmbd; i++) output.data[i]! *= 3;
    else if (types[id] !== TOKEN_NORMAL) output.data.fill(0, id * nEmbd, (id + 1) * nEmbd);
  }
  tensors.push(output);

  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', gguf.str('llama')],
    ['general.name', gguf.str('ralm tiny llama (random weights)')],
    ['general.alignment', gguf.u32(32)],
    ['general.file_type', gguf.u32(0)], // all F32
    ['llama.vocab_size', gguf.u32(nVocab)],
    ['llama.context_length', gguf.u32(nCtx)],
    ['llama.embedding_length', gguf.u32(nEmbd)],
    ['llama.block_count', gguf.u32(nLayer)],
    ['llama.feed_forward_length', gguf.u32(nFf)],
    ['llama.rope.dimension_count', gguf.u32(headDim)],
    ['llama.rope.freq_base', gguf.f32(10000)],
    ['llama.attention.head_count', gguf.u32(nHead)],
    ['llama.attention.head_count_kv', gguf.u32(nHeadKv)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(1e-5)],
    ['tokenizer.ggml.model', gguf.str('llama')],
    ['tokenizer.ggml.tokens', gguf.array('string', tokens)],
    ['tokenizer.ggml.scores', gguf.array('float32', scores)],
    ['tokenizer.ggml.token_type', gguf.array('int32', types)],
    ['tokenizer.ggml.unknown_token_id', gguf.u32(tokens.indexOf('<unk>'))],
    ['tokenizer.ggml.bos_token_id', gguf.u32(tokens.indexOf('<s>'))],
    ['tokenizer.ggml.eos_token_id', gguf.u32(tokens.indexOf('</s>'))],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
  ];
  const template = options.chatTemplate === undefined ? chatMlTemplate : options.chatTemplate;
  if (template !== null) metadata.push(['tokenizer.chat_template', gguf.str(template)]);

  return { bytes: writeGguf({ metadata, tensors }), tokens, generatable, metadata };
}

/** Writes {@link tinyLlamaGguf}'s file to `path` and returns the model description. */
export function writeTinyLlamaGguf(path: string, options: TinyLlamaOptions = {}): TinyLlama {
  const model = tinyLlamaGguf(options);
  writeFileSync(path, model.bytes);
  return model;
}
