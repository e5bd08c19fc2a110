/**
 * Load test of `ralm serve` on loopback (bounded in time and count): builds a 100k-document collection (WordNet
 * synsets; SciFact when WordNet is missing), starts the server in a child process, and drives it with wrk (Debian's
 * `wrk`, installed with apt-get when missing; 1 thread, 32 keep-alive connections, fixed duration, request bodies
 * cycled from the query set by a Lua script) after a 10 s warm-up that is not measured:
 *   1. POST /search (BM25, k = 10): requests/s, p50/p99 latency, errors;
 *   2. POST /ask (extractive, stream:false): requests/s, p50/p99, errors;
 *   3. /search p99 while 10,000 documents are ingested through the API (5 jobs of 2,000), with a consistency
 *      check: the document count a search-side reader reports is always a whole number of committed jobs.
 * The server's RSS is sampled every second. Writes bench/results/server.md.
 *
 *   npx vite-node bench/server.ts            (RALM_BENCH_SECONDS=15 per phase by default, at most 60)
 *
 * For investigating, not for the report: RALM_BENCH_PHASES=search,ask,ingest picks phases (the report is then
 * printed, not written), RALM_BENCH_PROFILE=<dir> starts the server under `node --cpu-prof` writing into <dir>,
 * RALM_BENCH_DIST=<folder> serves from another compiled copy of src/ than dist/, RALM_BENCH_LOADER=node uses the Node
 * load generator even when wrk is there.
 */
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openCollection } from '../src/engine/index.js';
import { findRepoRoot, loadScifact, loadWordnet, wordnetDir, type Corpus } from './corpora.js';

const repo = findRepoRoot();
const seconds = Math.min(60, Math.max(1, Number(process.env.RALM_BENCH_SECONDS ?? 15)));
const CLIENTS = 32;
const TARGET_DOCS = 100_000;
const INGEST_DOCS = 10_000;
const INGEST_BATCH = 2_000;
const PHASES = new Set((process.env.RALM_BENCH_PHASES ?? 'search,ask,ingest').split(',').map((p) => p.trim()));
const FULL_RUN = ['search', 'ask', 'ingest'].every((p) => PHASES.has(p));
const DIST = process.env.RALM_BENCH_DIST ?? 'dist';
const PROFILE = process.env.RALM_BENCH_PROFILE;
const WARM_UP_MS = 10_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// idle sockets are dropped after 4 s, before the server's 5 s keep-alive timeout closes them under a request
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 4, timeout: 4000 });
let port = 0;

/** A control request (not measured): retried once when a reused keep-alive socket was closed under it. */
async function control(path: string, body?: unknown): Promise<{ status: number; text: string }> {
  try {
    return await post(path, body);
  } catch {
    return post(path, body);
  }
}

function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent, headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    if (body !== undefined) r.write(payload);
    r.end();
  });
}

interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  latencies: number[];
}

/** `CLIENTS` loops issuing requests back to back for `durationMs` (or until `stop()` resolves). */
async function load(makeBody: (i: number) => { path: string; body: unknown }, durationMs: number, stop?: Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let stopped = false;
  const started = performance.now();
  const deadline = started + durationMs;
  void stop?.then(() => (stopped = true));
  let counter = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!stopped && performance.now() < deadline) {
        const { path, body } = makeBody(counter++);
        const t = performance.now();
        try {
          const response = await post(path, body);
          if (response.status !== 200) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return { requests: latencies.length, errors, rps: latencies.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, latencies };
}

const WRK_SCRIPT = `
local bodies = {}
local path = os.getenv("RALM_WRK_PATH")
local counter = 0
init = function(args)
  for line in io.lines(os.getenv("RALM_WRK_BODIES")) do bodies[#bodies + 1] = line end
end
request = function()
  counter = counter + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, bodies[(counter % #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
`;

/** Whether Debian's wrk is there (installed with apt-get when it is not and we may). */
function haveWrk(): boolean {
  if (spawnSync('wrk', ['--version']).error === undefined) return true;
  console.error('[bench] installing wrk with apt-get');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const install = spawnSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0) console.error('[bench] could not install wrk; the Node load generator is used instead');
  return spawnSync('wrk', ['--version']).error === undefined;
}

/**
 * `CLIENTS` keep-alive connections from one wrk thread, POSTing the bodies of `bodiesFile` (one JSON per line) to
 * `path` in turn for `durationMs`, or until `stop` resolves (wrk is then interrupted with SIGINT, on which it reports
 * what it measured up to then, over the time it ran).
 */
