/**
 * Near-duplicate detection with MinHash and LSH banding, and Jaccard similarity for retrieval.
 *
 * A text becomes a set of shingles: runs of `shingleSize` consecutive lower-cased words of `standardTokenize`, where
 * every Han ideograph and Hiragana character is a word of its own (so CJK text is shingled by characters). Its MinHash
 * signature is made by one-permutation hashing with optimal densification (Li, Owen & Zhang 2012; Shrivastava 2017):
 * one seeded hash per shingle picks one of `permutations` bins and each bin keeps its smallest hash; an empty bin
 * borrows the value of the first non-empty bin along its own fixed pseudo-random probe sequence. Two signatures agree
 * in a position with probability equal to the Jaccard similarity of the shingle sets, so the fraction of agreeing
 * positions estimates it without bias (standard error about √(J(1−J)/permutations), 0.027 at J = 0.9 with 128 bins),
 * at the cost of one hash per shingle instead of one per shingle and permutation.
 *
 * {@link NearDuplicateIndex} keeps, per indexed text, only 8 bits of each signature position (b-bit minwise hashing:
 * 128 bytes a text; the bits come from a hash of the value and the position) and splits them into `bands` bands of `rows` rows; it only compares texts that agree on a
 * whole band (locality-sensitive hashing). With the defaults (128 positions, 16 bands × 8 rows) a pair is compared with
 * probability ≈ 1 − (1 − J⁸)¹⁶: 0.99988 at J = 0.9 (false-negative rate 1.2·10⁻⁴) and 0.061 at J = 0.5 (such
 * candidates are then rejected by the estimate). The estimate from 8-bit positions is corrected for chance agreement
 * ((m − 1/256) / (1 − 1/256) for an agreeing fraction m). A candidate is reported only when its estimated Jaccard is
 * ≥ `threshold`; for a pair whose true similarity sits exactly at the threshold that happens about half the time (the
 * estimate is symmetric around the truth), for J ≥ threshold + 0.05 almost always — callers that must not miss a pair
 * above the threshold ask {@link NearDuplicateIndex.similar} for candidates down to a lower estimate and confirm them
 * with the exact {@link jaccardSimilarity} of the {@link shingles}.
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

/**
 * FNV-1a over the UTF-16 code units of a Latin-1 token as lower-cased by `toLowerCase()` (A–Z and À–Þ except × move
 * up by 0x20; nothing else in U+0000–U+00FF changes), without building the lower-cased string. For any other token
 * it hashes `token.toLowerCase()`.
 */
function hashLowerCase(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    let c = token.charCodeAt(i);
    if (c >= 0x100) return hashString(token.toLowerCase());
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) c += 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** The seeded hash of one-permutation MinHash: x ↦ fmix32(a · x + b), a odd (a bijection on uint32), and the probe seed. */
function hashFamily(seed: number): { multiplier: number; offset: number; probe: number } {
  const a = fmix32((seed + 0x9e3779b9) >>> 0);
  const b = fmix32((seed + 2 * 0x9e3779b9) >>> 0);
  const probe = fmix32((seed + 3 * 0x9e3779b9) >>> 0);
  return { multiplier: (a | 1) >>> 0, offset: b, probe };
}

/** The bin of a uint32 hash among `bins` (its high bits, so the low bits stay free to order values within a bin). */
function binOf(hash: number, bins: number): number {
  return ((hash >>> 16) * bins) >>> 16;
}

/**
 * One-permutation MinHash with optimal densification (see the module comment): each shingle hash lands in one bin,
 * each bin keeps its smallest value; an empty bin i copies the first originally non-empty bin of its probe sequence
 * fmix32(probe ⊕ 0x9e3779b1·(i+1) ⊕ 0x85ebca77·attempt). No shingles: every position 0xFFFFFFFF.
 */
