/**
 * Bounded top-k collector (internal): a binary min-heap whose root is the worst kept hit — the lowest
 * score, and among equal scores the largest key — so ties are kept for the smaller key, deterministically.
 */
export class TopK {
  private scores: Float64Array;
  private keys: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(Math.max(1, capacity));
    this.keys = new Float64Array(Math.max(1, capacity));
  }

  /** Whether (score, key) would be kept. */
  competitive(score: number, key: number): boolean {
    if (this.size < this.capacity) return true;
    const worst = this.scores[0]!;
    return score > worst || (score === worst && key < this.keys[0]!);
  }

  /** Offers a hit; keeps it when it is among the best `capacity` so far. */
  offer(score: number, key: number): void {
    if (this.capacity === 0 || !this.competitive(score, key)) return;
    const scores = this.scores;
    const keys = this.keys;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const ps = scores[parent]!;
        if (ps < score || (ps === score && keys[parent]! > key)) break;
        scores[i] = ps;
        keys[i] = keys[parent]!;
        i = parent;
      }
      scores[i] = score;
      keys[i] = key;
      return;
    }
    // replace the root and sift down
    const size = this.size;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      let child = left;
      const right = left + 1;
      if (right < size && (scores[right]! < scores[left]! || (scores[right] === scores[left] && keys[right]! > keys[left]!))) child = right;
      const cs = scores[child]!;
      if (cs > score || (cs === score && keys[child]! < key)) break;
      scores[i] = cs;
      keys[i] = keys[child]!;
      i = child;
    }
    scores[i] = score;
    keys[i] = key;
  }

  /** The kept hits, best first (score descending, then key ascending). */
  sorted(): Array<{ key: number; score: number }> {
    const out: Array<{ key: number; score: number }> = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i]!, score: this.scores[i]! });
    out.sort((a, b) => b.score - a.score || a.key - b.key);
    return out;
  }
}
