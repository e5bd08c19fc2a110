/**
 * Per-key rate limiting with token buckets: `perMinute` tokens are added per minute, at most `burst` are held;
 * a request takes one. An empty bucket answers with the seconds until the next token (the Retry-After header).
 */

/**
 * @example
 * ```ts
 * const limiter = new RateLimiter({ perMinute: 60, burst: 5 });
 * limiter.take('key-id'); // 0 when allowed, else seconds to wait
 * ```
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: { perMinute: number; burst: number; now?: () => number }) {
    this.perMs = options.perMinute / 60_000;
    this.burst = options.burst;
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes a token for `id`: 0 when the request may proceed, else the whole seconds to wait (≥ 1). */
  take(id: string): number {
    if (this.perMs === 0) return 0;
    const now = this.now();
    let bucket = this.buckets.get(id);
    if (!bucket) {
      if (this.buckets.size > 10_000) this.buckets.clear(); // bounded memory; a cleared bucket starts full
      this.buckets.set(id, (bucket = { tokens: this.burst, at: now }));
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }
}
