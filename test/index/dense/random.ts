/** Seeded random vectors for the dense index tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` vectors of small integers in [-4, 4] (exact dot products), flat. */
export function integerVectors(seed: number, count: number, dimensions: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count * dimensions }, () => Math.floor(random() * 9) - 4);
}

/** `count` Gaussian-ish vectors with cluster structure, flat. */
export function clusteredVectors(seed: number, count: number, dimensions: number, clusters = 8): Float32Array {
  const random = seededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dimensions }, gauss));
  const out = new Float32Array(count * dimensions);
  for (let i = 0; i < count; i++) {
    const center = centers[Math.floor(random() * clusters)]!;
    for (let j = 0; j < dimensions; j++) out[i * dimensions + j] = center[j]! + 0.6 * gauss();
  }
  return out;
}
