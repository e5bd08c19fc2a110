/**
 * Default query/passage prefixes by model family. Retrieval models trained with instructions expect them at
 * embedding time; forgetting them silently costs several points of nDCG, so the embedders apply them by default.
 */

/** e5 (intfloat/e5-*, multilingual-e5-*): "query: " and "passage: " on every text. */
export const E5_PREFIXES = { queryPrefix: 'query: ', passagePrefix: 'passage: ' } as const;
/** BAAI bge-*-zh (v1 and v1.5): the Chinese retrieval instruction on queries only. */
export const BGE_ZH_PREFIXES = { queryPrefix: '为这个句子生成表示以用于检索相关文章：', passagePrefix: '' } as const;
/** BAAI bge-*-en (v1 and v1.5): the English retrieval instruction on queries only. */
export const BGE_EN_PREFIXES = { queryPrefix: 'Represent this sentence for searching relevant passages: ', passagePrefix: '' } as const;

/**
 * The prefixes a model expects, guessed from its id or folder name: e5 → {@link E5_PREFIXES}; bge-…-zh →
 * {@link BGE_ZH_PREFIXES}; bge-…-en → {@link BGE_EN_PREFIXES}; anything else (MiniLM, bge-m3, OpenAI models) → none.
 * Explicit `queryPrefix` / `passagePrefix` options of an embedder override this.
 *
 * @example
 * ```ts
 * defaultEmbeddingPrefixes('intfloat/multilingual-e5-small'); // { queryPrefix: 'query: ', passagePrefix: 'passage: ' }
 * defaultEmbeddingPrefixes('BAAI/bge-small-zh-v1.5').queryPrefix; // '为这个句子生成表示以用于检索相关文章：'
 * defaultEmbeddingPrefixes('Xenova/all-MiniLM-L6-v2'); // { queryPrefix: '', passagePrefix: '' }
 * ```
 */
export function defaultEmbeddingPrefixes(modelId: string): { queryPrefix: string; passagePrefix: string } {
  const name = modelId.toLowerCase().replace(/\\/g, '/').replace(/\/+$/, '');
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (/(^|[-_])e5([-_]|$)/.test(base)) return { ...E5_PREFIXES };
  if (/^bge-.*-zh([-_]|$)/.test(base)) return { ...BGE_ZH_PREFIXES };
  if (/^bge-.*-en([-_]|$)/.test(base)) return { ...BGE_EN_PREFIXES };
  return { queryPrefix: '', passagePrefix: '' };
}

/**
 * Resolves an embedder's prefixes: explicit options first, else {@link defaultEmbeddingPrefixes}.
 *
 * @example
 * ```ts
 * resolvePrefixes('e5-small-v2', { queryPrefix: 'q: ' }); // { queryPrefix: 'q: ', passagePrefix: 'passage: ' }
 * ```
 */
export function resolvePrefixes(modelId: string, options: { queryPrefix?: string; passagePrefix?: string }): { queryPrefix: string; passagePrefix: string } {
  const defaults = defaultEmbeddingPrefixes(modelId);
  return { queryPrefix: options.queryPrefix ?? defaults.queryPrefix, passagePrefix: options.passagePrefix ?? defaults.passagePrefix };
}
