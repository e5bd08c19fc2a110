/**
 * Near-duplicate detection with MinHash and LSH banding, and Jaccard similarity for retrieval.
 *
 * A text becomes a set of shingles: runs of `shingleSize` consecutive lower-cased words of `standardTokenize`, where
 * every Han ideograph and Hiragana character is a word of its own (so CJK text is shingled by characters). A MinHash
 * signature keeps, for each of `permutations` hash functions, the smallest hash over the shingles; the fraction of
 * positions where two signatures agree is an unbiased estimate of the Jaccard similarity of the shingle sets
 * (standard error √(J(1−J)/permutations), 0.027 at J = 0.9 with 128 permutations).
 *
 * {@link NearDuplicateIndex} splits signatures into `bands` bands of `rows` rows and only compares texts that agree
 * on a whole band (locality-sensitive hashing). With the defaults (128 permutations, 16 bands × 8 rows) a pair is
 * compared with probability 1 − (1 − J⁸)¹⁶: 0.99988 at J = 0.9 (false-negative rate 1.2·10⁻⁴) and 0.061 at J = 0.5
 * (such candidates are then rejected by the signature check). A candidate is reported only when its estimated
 * Jaccard is ≥ `threshold`; for a pair whose true similarity sits exactly at the threshold that happens about half the
 * time (the estimate is symmetric around the truth), for J ≥ threshold + 0.05 almost always.
 */
import { standardTokenize } from '../analysis/index.js';
import { RalmError } from '../core/errors.js';

/**
 * Options of {@link minhashSignature} and {@link shingles}.
 *
 * @example
 * ```ts
 * const options: MinHashOptions = { permutations: 128, shingleSize: 5, seed: 1 };
 * ```
 */
export interface MinHashOptions {
  /** Number of hash functions, i.e. signature length (integer ≥ 1). Default 128. */
  permutations?: number;
  /** Words per shingle (integer ≥ 1; 1 = the set of words). Default 5. */
  shingleSize?: number;
  /** Seed of the hash family (uint32); signatures are comparable only when made with the same seed. Default 0x9e3779b9. */
  seed?: number;
}

/**
 * Options of {@link NearDuplicateIndex}.
 *
 * @example
 * ```ts
 * const index = new NearDuplicateIndex({ threshold: 0.8, bands: 32 } satisfies NearDuplicateOptions);
 * ```
 */
export interface NearDuplicateOptions extends MinHashOptions {
  /** Estimated Jaccard similarity at or above which two texts are near-duplicates (0 < threshold ≤ 1). Default 0.9. */
  threshold?: number;
  /**
   * LSH bands; must divide `permutations` (rows per band = permutations / bands). Default 16 (× 8 rows), tuned for a
   * 0.9 threshold; the candidate curve 1 − (1 − s^rows)^bands rises around s ≈ (1/bands)^(1/rows), so lower
   * thresholds need more bands of fewer rows (e.g. 64 × 2 for 0.5). See {@link lshCandidateProbability}.
   */
  bands?: number;
}

/**
 * The defaults of {@link NearDuplicateIndex} (and, for the MinHash fields, of {@link minhashSignature}).
 *
 * @example
 * ```ts
 * const rows = DEFAULT_NEAR_DUPLICATE_OPTIONS.permutations / DEFAULT_NEAR_DUPLICATE_OPTIONS.bands; // 8
 * ```
 */
export const DEFAULT_NEAR_DUPLICATE_OPTIONS: Readonly<Required<NearDuplicateOptions>> = Object.freeze({
  permutations: 128,
  shingleSize: 5,
  seed: 0x9e3779b9,
  threshold: 0.9,
  bands: 16,
});

// ---------------------------------------------------------------------------------------------------------------
// Hashing

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 with good avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** splitmix32: the deterministic stream of per-permutation constants. */
function constants(seed: number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    out[i] = fmix32(state);
  }
  return out;
}

const familyCache = new Map<string, { multipliers: Uint32Array; offsets: Uint32Array }>();

/** Permutation i maps a shingle hash x to fmix32(a_i · x + b_i) with a_i odd: a multiply-add bijection, then mixing. */
function hashFamily(seed: number, permutations: number) {
  const cacheKey = `${seed}:${permutations}`;
  let family = familyCache.get(cacheKey);
  if (!family) {
    const stream = constants(seed, 2 * permutations);
    const multipliers = new Uint32Array(permutations);
    const offsets = new Uint32Array(permutations);
    for (let i = 0; i < permutations; i++) {
      multipliers[i] = stream[2 * i]! | 1;
      offsets[i] = stream[2 * i + 1]!;
    }
    family = { multipliers, offsets };
    familyCache.set(cacheKey, family);
  }
  return family;
}

