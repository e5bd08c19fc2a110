/**
 * Bounded top-k collector (internal): a binary min-heap whose root is the worst kept hit — the lowest
 * score, and among equal scores the largest doc key. Parallel typed arrays, no per-hit objects.
 */
export class TopHits {
  private scores = new Float64Array(16);
  private keys = new Float64Array(16);
  size = 0;
  capacity = 0;

  /** Empties the collector and sets k. */
  reset(capacity: number): void {
    this.capacity = capacity;
    this.size = 0;
    if (capacity > this.scores.length) {
      this.scores = new Float64Array(capacity);
      this.keys = new Float64Array(capacity);
    }
  }

  /** Score a hit must reach to possibly enter (ties enter only with a smaller key); -Infinity until full. */
  threshold(): number {
    return this.size < this.capacity ? -Infinity : this.scores[0]!;
  }

  /** Whether a hit with this score and key would be kept. */
  competitive(score: number, key: number): boolean {
    if (this.size < this.capacity) return true;
    const worst = this.scores[0]!;
    return score > worst || (score === worst && key < this.keys[0]!);
  }

  /** Adds a hit that `competitive` accepted. */
  insert(score: number, key: number): void {
    const scores = this.scores;
    const keys = this.keys;
    if (this.size < this.capacity) {
      // sift up
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const ps = scores[parent]!;
        if (ps < score || (ps === score && keys[parent]! > key)) break; // parent is worse: stop
        scores[i] = ps;
        keys[i] = keys[parent]!;
        i = parent;
      }
      scores[i] = score;
      keys[i] = key;
      return;
    }
    this.siftDown(score, key, this.size);
  }

  /** Places (score, key) at the root's position and sifts it down within `size` entries. */
  private siftDown(score: number, key: number, size: number): void {
    const scores = this.scores;
    const keys = this.keys;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      let worst = left;
      const right = left + 1;
      if (right < size) {
        const ls = scores[left]!;
        const rs = scores[right]!;
        if (rs < ls || (rs === ls && keys[right]! > keys[left]!)) worst = right;
      }
      const ws = scores[worst]!;
      if (ws > score || (ws === score && keys[worst]! < key)) break; // the new hit is worse than both children
      scores[i] = ws;
      keys[i] = keys[worst]!;
      i = worst;
    }
    scores[i] = score;
    keys[i] = key;
  }

  /** Empties the collector, returning the kept hits best first (score descending, then key ascending). */
  drain(): { docKey: number; score: number }[] {
    const hits: { docKey: number; score: number }[] = new Array(this.size);
    const scores = this.scores;
    const keys = this.keys;
    // pop the worst hit into the last free place
    for (let size = this.size; size > 0; size--) {
      hits[size - 1] = { docKey: keys[0]!, score: scores[0]! };
      if (size > 1) this.siftDown(scores[size - 1]!, keys[size - 1]!, size - 1);
    }
    this.size = 0;
    return hits;
  }
}
