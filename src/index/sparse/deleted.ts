import { RalmError } from '../../core/errors.js';

/**
 * Anything that says whether a doc key is deleted (a `Set<number>` works, so does `DeletedDocs`).
 */
export interface DeletedKeys {
  has(docKey: number): boolean;
}

/**
 * A growable bitset of deleted doc keys. Memory is one bit per key up to the largest key added.
 *
 * @example
 * ```ts
 * const deleted = new DeletedDocs();
 * deleted.add(42);
 * new SparseSearcher({ segments, deleted, params: DEFAULT_BM25_PARAMS });
 * ```
 */
export class DeletedDocs implements DeletedKeys {
  private words: Uint32Array;
  private count = 0;

  /**
   * An empty set, or one holding `keys`.
   *
   * @example
   * ```ts
   * const deleted = new DeletedDocs([3, 9]);
   * ```
   */
  constructor(keys: Iterable<number> = []) {
    this.words = new Uint32Array(4);
    for (const key of keys) this.add(key);
  }

  /**
   * Marks `docKey` deleted (a uint32). Adding a key twice is harmless.
   *
   * @example
   * ```ts
   * deleted.add(7);
   * ```
   */
  add(docKey: number): void {
    if (!Number.isInteger(docKey) || docKey < 0 || docKey > 0xffffffff) {
      throw new RalmError('INVALID_ARGUMENT', `docKey must be an integer in 0..4294967295, got ${docKey}`);
    }
    const word = Math.floor(docKey / 32);
    if (word >= this.words.length) {
      let capacity = this.words.length * 2;
      while (capacity <= word) capacity *= 2;
      const grown = new Uint32Array(capacity);
      grown.set(this.words);
      this.words = grown;
    }
    const bit = 1 << (docKey & 31);
    if ((this.words[word]! & bit) === 0) {
      this.words[word]! |= bit;
      this.count++;
    }
  }

  /**
   * Whether `docKey` is deleted.
   *
   * @example
   * ```ts
   * if (!deleted.has(hit.docKey)) keep(hit);
   * ```
   */
  has(docKey: number): boolean {
    const word = docKey >>> 5;
    return word < this.words.length && docKey >= 0 && (this.words[word]! & (1 << (docKey & 31))) !== 0;
  }

  /**
   * Number of distinct deleted keys.
   *
   * @example
   * ```ts
   * if (deleted.size > segment.documentCount / 4) mergeSoon();
   * ```
   */
  get size(): number {
    return this.count;
  }
}
