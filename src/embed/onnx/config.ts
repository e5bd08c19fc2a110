/**
 * Where an ONNX model comes from and how its vectors are pooled: local-folder checks (the transformers.js layout)
 * and the sentence-transformers pooling configuration (`modules.json`, `1_Pooling/config.json`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { RalmError } from '../../core/errors.js';

/** A resolved model source: a local folder (absolute) or a Hugging Face id. */
export interface ModelSource {
  /** What transformers.js is given: an absolute folder path or the id. */
  model: string;
  local: boolean;
  /** The folder's or repository's last path segment (for name-based defaults). */
  name: string;
}

/** The ONNX file transformers.js loads for a dtype. */
export function onnxFileFor(dtype: 'fp32' | 'q8'): string {
  return dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
}

function looksLikePath(model: string): boolean {
  return isAbsolute(model) || model.startsWith('./') || model.startsWith('../') || model.startsWith('.\\') || model === '.' || existsSync(model);
}

/**
 * Resolves `model` (a folder or a Hugging Face id) and, for a folder, checks that transformers.js can load it:
 * `config.json`, `tokenizer.json`, `tokenizer_config.json` and the dtype's `onnx/model*.onnx`. Throws `NOT_FOUND`
 * listing every missing file.
 *
 * @example
 * ```ts
 * resolveModelSource('./models/all-MiniLM-L6-v2', 'fp32'); // { model: '/abs/models/all-MiniLM-L6-v2', local: true, name: 'all-MiniLM-L6-v2' }
 * resolveModelSource('Xenova/all-MiniLM-L6-v2', 'q8');      // { model: 'Xenova/all-MiniLM-L6-v2', local: false, name: 'all-MiniLM-L6-v2' }
 * ```
 */
export function resolveModelSource(model: string, dtype: 'fp32' | 'q8'): ModelSource {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new RalmError('INVALID_ARGUMENT', 'an ONNX model needs `model`: a Hugging Face id (e.g. "Xenova/all-MiniLM-L6-v2") or a local folder');
  }
  if (!looksLikePath(model)) return { model, local: false, name: model.slice(model.lastIndexOf('/') + 1) };
  const folder = resolve(model);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new RalmError('NOT_FOUND', `model folder ${folder} does not exist; give a folder in the transformers.js layout or a Hugging Face model id`);
  }
  const required = ['config.json', 'tokenizer.json', 'tokenizer_config.json', onnxFileFor(dtype)];
  const missing = required.filter((file) => !existsSync(join(folder, file)));
  if (missing.length > 0) {
    const available = existsSync(join(folder, 'onnx')) ? readdirSync(join(folder, 'onnx')).filter((f) => f.endsWith('.onnx')) : [];
    const hint =
      missing.includes(onnxFileFor(dtype)) && available.length > 0
        ? ` (onnx/ holds ${available.join(', ')}; ${dtype === 'q8' ? 'use dtype "fp32" for model.onnx' : 'use dtype "q8" for model_quantized.onnx'})`
        : '';
    throw new RalmError(
      'NOT_FOUND',
      `model folder ${folder} is missing ${missing.join(', ')}${hint}; a transformers.js model folder holds config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx (or onnx/model_quantized.onnx for dtype "q8")`,
      { file: folder },
    );
  }
  return { model: folder, local: true, name: basename(folder) };
}

