/**
 * The chunk keys an open commit indexes, with their document ids, in the order added — what a
 * `Map<number, string>` would hold, with the same answers and the same iteration order. While keys only come in
 * ascending order (every chunk of a bulk load) they are kept in two arrays, no map entry per chunk; the first
 * removal, look-up or out-of-order key turns them into a map.
 *
 * @example
 * ```ts
 * const added = new AddedKeys();
 * added.set(7, 'doc-a');
 * added.set(8, 'doc-b');
 * added.delete(7);
 * [...added.entries()]; // [[8, 'doc-b']]
 * ```
 */
export class AddedKeys {
  private keys: number[] = [];
  private ids: string[] = [];
  private map: Map<number, string> | null = null;

  set(key: number, id: string): void {
    if (this.map === null && (this.keys.length === 0 || key > this.keys[this.keys.length - 1]!)) {
      this.keys.push(key);
      this.ids.push(id);
    } else this.asMap().set(key, id);
  }

  delete(key: number): boolean {
    if (this.map === null && (this.keys.length === 0 || key > this.keys[this.keys.length - 1]! || key < this.keys[0]!)) return false;
    return this.asMap().delete(key);
  }

  has(key: number): boolean {
    return this.asMap().has(key);
  }

  get size(): number {
    return this.map === null ? this.keys.length : this.map.size;
  }

  /** The keys, in the order added. */
  keyList(): number[] {
    return this.map === null ? this.keys.slice() : [...this.map.keys()];
  }

  /** `[key, id]` pairs, in the order added. */
  *entries(): IterableIterator<[number, string]> {
    if (this.map !== null) {
      yield* this.map;
      return;
    }
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.ids[i]!];
  }

  private asMap(): Map<number, string> {
    if (this.map === null) {
      this.map = new Map();
      for (let i = 0; i < this.keys.length; i++) this.map.set(this.keys[i]!, this.ids[i]!);
      this.keys = [];
      this.ids = [];
    }
    return this.map;
  }
}