function resolveMinHash(options: MinHashOptions | undefined): { permutations: number; shingleSize: number; seed: number } {
  const permutations = options?.permutations ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.permutations;
  const shingleSize = options?.shingleSize ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.shingleSize;
  const seed = options?.seed ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.seed;
  if (!Number.isInteger(permutations) || permutations < 1 || permutations > 65536) {
    throw new RalmError('INVALID_ARGUMENT', `permutations must be an integer in 1..65536, got ${String(permutations)}`);
  }
  if (!Number.isInteger(shingleSize) || shingleSize < 1) {
    throw new RalmError('INVALID_ARGUMENT', `shingleSize must be an integer ≥ 1, got ${String(shingleSize)}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RalmError('INVALID_ARGUMENT', `seed must be an integer in 0..4294967295, got ${String(seed)}`);
  }
  return { permutations, shingleSize, seed };
}

function wordsOf(text: string | readonly string[]): readonly string[] {
  if (typeof text === 'string') return standardTokenize(text.toLowerCase());
  if (Array.isArray(text)) return text;
  throw new RalmError('INVALID_ARGUMENT', `expected a text (string) or its words (string[]), got ${text === null ? 'null' : typeof text}`);
}

/**
 * The distinct shingles of a text (or of an already tokenized word list): runs of `shingleSize` consecutive words
 * joined by a space, in first-occurrence order. A text with fewer words than `shingleSize` has one shingle (all its
 * words); an empty text has none.
 *
 * @example
 * ```ts
 * shingles('The cat sat on the mat', { shingleSize: 3 }); // ['the cat sat', 'cat sat on', 'sat on the', 'on the mat']
 * shingles('我们去公园', { shingleSize: 2 }); // ['我 们', '们 去', '去 公', '公 园']
 * ```
 */
export function shingles(text: string | readonly string[], options?: Pick<MinHashOptions, 'shingleSize'>): string[] {
  const { shingleSize } = resolveMinHash({ shingleSize: options?.shingleSize });
  const words = wordsOf(text);
  const out = new Set<string>();
  if (words.length === 0) return [];
  if (words.length <= shingleSize) return [words.join(' ')];
  for (let i = 0; i + shingleSize <= words.length; i++) out.add(words.slice(i, i + shingleSize).join(' '));
  return [...out];
}

/** 32-bit hashes of the shingles (computed from per-word hashes, without building the shingle strings). */
function shingleHashes(words: readonly string[], shingleSize: number): Uint32Array {
  if (words.length === 0) return new Uint32Array(0);
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = hashString(words[i]!);
  const size = Math.min(shingleSize, words.length);
  const out = new Uint32Array(words.length - size + 1);
  for (let i = 0; i < out.length; i++) {
    let h = 0x2545f491 ^ size;
    for (let j = 0; j < size; j++) h = fmix32((Math.imul(h, 0x01000193) ^ wordHashes[i + j]!) >>> 0);
    out[i] = h;
  }
  return out;
}

/**
 * The MinHash signature of a text's shingle set (see {@link shingles}): for each of `permutations` hash functions
 * of a seeded multiply-add + mix family, the smallest hash over the shingles. Deterministic for the same options;
 * an empty text gets all 0xFFFFFFFF. Also accepts an already tokenized word list (e.g. analyzed terms with
 * `shingleSize: 1` for the MinHash estimate of term-set Jaccard on long texts).
 *
 * @example
 * ```ts
 * const a = minhashSignature('the quick brown fox jumps over the lazy dog');
 * const b = minhashSignature('the quick brown fox jumped over the lazy dog');
 * estimateJaccard(a, b); // ≈ Jaccard of the two 5-shingle sets
 * ```
 */
export function minhashSignature(text: string | readonly string[], options?: MinHashOptions): Uint32Array {
  const { permutations, shingleSize, seed } = resolveMinHash(options);
  const hashes = shingleHashes(wordsOf(text), shingleSize);
  const { multipliers, offsets } = hashFamily(seed, permutations);
  const signature = new Uint32Array(permutations).fill(0xffffffff);
  for (let p = 0; p < permutations; p++) {
    const a = multipliers[p]!;
    const b = offsets[p]!;
    let min = 0xffffffff;
    for (let s = 0; s < hashes.length; s++) {
      const v = fmix32((Math.imul(hashes[s]!, a) + b) >>> 0);
      if (v < min) min = v;
    }
    signature[p] = min;
  }
  return signature;
}

/**
 * Estimated Jaccard similarity of the sets behind two MinHash signatures: the fraction of positions where they
 * agree. Both must come from the same options (same length); otherwise `RalmError('INVALID_ARGUMENT')`.
 *
 * @example
 * ```ts
 * estimateJaccard(minhashSignature('a b c d e f'), minhashSignature('a b c d e f')); // 1
 * ```
 */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  if (!(a instanceof Uint32Array) || !(b instanceof Uint32Array)) {
    throw new RalmError('INVALID_ARGUMENT', 'estimateJaccard expects two Uint32Array signatures from minhashSignature()');
  }
  if (a.length !== b.length) {
    throw new RalmError('INVALID_ARGUMENT', `signatures have different lengths (${a.length} and ${b.length}); make both with the same permutations`);
  }
  if (a.length === 0) return 1;
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}

/**
 * Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two term lists taken as sets (repeats ignored) — a similarity for
 * short texts such as titles or queries (for long texts use {@link minhashSignature} + {@link estimateJaccard}).
 * Two empty lists are identical: 1.
 *
 * @example
 * ```ts
 * jaccardSimilarity(['bm25', 'ranking', 'lucene'], ['bm25', 'lucene', 'scoring']); // 0.5
 * ```
 */
export function jaccardSimilarity(a: readonly string[], b: readonly string[]): number {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size === 0 && right.size === 0) return 1;
  let intersection = 0;
  for (const term of left) if (right.has(term)) intersection++;
  return intersection / (left.size + right.size - intersection);
}

/**
 * Probability that LSH banding with `bands` bands of `rows` rows makes two texts of Jaccard similarity
 * `similarity` candidates: 1 − (1 − s^rows)^bands.
 *
 * @example
 * ```ts
 * 1 - lshCandidateProbability(0.9, 16, 8); // false-negative rate at J = 0.9: ≈ 1.2e-4
 * lshCandidateProbability(0.5, 16, 8); // false-positive (candidate) rate at J = 0.5: ≈ 0.061
 * ```
 */
export function lshCandidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - (1 - similarity ** rows) ** bands;
}

// ---------------------------------------------------------------------------------------------------------------
// The index

/**
 * An in-memory near-duplicate index over MinHash signatures with LSH banding. `add` returns the key of an
 * already indexed near-duplicate (estimated Jaccard ≥ `threshold`, verified on the full signatures; the most similar
 * one, ties to the earliest added) and then does **not** index the new text; otherwise it indexes the text and
 * returns null. Keys are the caller's integers (e.g. document numbers).
 *
 * @example
 * ```ts
 * const index = new NearDuplicateIndex();
 * index.add(1, longText); // null: new
 * index.add(2, longText.replace('colour', 'color')); // 1: near-duplicate of 1 (not indexed)
 * index.remove(1);
 * index.size; // 0
 * ```
 */
export class NearDuplicateIndex {
  /** The options in effect (defaults filled in). */
  readonly options: Readonly<Required<NearDuplicateOptions>>;
  private readonly rows: number;
  private readonly signatures = new Map<number, Uint32Array>();
  /** Insertion order, for deterministic tie-breaking. */
  private readonly order = new Map<number, number>();
  private added = 0;
  private readonly buckets: Array<Map<number, number[]>>;

  /**
   * Creates an empty index; throws `RalmError('INVALID_ARGUMENT')` for a threshold outside (0, 1] or bands that do
   * not divide permutations.
   *
   * @example
   * ```ts
   * const index = new NearDuplicateIndex({ threshold: 0.85 });
   * ```
   */
  constructor(options: NearDuplicateOptions = {}) {
    const { permutations, shingleSize, seed } = resolveMinHash(options);
    const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.threshold;
    const bands = options.bands ?? DEFAULT_NEAR_DUPLICATE_OPTIONS.bands;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new RalmError('INVALID_ARGUMENT', `threshold must be a number in (0, 1], got ${String(threshold)}`);
    }
    if (!Number.isInteger(bands) || bands < 1 || permutations % bands !== 0) {
      throw new RalmError('INVALID_ARGUMENT', `bands must be a positive integer dividing permutations (${permutations}), got ${String(bands)}`);
    }
    this.options = Object.freeze({ permutations, shingleSize, seed, threshold, bands });
    this.rows = permutations / bands;
    this.buckets = Array.from({ length: bands }, () => new Map<number, number[]>());
  }

  /**
   * Number of indexed texts.
   *
   * @example
   * ```ts
   * new NearDuplicateIndex().size; // 0
   * ```
   */
  get size(): number {
    return this.signatures.size;
  }

  /**
   * The signature of a text under this index's options.
   *
   * @example
   * ```ts
   * const signature = index.signature('some text');
   * ```
   */
  signature(text: string | readonly string[]): Uint32Array {
    return minhashSignature(text, this.options);
  }

  /**
   * Whether `key` is indexed.
   *
   * @example
   * ```ts
   * index.has(1); // true after index.add(1, text) returned null
   * ```
   */
  has(key: number): boolean {
    return this.signatures.has(key);
  }

  /**
   * Keys that share at least one LSH band with the text (before the signature check), ascending.
   *
   * @example
   * ```ts
   * index.candidates(text); // [3, 17]
   * ```
   */
  candidates(text: string | readonly string[] | Uint32Array): number[] {
    const signature = text instanceof Uint32Array ? this.checkSignature(text) : this.signature(text);
    const found = new Set<number>();
    for (let band = 0; band < this.options.bands; band++) {
      const keys = this.buckets[band]!.get(this.bandHash(signature, band));
      if (keys) for (const key of keys) found.add(key);
    }
    return [...found].sort((a, b) => a - b);
  }

  /**
   * The key of the indexed text most similar to `text` among those with estimated Jaccard ≥ threshold, or null.
   * Does not change the index.
   *
   * @example
   * ```ts
   * index.find('a text seen before, almost verbatim'); // 7
   * ```
   */
  find(text: string | readonly string[] | Uint32Array): number | null {
    const signature = text instanceof Uint32Array ? this.checkSignature(text) : this.signature(text);
    let best: number | null = null;
    let bestSimilarity = -1;
    for (const key of this.candidates(signature)) {
      const similarity = estimateJaccard(signature, this.signatures.get(key)!);
      if (similarity < this.options.threshold) continue;
      if (similarity > bestSimilarity || (similarity === bestSimilarity && this.order.get(key)! < this.order.get(best!)!)) {
        best = key;
        bestSimilarity = similarity;
      }
    }
    return best;
  }

  /**
   * Returns the key of an indexed near-duplicate of `text` (and leaves the index unchanged), or indexes `text`
   * under `key` and returns null. A key already indexed is `RalmError('ALREADY_EXISTS')`.
   *
   * @example
   * ```ts
   * const duplicateOf = index.add(42, text);
   * if (duplicateOf !== null) console.log(`document 42 repeats document ${duplicateOf}`);
   * ```
   */
  add(key: number, text: string | readonly string[]): number | null {
    if (!Number.isSafeInteger(key)) throw new RalmError('INVALID_ARGUMENT', `key must be a safe integer, got ${String(key)}`);
    if (this.signatures.has(key)) throw new RalmError('ALREADY_EXISTS', `key ${key} is already in the NearDuplicateIndex; remove(${key}) first`);
    const signature = this.signature(text);
    const duplicate = this.find(signature);
    if (duplicate !== null) return duplicate;
    this.signatures.set(key, signature);
    this.order.set(key, this.added++);
    for (let band = 0; band < this.options.bands; band++) {
      const hash = this.bandHash(signature, band);
      const keys = this.buckets[band]!.get(hash);
      if (keys) keys.push(key);
      else this.buckets[band]!.set(hash, [key]);
    }
    return null;
  }

  /**
   * Removes `key`; returns whether it was indexed.
   *
   * @example
   * ```ts
   * index.remove(42); // true
   * ```
   */
  remove(key: number): boolean {
    const signature = this.signatures.get(key);
    if (!signature) return false;
    for (let band = 0; band < this.options.bands; band++) {
      const hash = this.bandHash(signature, band);
      const keys = this.buckets[band]!.get(hash)!;
      const at = keys.indexOf(key);
      keys.splice(at, 1);
      if (keys.length === 0) this.buckets[band]!.delete(hash);
    }
    this.signatures.delete(key);
    this.order.delete(key);
    return true;
  }

  private checkSignature(signature: Uint32Array): Uint32Array {
    if (signature.length !== this.options.permutations) {
      throw new RalmError('INVALID_ARGUMENT', `signature has ${signature.length} values; this index uses ${this.options.permutations} permutations`);
    }
    return signature;
  }

  private bandHash(signature: Uint32Array, band: number): number {
    let h = 0x3c6ef372 ^ band;
    const start = band * this.rows;
    for (let r = 0; r < this.rows; r++) h = fmix32((Math.imul(h, 0x01000193) ^ signature[start + r]!) >>> 0);
    return h;
  }
}