/** Pooling settings found in a model's files; fields absent when the files do not say. */
export interface PoolingConfig {
  pooling?: 'mean' | 'cls';
  normalize?: boolean;
  /** Which file said so. */
  origin?: string;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Reads sentence-transformers pooling from parsed files: `modules` (modules.json: a list of `{path, type}`) and the
 * pooling module's config (`pooling_mode_cls_token`, `pooling_mode_mean_tokens` …). A `Normalize` module means
 * L2 normalisation; modules.json without one means none. Max and last-token pooling are refused (`UNSUPPORTED`).
 *
 * @example
 * ```ts
 * poolingFromSentenceTransformers([{ path: '1_Pooling', type: 'sentence_transformers.models.Pooling' }, { path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }], { pooling_mode_cls_token: true });
 * // { pooling: 'cls', normalize: true }
 * ```
 */
export function poolingFromSentenceTransformers(modules: unknown, poolingConfig: unknown): { pooling?: 'mean' | 'cls'; normalize?: boolean } {
  const result: { pooling?: 'mean' | 'cls'; normalize?: boolean } = {};
  if (Array.isArray(modules)) {
    result.normalize = modules.some((m) => typeof (m as { type?: unknown })?.type === 'string' && /Normalize$/.test((m as { type: string }).type));
  }
  if (poolingConfig && typeof poolingConfig === 'object') {
    const c = poolingConfig as Record<string, unknown>;
    if (c.pooling_mode_cls_token === true) result.pooling = 'cls';
    else if (c.pooling_mode_mean_tokens === true || c.pooling_mode_mean_sqrt_len_tokens === true) result.pooling = 'mean';
    else if (c.pooling_mode_max_tokens === true || c.pooling_mode_lasttoken === true || c.pooling_mode_weightedmean_tokens === true) {
      const mode = Object.keys(c).find((k) => k.startsWith('pooling_mode_') && c[k] === true);
      throw new RalmError('UNSUPPORTED', `the model's pooling ${mode} is not supported; pass pooling: "mean" or "cls" to override`);
    }
  }
  return result;
}

function poolingModulePath(modules: unknown): string | undefined {
  if (!Array.isArray(modules)) return undefined;
  const m = modules.find((x) => typeof (x as { type?: unknown })?.type === 'string' && /Pooling$/.test((x as { type: string }).type)) as { path?: unknown } | undefined;
  return typeof m?.path === 'string' ? m.path : undefined;
}

/**
 * The pooling of a local model folder from its sentence-transformers files (`modules.json`, the pooling module's
 * `config.json`, or a lone `1_Pooling/config.json`); empty when there are none.
 *
 * @example
 * ```ts
 * readLocalPoolingConfig('/models/bge-small-zh-v1.5'); // { pooling: 'cls', normalize: true, origin: '…/modules.json' }
 * ```
 */
export function readLocalPoolingConfig(folder: string): PoolingConfig {
  const modulesPath = join(folder, 'modules.json');
  try {
    const modules = existsSync(modulesPath) ? readJson(modulesPath) : undefined;
    const poolingPath = join(folder, poolingModulePath(modules) ?? '1_Pooling', 'config.json');
    const poolingConfig = existsSync(poolingPath) ? readJson(poolingPath) : undefined;
    if (modules === undefined && poolingConfig === undefined) return {};
    return { ...poolingFromSentenceTransformers(modules, poolingConfig), origin: modules !== undefined ? modulesPath : poolingPath };
  } catch (cause) {
    if (RalmError.is(cause)) throw cause;
    throw new RalmError('PARSE', `cannot read the pooling configuration of ${folder}: ${(cause as Error).message}`, { cause, file: folder });
  }
}

/**
 * The pooling of a Hub model from its sentence-transformers files, fetched from `remoteBase` (best effort: an
 * unreachable host or absent files give an empty result).
 *
 * @example
 * ```ts
 * await readRemotePoolingConfig('https://huggingface.co/Xenova/bge-small-en-v1.5/resolve/main/');
 * ```
 */
export async function readRemotePoolingConfig(remoteBase: string, fetchImpl: typeof fetch = fetch): Promise<PoolingConfig> {
  const get = async (file: string): Promise<unknown> => {
    try {
      const response = await fetchImpl(new URL(file, remoteBase), { signal: AbortSignal.timeout(10_000) });
      return response.ok ? await response.json() : undefined;
    } catch {
      return undefined;
    }
  };
  const modules = await get('modules.json');
  const poolingConfig = await get(`${poolingModulePath(modules) ?? '1_Pooling'}/config.json`);
  if (modules === undefined && poolingConfig === undefined) return {};
  return { ...poolingFromSentenceTransformers(modules, poolingConfig), origin: new URL('modules.json', remoteBase).href };
}

/**
 * Pooling when the model's files say nothing: [CLS] for the bge family (trained that way), else masked mean; L2
 * normalisation on.
 *
 * @example
 * ```ts
 * defaultPooling('bge-small-en-v1.5'); // { pooling: 'cls', normalize: true }
 * defaultPooling('all-MiniLM-L6-v2');  // { pooling: 'mean', normalize: true }
 * ```
 */
export function defaultPooling(name: string): { pooling: 'mean' | 'cls'; normalize: boolean } {
  return { pooling: /^bge-/i.test(name) ? 'cls' : 'mean', normalize: true };
}

/** Reads `hidden_size` from a local folder's config.json (0 when absent). */
export function localHiddenSize(folder: string): number {
  try {
    const config = readJson(join(folder, 'config.json')) as Record<string, unknown>;
    return typeof config.hidden_size === 'number' ? config.hidden_size : 0;
  } catch (cause) {
    throw new RalmError('PARSE', `${join(folder, 'config.json')} is not valid JSON: ${(cause as Error).message}`, { cause, file: join(folder, 'config.json') });
  }
}
