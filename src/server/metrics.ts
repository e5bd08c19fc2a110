/**
 * Prometheus metrics in the text exposition format: requests by route, method and status, a latency histogram per
 * route, and gauges for the collections' sizes. No dependency: the format is a few lines of text.
 */

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * Request counters and latency histograms.
 * @example
 * ```ts
 * const metrics = new Metrics();
 * metrics.observe({ route: '/search', method: 'POST', status: 200, seconds: 0.004 });
 * metrics.render([{ name: 'docs', bytes: 1024, documents: 3 }]);
 * ```
 */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly started = Date.now();

  observe(sample: { route: string; method: string; status: number; seconds: number }): void {
    const key = `route="${label(sample.route)}",method="${label(sample.method)}",status="${sample.status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const histogramKey = `route="${label(sample.route)}"`;
    let histogram = this.latency.get(histogramKey);
    if (!histogram) this.latency.set(histogramKey, (histogram = { counts: new Array(BUCKETS.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (sample.seconds <= BUCKETS[i]!) histogram.counts[i]!++;
    histogram.sum += sample.seconds;
    histogram.count++;
  }

  /** The exposition text, with the collections' gauges and the process's memory. */
  render(collections: Array<{ name: string; bytes: number; documents: number }>): string {
    const lines: string[] = [];
    lines.push('# HELP ralm_http_requests_total HTTP requests by route, method and status.', '# TYPE ralm_http_requests_total counter');
    for (const [key, value] of this.requests) lines.push(`ralm_http_requests_total{${key}} ${value}`);
    lines.push('# HELP ralm_http_request_duration_seconds Time to the response headers, by route.', '# TYPE ralm_http_request_duration_seconds histogram');
    for (const [key, h] of this.latency) {
      BUCKETS.forEach((bound, i) => lines.push(`ralm_http_request_duration_seconds_bucket{${key},le="${bound}"} ${h.counts[i]}`));
      lines.push(`ralm_http_request_duration_seconds_bucket{${key},le="+Inf"} ${h.count}`);
      lines.push(`ralm_http_request_duration_seconds_sum{${key}} ${h.sum}`);
      lines.push(`ralm_http_request_duration_seconds_count{${key}} ${h.count}`);
    }
    lines.push('# HELP ralm_collection_bytes Size of a collection\'s database files (opened collections).', '# TYPE ralm_collection_bytes gauge');
    for (const c of collections) lines.push(`ralm_collection_bytes{collection="${label(c.name)}"} ${c.bytes}`);
    lines.push('# HELP ralm_collection_documents Live documents of a collection (opened collections).', '# TYPE ralm_collection_documents gauge');
    for (const c of collections) lines.push(`ralm_collection_documents{collection="${label(c.name)}"} ${c.documents}`);
    const memory = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${memory.rss}`);
    lines.push('# HELP process_uptime_seconds Seconds since the server started.', '# TYPE process_uptime_seconds gauge', `process_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return lines.join('\n') + '\n';
  }
}