function oneHashSignature(hashes: Uint32Array, permutations: number, seed: number): Uint32Array {
  const signature = new Uint32Array(permutations).fill(0xffffffff);
  if (hashes.length === 0) return signature;
  const { multiplier, offset, probe } = hashFamily(seed);
  const filled = new Uint8Array(permutations);
  let empty = permutations;
  for (let s = 0; s < hashes.length; s++) {
    const v = fmix32((Math.imul(hashes[s]!, multiplier) + offset) >>> 0);
    const bin = binOf(v, permutations);
    if (filled[bin] === 0) {
      filled[bin] = 1;
      empty--;
      signature[bin] = v;
    } else if (v < signature[bin]!) signature[bin] = v;
  }
  if (empty === 0) return signature;
  for (let i = 0; i < permutations; i++) {
    if (filled[i] === 1) continue;
    const base = (probe ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
    let from = -1;
    for (let attempt = 1; attempt <= 64 * permutations; attempt++) {
      const j = binOf(fmix32((base ^ Math.imul(attempt, 0x85ebca77)) >>> 0), permutations);
      if (filled[j] === 1) {
        from = j;
        break;
      }
    }
    if (from < 0) for (from = (i + 1) % permutations; filled[from] !== 1; from = (from + 1) % permutations); // (never in practice)
    signature[i] = signature[from]!;
  }
  return signature;
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

/** 32-bit hashes of the shingles, from per-word hashes (without building the shingle strings). */
function shingleHashes(wordHashes: Uint32Array, shingleSize: number): Uint32Array {
  if (wordHashes.length === 0) return new Uint32Array(0);
  const size = Math.min(shingleSize, wordHashes.length);
  const out = new Uint32Array(wordHashes.length - size + 1);
  for (let i = 0; i < out.length; i++) {
    // FNV-1a over the word hashes, then one finalising mix
    let h = 0x2545f491 ^ size;
    for (let j = 0; j < size; j++) h = Math.imul(h ^ wordHashes[i + j]!, 0x01000193);
    out[i] = fmix32(h >>> 0);
  }
  return out;
}

/**
 * The MinHash signature of a text's shingle set (see {@link shingles}), by one-permutation hashing with optimal
 * densification (see the module comment): `permutations` positions, one seeded hash per shingle. Deterministic for
 * the same options; an empty text gets all 0xFFFFFFFF. Also accepts an already tokenized word list, used as is (e.g.
 * analyzed terms with `shingleSize: 1` for the MinHash estimate of term-set Jaccard on long texts).
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
  const words = wordsOf(text);
  const wordHashes = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) wordHashes[i] = hashString(words[i]!);
  return oneHashSignature(shingleHashes(wordHashes, shingleSize), permutations, seed);
}

/**
 * The signature of a text from its `standardTokenize` tokens as they are (original case): equal to
 * `minhashSignature(text)` whenever lower-casing the text does not change how it tokenizes — always for Latin-1 text
 * (U+0000–U+00FF); for other scripts, `standardTokenize(text.toLowerCase())` may rarely differ from the lower-cased
 * tokens, and then so does the signature. Saves tokenizing a text twice when its tokens are at hand.
 *
 * @example
 * ```ts
 * const text = 'The quick brown fox jumps over the lazy dog';
 * minhashSignatureOfTokens(standardTokenize(text)); // equals minhashSignature(text)
 * ```
 */
export function minhashSignatureOfTokens(tokens: readonly string[], options?: MinHashOptions): Uint32Array {
  const { permutations, shingleSize, seed } = resolveMinHash(options);
  const wordHashes = new Uint32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) wordHashes[i] = hashLowerCase(tokens[i]!);
  return oneHashSignature(shingleHashes(wordHashes, shingleSize), permutations, seed);
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
 * The exact Jaccard similarity of the shingle sets of two texts (or word lists), i.e.
 * `jaccardSimilarity(shingles(a), shingles(b))`, computed on numbered words instead of shingle strings (several
 * times faster; the confirmation of near-duplicate candidates runs it).
 *
 * @example
 * ```ts
 * shingleSimilarity('the cat sat on the mat', 'the cat sat on a mat', { shingleSize: 2 }); // 3/7
 * ```
 */
export function shingleSimilarity(a: string | readonly string[], b: string | readonly string[], options?: Pick<MinHashOptions, 'shingleSize'>): number {
  const { shingleSize } = resolveMinHash({ shingleSize: options?.shingleSize });
  const wordsA = wordsOf(a);
  const wordsB = wordsOf(b);
  const numbers = new Map<string, number>();
  const number = (words: readonly string[]) => {
    const out = new Float64Array(words.length);
    for (let i = 0; i < words.length; i++) {
      let n = numbers.get(words[i]!);
      if (n === undefined) numbers.set(words[i]!, (n = numbers.size + 1)); // from 1: shingles of different lengths differ
      out[i] = n;
    }
    return out;
  };
  const numbersA = number(wordsA);
  const numbersB = number(wordsB);
  const base = 2 ** Math.ceil(Math.log2(numbers.size + 1));
  const exact = base ** Math.min(shingleSize, Math.max(wordsA.length, wordsB.length)) <= Number.MAX_SAFE_INTEGER;
  const keys = (words: Float64Array): Set<number | string> => {
    const out = new Set<number | string>();
    if (words.length === 0) return out;
    const size = Math.min(shingleSize, words.length);
    for (let i = 0; i + size <= words.length; i++) {
      if (exact) {
        let key = 0;
        for (let j = 0; j < size; j++) key = key * base + words[i + j]!;
        out.add(key);
      } else out.add(words.subarray(i, i + size).join(','));
    }
    return out;
  };
  const left = keys(numbersA);
  const right = keys(numbersB);
  if (left.size === 0 && right.size === 0) return 1;
  let intersection = 0;
  for (const key of left) if (right.has(key)) intersection++;
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

/** Chance that two different 8-bit codes agree: the estimate subtracts it. */
const CODE_AGREEMENT = 1 / 256;

/**
 * An in-memory near-duplicate index over MinHash signatures with LSH banding, in a few flat typed arrays (about 260
 * bytes per indexed text with the defaults: the 8-bit codes of its signature, its band chains, its key). `add`
 * returns the key of an already indexed near-duplicate (estimated Jaccard ≥ `threshold`; the most similar one, ties
 * to the earliest added) and then does **not** index the new text; otherwise it indexes the text and returns null.
 * Keys are the caller's integers (e.g. document numbers).
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
  /** Slots in insertion order (the order breaks ties); a removed slot's key is NaN. */
  private slots = 0;
  private live = 0;
  private keys = new Float64Array(64);
  /** 8-bit codes of every signature position, `permutations` bytes per slot (see `codesOf`). */
  private codes: Uint8Array;
  /** Band chains: entry `slot · bands + band` → the next entry of its bucket (−1 ends). */
  private next: Int32Array;
  /** Bucket (a hash of the band and its codes) → first entry (−1: none); a power of two. */
  private heads = new Int32Array(256).fill(-1);
  /** Open-addressing table key → slot + 1 (0: free), linear probing; a power of two. */
  private slotTable = new Int32Array(128);
  /** Per slot: the query that last saw it (deduplicates candidates without a Set). */
  private seen = new Uint32Array(64);
  private query = 0;

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
    this.codes = new Uint8Array(64 * permutations);
    this.next = new Int32Array(64 * bands);
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
    return this.live;
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
    return this.slotOf(key) >= 0;
  }

  /**
   * Keys that share at least one LSH band with the text (before the estimate check), ascending.
   *
   * @example
   * ```ts
   * index.candidates(text); // [3, 17]
   * ```
   */
  candidates(text: string | readonly string[] | Uint32Array): number[] {
    const codes = this.codesOf(text);
    return this.candidateSlots(codes)
      .map((slot) => this.keys[slot]!)
      .sort((a, b) => a - b);
  }

  /**
   * Indexed texts that share an LSH band with `text` and whose estimated Jaccard similarity to it is ≥ `minimum`
   * (default: the threshold), most similar first (ties: the earliest added first). Does not change the index.
   *
   * @example
   * ```ts
   * index.similar(text, 0.75); // [{ key: 7, estimate: 0.96 }, { key: 3, estimate: 0.81 }]
   * ```
   */
  similar(text: string | readonly string[] | Uint32Array, minimum: number = this.options.threshold): Array<{ key: number; estimate: number }> {
    return this.similarCodes(this.codesOf(text), minimum);
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
    return this.similarCodes(this.codesOf(text), this.options.threshold)[0]?.key ?? null;
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
  add(key: number, text: string | readonly string[] | Uint32Array): number | null {
    this.checkNewKey(key);
    const codes = this.codesOf(text);
    const duplicate = this.similarCodes(codes, this.options.threshold)[0];
    if (duplicate !== undefined) return duplicate.key;
    this.insertCodes(key, codes);
    return null;
  }

  /**
   * Indexes `text` under `key` whatever is already indexed (for callers that decided themselves, e.g. after an exact
   * check). A key already indexed is `RalmError('ALREADY_EXISTS')`.
   *
   * @example
   * ```ts
   * index.insert(42, signature);
   * ```
   */
  insert(key: number, text: string | readonly string[] | Uint32Array): void {
    this.checkNewKey(key);
    this.insertCodes(key, this.codesOf(text));
  }

  /**
   * The sketch the index keeps of a text (one byte per permutation): what {@link insertSketch} takes back,
   * so an index can be persisted and rebuilt without computing signatures again.
   *
   * @example
   * ```ts
   * const codes = index.sketch(text); // Uint8Array(128)
   * other.insertSketch(7, codes); // same as other.insert(7, text), for an index with the same options
   * ```
   */
  sketch(text: string | readonly string[] | Uint32Array): Uint8Array {
    return this.codesOf(text);
  }

  /**
   * Indexes the sketch of a text (see {@link sketch}) under `key`.
   *
   * @example
   * ```ts
   * index.insertSketch(7, codes);
   * ```
   */
  insertSketch(key: number, codes: Uint8Array): void {
    this.checkNewKey(key);
    if (codes.length !== this.options.permutations) {
      throw new RalmError('INVALID_ARGUMENT', `sketch has ${codes.length} bytes; this index uses ${this.options.permutations} permutations`);
    }
    this.insertCodes(key, codes);
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
    const slot = this.slotOf(key);
    if (slot < 0) return false;
    const { bands } = this.options;
    for (let band = 0; band < bands; band++) {
      const entry = slot * bands + band;
      const bucket = this.bucketOf(this.codes, slot * this.options.permutations, band);
      let previous = -1;
      for (let e = this.heads[bucket]!; e >= 0; previous = e, e = this.next[e]!) {
        if (e !== entry) continue;
        if (previous < 0) this.heads[bucket] = this.next[e]!;
        else this.next[previous] = this.next[e]!;
        break;
      }
    }
    this.deleteKey(key);
    this.keys[slot] = Number.NaN;
    this.live--;
    return true;
  }

  private similarCodes(codes: Uint8Array, minimum: number): Array<{ key: number; estimate: number }> {
    const permutations = this.options.permutations;
    const found: Array<{ slot: number; estimate: number }> = [];
    for (const slot of this.candidateSlots(codes)) {
      let agree = 0;
      const base = slot * permutations;
      for (let i = 0; i < permutations; i++) if (this.codes[base + i] === codes[i]) agree++;
      const estimate = Math.min(1, Math.max(0, (agree / permutations - CODE_AGREEMENT) / (1 - CODE_AGREEMENT)));
      if (estimate >= minimum) found.push({ slot, estimate });
    }
    found.sort((a, b) => b.estimate - a.estimate || a.slot - b.slot);
    return found.map(({ slot, estimate }) => ({ key: this.keys[slot]!, estimate }));
  }

  private checkNewKey(key: number): void {
    if (!Number.isSafeInteger(key)) throw new RalmError('INVALID_ARGUMENT', `key must be a safe integer, got ${String(key)}`);
    if (this.has(key)) throw new RalmError('ALREADY_EXISTS', `key ${key} is already in the NearDuplicateIndex; remove(${key}) first`);
  }

  /** The 8-bit codes of a text's signature. */
  private codesOf(text: string | readonly string[] | Uint32Array): Uint8Array {
    let signature: Uint32Array;
    if (text instanceof Uint32Array) {
      if (text.length !== this.options.permutations) {
        throw new RalmError('INVALID_ARGUMENT', `signature has ${text.length} values; this index uses ${this.options.permutations} permutations`);
      }
      signature = text;
    } else signature = this.signature(text);
    // 8 bits of a hash of the value and its position: positions that hold copies of one value (a text with few
    // shingles is mostly densified copies) still agree by chance independently, with probability 1/256 each
    const codes = new Uint8Array(signature.length);
    for (let i = 0; i < signature.length; i++) codes[i] = fmix32((signature[i]! ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0) & 0xff;
    return codes;
  }

  private bucketOf(codes: Uint8Array, offset: number, band: number): number {
    let h = 0x3c6ef372 ^ band;
    const start = offset + band * this.rows;
    for (let r = 0; r < this.rows; r++) h = fmix32((Math.imul(h, 0x01000193) ^ codes[start + r]!) >>> 0);
    return h & (this.heads.length - 1);
  }

  /** Live slots sharing a whole band of codes with `codes`, in insertion order. */
  private candidateSlots(codes: Uint8Array): number[] {
    const { bands, permutations } = this.options;
    const rows = this.rows;
    const query = ++this.query;
    if (query === 0xffffffff) {
      this.seen.fill(0);
      this.query = 1;
    }
    const out: number[] = [];
    for (let band = 0; band < bands; band++) {
      for (let e = this.heads[this.bucketOf(codes, 0, band)]!; e >= 0; e = this.next[e]!) {
        if (e % bands !== band) continue;
        const slot = (e - band) / bands;
        if (this.seen[slot] === this.query) continue;
        const base = slot * permutations + band * rows;
        let same = true;
        for (let r = 0; r < rows && same; r++) same = this.codes[base + r] === codes[band * rows + r];
        if (!same) continue;
        this.seen[slot] = this.query;
        out.push(slot);
      }
    }
    return out.sort((a, b) => a - b);
  }

  private insertCodes(key: number, codes: Uint8Array): void {
    const { bands, permutations } = this.options;
    if (this.slots === this.keys.length) this.growSlots();
    if ((this.live + 1) * bands > 2 * this.heads.length) this.rebuildChains(this.heads.length * 2);
    const slot = this.slots++;
    this.keys[slot] = key;
    this.codes.set(codes, slot * permutations);
    for (let band = 0; band < bands; band++) {
      const bucket = this.bucketOf(codes, 0, band);
      const entry = slot * bands + band;
      this.next[entry] = this.heads[bucket]!;
      this.heads[bucket] = entry;
    }
    this.putKey(key, slot);
    this.live++;
  }

  /** Grows the per-slot arrays by half (or compacts them when many slots were removed). */
  private growSlots(): void {
    const { bands, permutations } = this.options;
    if (this.live * 2 < this.slots) {
      this.compact();
      return;
    }
    const capacity = Math.ceil(this.keys.length * 1.5);
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    this.keys = keys;
    const codes = new Uint8Array(capacity * permutations);
    codes.set(this.codes);
    this.codes = codes;
    const next = new Int32Array(capacity * bands);
    next.set(this.next);
    this.next = next;
    const seen = new Uint32Array(capacity);
    seen.set(this.seen);
    this.seen = seen;
  }

  /** Drops removed slots (keeping insertion order) and rebuilds the chains and the key table. */
  private compact(): void {
    const { permutations } = this.options;
    let to = 0;
    for (let from = 0; from < this.slots; from++) {
      if (Number.isNaN(this.keys[from]!)) continue;
      if (to !== from) {
        this.keys[to] = this.keys[from]!;
        this.codes.copyWithin(to * permutations, from * permutations, (from + 1) * permutations);
      }
      to++;
    }
    this.slots = to;
    this.seen.fill(0);
    this.query = 0;
    this.rebuildChains(this.heads.length);
  }

  private rebuildChains(buckets: number): void {
    const { bands, permutations } = this.options;
    this.heads = new Int32Array(buckets).fill(-1);
    this.slotTable = new Int32Array(Math.max(128, this.slotTable.length));
    for (let slot = 0; slot < this.slots; slot++) {
      const key = this.keys[slot]!;
      if (Number.isNaN(key)) continue;
      for (let band = 0; band < bands; band++) {
        const bucket = this.bucketOf(this.codes, slot * permutations, band);
        const entry = slot * bands + band;
        this.next[entry] = this.heads[bucket]!;
        this.heads[bucket] = entry;
      }
      this.putKey(key, slot);
    }
  }

  private keyHome(key: number): number {
    return fmix32((key ^ Math.floor(key / 0x100000000)) >>> 0) & (this.slotTable.length - 1);
  }

  private slotOf(key: number): number {
    const mask = this.slotTable.length - 1;
    for (let i = this.keyHome(key); ; i = (i + 1) & mask) {
      const stored = this.slotTable[i]!;
      if (stored === 0) return -1;
      if (this.keys[stored - 1] === key) return stored - 1;
    }
  }

  private putKey(key: number, slot: number): void {
    if ((this.live + 1) * 2 > this.slotTable.length) {
      const old = this.slotTable;
      this.slotTable = new Int32Array(old.length * 2);
      for (const stored of old) if (stored !== 0) this.placeKey(this.keys[stored - 1]!, stored - 1);
    }
    this.placeKey(key, slot);
  }

  private placeKey(key: number, slot: number): void {
    const mask = this.slotTable.length - 1;
    let i = this.keyHome(key);
    while (this.slotTable[i] !== 0) i = (i + 1) & mask;
    this.slotTable[i] = slot + 1;
  }

  /** Linear-probing deletion with backward shift (no tombstones). */
  private deleteKey(key: number): void {
    const table = this.slotTable;
    const mask = table.length - 1;
    let i = this.keyHome(key);
    while (table[i] !== 0 && this.keys[table[i]! - 1] !== key) i = (i + 1) & mask;
    if (table[i] === 0) return;
    table[i] = 0;
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = this.keyHome(this.keys[table[j]! - 1]!);
      // move j back into the hole i when its home is not in the cyclic range (i, j]
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = table[j]!;
        table[j] = 0;
        i = j;
      }
    }
  }
}
