/**
 * Tiny random-weight BERT-shaped ONNX models for tests, written with protobufjs from a subset of the ONNX schema
 * (onnx.proto, IR version 8, default opset 17). No real weights exist in the test environment; these graphs have the
 * inputs and outputs transformers.js expects of a BERT feature extractor (`input_ids`, `attention_mask`,
 * `token_type_ids` → `last_hidden_state`) or of a BERT cross-encoder (`… → logits [batch, 1]`), so the real loading
 * path (tokenizer.json + config.json + onnx/model.onnx) runs end to end.
 *
 * The graph (hidden size H, no attention):
 *   e   = word[input_ids] + position[0..seq) + type[token_type_ids]
 *   n   = LayerNorm(e)                      (scale, bias, ε = 1e-12)
 *   c   = Σ_t n_t m_t / Σ_t m_t                (masked mean: every position sees the whole text)
 *   h   = (n + tanh(n·W + b + c)) ⊙ attention_mask
 *   logits = h[:, 0, :]·C + c              (cross-encoder only)
 *
 * The tokenizer and config files are copied from `../shared/models/<name>` into the temp folder (never into the
 * repository); config.json gets `hidden_size` = H.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';

/** The part of onnx.proto the helper writes (field numbers as in the ONNX specification). */
const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional string doc_string = 13;
  optional AttributeType type = 20;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7; STRING = 8; BOOL = 9; }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  optional string doc_string = 12;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** A seeded Gaussian source (mulberry32 + Box–Muller), so every build of a tiny model has the same weights. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function floatTensor(name: string, dims: number[], values: Float32Array): Record<string, unknown> {
  return { name, dims, data_type: FLOAT, raw_data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function int64Tensor(name: string, dims: number[], values: number[]): Record<string, unknown> {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, data_type: INT64, raw_data: new Uint8Array(data.buffer) };
}

function random(size: number, scale: number, next: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() * scale;
  return out;
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): Record<string, unknown> {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

function node(op_type: string, input: string[], output: string[], attribute: Array<Record<string, unknown>> = []): Record<string, unknown> {
  return { op_type, input, output, name: `${op_type}_${output[0]}`, attribute };
}

/** Options of {@link buildTinyBertOnnx}. */
export interface TinyBertOptions {
  vocabSize: number;
  hidden?: number;
  maxPositions?: number;
  seed?: number;
  /** `'feature-extraction'` → `last_hidden_state`; `'cross-encoder'` → `logits` [batch, 1] (plus nothing else). */
  kind?: 'feature-extraction' | 'cross-encoder';
}

/** The serialized ONNX model (bytes of a ModelProto) of a tiny BERT-shaped graph. */
export function buildTinyBertOnnx(options: TinyBertOptions): Uint8Array {
  const hidden = options.hidden ?? 32;
  const positions = options.maxPositions ?? 512;
  const kind = options.kind ?? 'feature-extraction';
  const next = gaussian(options.seed ?? 7);
  const initializer = [
    floatTensor('word_embeddings', [options.vocabSize, hidden], random(options.vocabSize * hidden, 0.5, next)),
    floatTensor('position_embeddings', [positions, hidden], random(positions * hidden, 0.1, next)),
    floatTensor('token_type_embeddings', [2, hidden], random(2 * hidden, 0.1, next)),
    floatTensor('ln_scale', [hidden], Float32Array.from(random(hidden, 0.1, next), (v) => 1 + v)),
    floatTensor('ln_bias', [hidden], random(hidden, 0.1, next)),
    floatTensor('dense_weight', [hidden, hidden], random(hidden * hidden, 1 / Math.sqrt(hidden), next)),
    floatTensor('dense_bias', [hidden], random(hidden, 0.1, next)),
    int64Tensor('zero', [], [0]),
    int64Tensor('one', [], [1]),
    int64Tensor('last_axis', [1], [-1]),
    int64Tensor('sequence_axis', [1], [1]),
  ];
  const nodes = [
    node('Gather', ['word_embeddings', 'input_ids'], ['words']),
    node('Shape', ['input_ids'], ['input_shape']),
    node('Gather', ['input_shape', 'one'], ['sequence_length'], [{ name: 'axis', type: ATTRIBUTE_INT, i: 0 }]),
    node('Range', ['zero', 'sequence_length', 'one'], ['position_ids']),
    node('Gather', ['position_embeddings', 'position_ids'], ['positions']),
    node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types']),
    node('Add', ['words', 'positions'], ['sum1']),
    node('Add', ['sum1', 'types'], ['embeddings']),
    node('LayerNormalization', ['embeddings', 'ln_scale', 'ln_bias'], ['normalized'], [
      { name: 'axis', type: ATTRIBUTE_INT, i: -1 },
      { name: 'epsilon', type: ATTRIBUTE_FLOAT, f: 1e-12 },
    ]),
    node('Cast', ['attention_mask'], ['mask_float'], [{ name: 'to', type: ATTRIBUTE_INT, i: FLOAT }]),
    node('Unsqueeze', ['mask_float', 'last_axis'], ['mask3']),
    // context = masked mean of the normalized embeddings, mixed into every position (so [CLS] depends on the text)
    node('Mul', ['normalized', 'mask3'], ['masked']),
    node('ReduceSum', ['masked', 'sequence_axis'], ['context_sum'], [{ name: 'keepdims', type: ATTRIBUTE_INT, i: 1 }]),
    node('ReduceSum', ['mask3', 'sequence_axis'], ['token_count'], [{ name: 'keepdims', type: ATTRIBUTE_INT, i: 1 }]),
    node('Div', ['context_sum', 'token_count'], ['context']),
    node('MatMul', ['normalized', 'dense_weight'], ['projected']),
    node('Add', ['projected', 'dense_bias'], ['biased']),
    node('Add', ['biased', 'context'], ['preactivation']),
    node('Tanh', ['preactivation'], ['activation']),
    node('Add', ['normalized', 'activation'], ['residual']),
    node('Mul', ['residual', 'mask3'], ['last_hidden_state']),
  ];
  const outputs = [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', hidden])];
  if (kind === 'cross-encoder') {
    initializer.push(floatTensor('classifier_weight', [hidden, 1], random(hidden, 1 / Math.sqrt(hidden), next)));
    initializer.push(floatTensor('classifier_bias', [1], random(1, 0.1, next)));
    nodes.push(node('Gather', ['last_hidden_state', 'zero'], ['cls'], [{ name: 'axis', type: ATTRIBUTE_INT, i: 1 }]));
    nodes.push(node('MatMul', ['cls', 'classifier_weight'], ['classified']));
    nodes.push(node('Add', ['classified', 'classifier_bias'], ['logits']));
    outputs.splice(0, 1, valueInfo('logits', FLOAT, ['batch', 1]));
  }
  const model = {
    ir_version: 8,
    producer_name: 'ralm-tests',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: kind === 'cross-encoder' ? 'tiny_bert_cross_encoder' : 'tiny_bert',
      node: nodes,
      initializer,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => valueInfo(name, INT64, ['batch', 'sequence'])),
      output: outputs,
    },
  };
  const type = onnxModelType();
  return type.encode(type.fromObject(model)).finish();
}

/** Files copied from the shared model folder next to the tiny graph. */
export const TOKENIZER_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** A tiny model folder in the transformers.js layout; `remove()` deletes it. */
export interface TinyModelFolder {
  path: string;
  hidden: number;
  remove(): void;
}

/**
 * Writes a tiny model folder: the tokenizer/config files of `tokenizerFolder` (config.json with `hidden_size` =
 * `hidden`) and `onnx/model.onnx`. With `kind: 'cross-encoder'` config.json declares `BertForSequenceClassification`
 * with one label. `name` is the folder's base name (it matters for name-based prefix defaults).
 */
export function writeTinyModel(
  tokenizerFolder: string,
  options: { kind?: 'feature-extraction' | 'cross-encoder'; hidden?: number; seed?: number; name?: string; extraFiles?: Record<string, string> } = {},
): TinyModelFolder {
  const hidden = options.hidden ?? 32;
  const root = mkdtempSync(join(tmpdir(), 'ralm-onnx-'));
  const path = join(root, options.name ?? 'tiny-bert');
  mkdirSync(join(path, 'onnx'), { recursive: true });
  for (const file of TOKENIZER_FILES) {
    if (existsSync(join(tokenizerFolder, file))) copyFileSync(join(tokenizerFolder, file), join(path, file));
  }
  const config = JSON.parse(readFileSync(join(tokenizerFolder, 'config.json'), 'utf8')) as Record<string, unknown>;
  config.hidden_size = hidden;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 1;
  config.intermediate_size = hidden;
  if (options.kind === 'cross-encoder') {
    config.architectures = ['BertForSequenceClassification'];
    config.id2label = { 0: 'LABEL_0' };
    config.label2id = { LABEL_0: 0 };
  }
  writeFileSync(join(path, 'config.json'), JSON.stringify(config, null, 2));
  const maxPositions = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 512;
  const bytes = buildTinyBertOnnx({ vocabSize: config.vocab_size as number, hidden, maxPositions, seed: options.seed, kind: options.kind });
  writeFileSync(join(path, 'onnx', 'model.onnx'), bytes);
  for (const [file, text] of Object.entries(options.extraFiles ?? {})) {
    mkdirSync(join(path, file, '..'), { recursive: true });
    writeFileSync(join(path, file), text);
  }
  return { path, hidden, remove: () => rmSync(root, { recursive: true, force: true }) };
}