async function wrkLoad(work: string, path: string, bodiesFile: string, durationMs: number, stop?: Promise<void>): Promise<LoadResult> {
  const script = join(work, 'load.lua');
  writeFileSync(script, WRK_SCRIPT);
  const child = spawn('wrk', ['-t1', `-c${CLIENTS}`, `-d${Math.ceil(durationMs / 1000)}s`, '--timeout', '10s', '-s', script, `http://127.0.0.1:${port}${path}`], {
    env: { ...process.env, RALM_WRK_PATH: path, RALM_WRK_BODIES: bodiesFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr.on('data', (d) => (text += d));
  void stop?.then(() => child.kill('SIGINT'));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const m = /WRKJSON (\{.*\})/.exec(text);
  if (!m) throw new Error(`wrk exited with ${code}: ${text.trim()}`);
  const r = JSON.parse(m[1]!) as { requests: number; duration_us: number; connect: number; read: number; write: number; status: number; timeout: number; p50_us: number; p99_us: number; max_us: number };
  return { requests: r.requests, errors: r.connect + r.read + r.write + r.status + r.timeout, rps: r.requests / (r.duration_us / 1e6), p50: r.p50_us / 1000, p99: r.p99_us / 1000, max: r.max_us / 1000, latencies: [] };
}

function wrkVersion(): string {
  return /wrk\s+(\S+)/.exec(spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'dist', 'server', 'index.js'))) execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
  const wordnet = existsSync(join(wordnetDir(), 'data.noun'));
  const corpus: Corpus = wordnet ? loadWordnet() : loadScifact();
  const base = corpus.docs.slice(0, Math.min(TARGET_DOCS, corpus.docs.length - INGEST_DOCS));
  const extra = corpus.docs.slice(base.length, base.length + INGEST_DOCS);
  const queries = corpus.queries.map((q) => q.text);
  const root = mkdtempSync(join(tmpdir(), 'ralm-bench-server-'));
  const name = corpus.name;
  console.error(`[bench] building ${name}: ${base.length} documents`);
  let t = performance.now();
  const collection = await openCollection({ path: join(root, name), create: true, analyzer: 'english' });
  collection.add(base);
  await collection.commit();
  await collection.optimize();
  await collection.close();
  const buildSeconds = (performance.now() - t) / 1000;

  const script = `import(${JSON.stringify('./' + DIST + '/server/index.js')}).then(async ({ startServer, resolveServerConfig }) => { const s = await startServer({ config: resolveServerConfig({ flags: { root: ${JSON.stringify(root)}, port: 0, logLevel: 'warn', maxUploadBytes: 64 * 1024 * 1024, rateLimitPerMinute: 0 } }) }); process.stderr.write('PORT ' + s.port + '\\n'); process.on('SIGTERM', () => s.close().then(() => process.exit(0))); });`;
  const child = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : []), '-e', script], { cwd: repo, stdio: ['ignore', 'inherit', 'pipe'] });
  port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      const m = /PORT (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(text)));
  });
  const useWrk = process.env.RALM_BENCH_LOADER !== 'node' && haveWrk();
  const rss: Array<{ phase: string; bytes: number }> = [];
  let phase = 'idle';
  const sampler = setInterval(() => rss.push({ phase, bytes: rssOf(child.pid!) }), 1000);
  rss.push({ phase, bytes: rssOf(child.pid!) });

  try {
    const durationMs = seconds * 1000;
    const searchBody = (i: number) => ({ path: '/search', body: { collection: name, query: queries[i % queries.length], k: 10 } });
    const askBody = (i: number) => ({ path: '/ask', body: { collection: name, question: queries[i % queries.length], stream: false } });
    const searchBodies = join(root, 'search.jsonl');
    const askBodies = join(root, 'ask.jsonl');
    writeFileSync(searchBodies, queries.map((_, i) => JSON.stringify(searchBody(i).body)).join('\n') + '\n');
    writeFileSync(askBodies, queries.map((_, i) => JSON.stringify(askBody(i).body)).join('\n') + '\n');
    const run = (path: string, bodies: string, make: (i: number) => { path: string; body: unknown }, ms: number, stop?: Promise<void>) =>
      useWrk ? wrkLoad(root, path, bodies, ms, stop) : load(make, ms, stop);
    // warm-up (JIT, page cache, the server's caches), not measured
    phase = 'warm-up';
    console.error(`[bench] warm-up: /search and /ask for ${WARM_UP_MS / 1000} s`);
    await run('/search', searchBodies, searchBody, WARM_UP_MS / 2);
    await run('/ask', askBodies, askBody, WARM_UP_MS / 2);
    phase = 'search';
    console.error(`[bench] /search for ${seconds} s`);
    const skipped: LoadResult = { requests: 0, errors: 0, rps: NaN, p50: NaN, p99: NaN, max: NaN, latencies: [] };
    const search = PHASES.has('search') ? await run('/search', searchBodies, searchBody, durationMs) : skipped;
    phase = 'ask';
    console.error(`[bench] /ask for ${seconds} s`);
    const ask = !PHASES.has('ask') ? skipped : await run('/ask', askBodies, askBody, durationMs);

    phase = 'search + ingest';
    console.error(`[bench] /search during a ${INGEST_DOCS}-document ingest`);
    const before = JSON.parse((await control(`/collections/${name}`)).text).documents as number;
    const counts = new Set<number>();
    let inconsistent = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const documents = JSON.parse((await control(`/collections/${name}`)).text).documents as number;
        counts.add(documents);
        if ((documents - before) % INGEST_BATCH !== 0) inconsistent++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    t = performance.now();
    const ingest = (async () => {
      if (!PHASES.has('ingest')) return;
      for (let i = 0; i < extra.length; i += INGEST_BATCH) {
        const accepted = JSON.parse((await control(`/collections/${name}/documents`, { documents: extra.slice(i, i + INGEST_BATCH).map((d) => ({ ...d, id: `ingest-${d.id}` })) })).text) as { id: string };
        for (;;) {
          const job = JSON.parse((await control(`/jobs/${accepted.id}`)).text) as { finished?: string; status: string };
          if (job.finished) {
            if (job.status !== 'succeeded') throw new Error(`ingest job ${accepted.id}: ${job.status}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    })();
    const during = PHASES.has('ingest') ? await run('/search', searchBodies, searchBody, 60_000, ingest.then(() => undefined, () => undefined)) : skipped;
    await ingest;
    const ingestSeconds = (performance.now() - t) / 1000;
    polling = false;
    await poller;
    const after = JSON.parse((await control(`/collections/${name}`)).text).documents as number;
    phase = 'done';
    rss.push({ phase, bytes: rssOf(child.pid!) });

    const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
    const byPhase = (p: string) => rss.filter((r) => r.phase === p).map((r) => r.bytes);
    const rssLine = (p: string) => {
      const values = byPhase(p);
      if (values.length === 0) return 'n/a';
      // flat = the RSS of the phase's last third is not above that of its second third (after warm-up)
      const third = Math.max(1, Math.floor(values.length / 3));
      const middle = Math.max(...values.slice(third, 2 * third));
      const last = Math.max(...values.slice(values.length - third));
      return `${mb(Math.min(...values))}–${mb(Math.max(...values))} MB (${values.length} samples; peak of the 2nd third ${mb(middle)} MB, of the last third ${mb(last)} MB: ${last <= middle * 1.05 ? 'flat' : '**growing**'})`;
    };
    const row = (label: string, r: LoadResult, target: string) => `| ${label} | ${r.requests.toLocaleString('en-US')} | ${r.errors} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${target} |`;
    const report = `# ralm serve under load

Run on ${new Date().toISOString().slice(0, 10)} with \`npx vite-node bench/server.ts\` (RALM_BENCH_SECONDS=${seconds}); loopback only; the
server in its own Node process, the load generator ${useWrk ? `(wrk ${wrkVersion()}, 1 thread, ${CLIENTS} keep-alive connections issuing requests back to back, bodies cycled through the query set)` : `(Node http.Agent keep-alive, ${CLIENTS} concurrent clients issuing requests back to back; wrk was not available)`}
in another, after a ${WARM_UP_MS / 1000} s warm-up (half /search, half /ask) that is not measured. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
The client and the server share these cores, so the server gets less than the whole machine.

Collection: ${corpus.description.split(';')[0]} → **${base.length.toLocaleString('en-US')} documents** served (built and optimized in ${buildSeconds.toFixed(1)} s
outside the server); queries: ${queries.length.toLocaleString('en-US')} ${wordnet ? 'NFCorpus + FiQA query texts' : 'SciFact test queries'}, cycled.

| phase | requests | errors | req/s | p50 ms | p99 ms | max ms | target |
|---|---:|---:|---:|---:|---:|---:|---|
${row('POST /search (BM25, k=10)', search, '≥ 500 req/s, p99 < 50 ms')}
${row('POST /ask (extractive, stream:false)', ask, '≥ 100 req/s')}
${row(`POST /search during a ${INGEST_DOCS.toLocaleString('en-US')}-document ingest`, during, 'p99 < 200 ms')}

Ingest through the API: ${INGEST_DOCS.toLocaleString('en-US')} documents in ${INGEST_DOCS / INGEST_BATCH} jobs of ${INGEST_BATCH.toLocaleString('en-US')} (JSON uploads, each one commit), ${ingestSeconds.toFixed(1)} s
under the search load (${(INGEST_DOCS / ingestSeconds).toFixed(0)} documents/s). Documents before/after: ${before.toLocaleString('en-US')} → ${after.toLocaleString('en-US')}.
Consistency: the search side's document count, polled every 50 ms, took only the values
${[...counts].sort((a, b) => a - b).map((c) => c.toLocaleString('en-US')).join(', ')} — ${inconsistent === 0 ? 'always a whole number of committed jobs (no partial commit was ever visible)' : `**${inconsistent} samples showed a partial commit**`}.

Server RSS (sampled every second): search ${rssLine('search')}; ask ${rssLine('ask')}; search + ingest ${rssLine('search + ingest')}; at the end ${mb(rss.at(-1)!.bytes)} MB.
`;
    if (FULL_RUN) writeFileSync(join(repo, 'bench', 'results', 'server.md'), report);
    console.log(report);
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
