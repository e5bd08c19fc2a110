/**
 * Parallel analysis: many texts analyzed in worker threads while the calling thread does other work (such as
 * storing the documents), the results handed back in input order as term ids of the caller's vocabulary — the
 * same terms `analyzer.analyze(text)` gives on the calling thread (as a bag: what an inverted index needs), so an
 * index built from them is identical.
 *
 * The calling thread never yields to the event loop, so a synchronous API (`Collection.add`) can use it: it
 * reads replies with `receiveMessageOnPort` and blocks with `Atomics.wait` on a counter the workers bump after
 * each reply. It analyzes queued batches itself while the workers are behind, and a batch whose worker stays
 * silent (stopped, or starved of CPU), so a job always finishes, with or without the workers' help.
 */
import { availableParallelism, loadavg } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { RalmError } from '../core/errors.js';
import { compiledWorkerScript } from '../core/worker-script.js';
import { getAnalyzer } from './registry.js';
import { hasTermIds, type Analyzer, type TermVocabulary } from './types.js';
import type { AnalysisReply, AnalysisRequest, AnalysisWorkerData } from './parallel-worker.js';

/** `AnalysisRequest.claim` values (as in parallel-worker.ts, which is not imported here: it is the worker's entry point). */
const UNCLAIMED = 0;
const CLAIMED_BY_CALLER = 2;

/** Options of {@link ParallelAnalysis.start}. */
export interface ParallelAnalysisOptions {
  /** The analyzer; it must be a registered one (`getAnalyzer(analyzer.name) === analyzer`), which workers load by name. */
  analyzer: Analyzer;
  /** Where the term ids go: looked up at each hand-over, so it may be replaced between `drain()` calls. */
  vocabulary: () => TermVocabulary;
  /**
   * Receive the terms of each pushed text, in push order, as ids (views of buffers reused by the next call), through one
   * of two callbacks: `consume` is given the text's terms in order (a batch the calling thread analyzed),
   * `consumeCounts` ids with counts (a worker's reply): the text has term `ids[i]` `freqs[i]` times, and an id may
   * appear more than once (two worker terms finished into one), its counts adding up. Either way the same bag of terms
   * as `analyzer.analyze(text)`. (Two callbacks, not one with a null: each call site then sees one kind of call, which
   * V8 optimizes once.)
   */
  consume: (ids: Int32Array) => void;
  consumeCounts: (ids: Int32Array, freqs: Int32Array) => void;
  /** Worker threads (default {@link defaultAnalysisWorkers}, which depends on the load); 0: `start` returns null. */
  workers?: number;
  /** A batch sent to a worker closes at this many texts (default 512)… */
  batchTexts?: number;
  /**
   * …or this many UTF-16 units of text (default 32,768). Smaller batches even out the end of a job, when the calling
   * thread and the workers finish the last ones: a SciFact add() + commit (5k abstracts, 1.5k characters each) took
   * 806 ms with 32,768 and 873 ms with 65,536 (medians of 12 interleaved fresh processes; the calling thread's wait at
   * the end 21–29 ms instead of 38–43 ms); WordNet's short glosses, whose batches close at 512 texts, the same.
   */
  batchCharacters?: number;
  /**
   * Workers run the first stage of the analyzer (`analyzer.parallelStages`, when it has them) and the calling thread
   * finishes each distinct term they hand back (default false; the result is the same). It takes work off the workers
   * and puts some on the calling thread: for `english` the Porter stemming (and its JIT compilation, which each
   * thread pays) moves to the calling thread, once per distinct term and worker.
   */
  split?: boolean;
}

/**
 * Worker threads used by default: one per core beyond the calling thread's (at most 3), none when the 1-minute load
 * average reaches the cores plus one. On a saturated machine a worker competes with the calling thread for the same
 * cores and costs CPU of its own (thread start, module load, a second JIT warm-up): measured on 2 cores shared with
 * other work (load 3–8), an add() of 5k SciFact abstracts or 117k WordNet glosses took 10–60% longer with one worker
 * than without. Below that it pays: at load 1.7–1.9 (much of it the caller's own work a minute before) an add() +
 * commit of the 117k WordNet glosses took 2.3–3.0 s with one worker and 2.9–3.7 s without (interleaved runs).
 *
 * @example
 * ```ts
 * defaultAnalysisWorkers(); // 1 on a 2-core machine at load < 3, 0 on a busier one or a 1-core one
 * ```
 */
export function defaultAnalysisWorkers(): number {
  const cores = availableParallelism();
  if (loadavg()[0]! >= cores + 1) return 0;
  return Math.max(0, Math.min(3, cores - 1));
}

/**
 * Batches a worker may hold (sent, not answered) before the next one waits. Batches are sent when the calling thread
 * closes one, so the worker must hold enough to stay busy while the calling thread analyzes a batch it took itself
 * or stores documents: with 2 it sat idle a quarter of a SciFact add() (5k abstracts, the calling thread taking
 * batches too); with 8, add() + commit took 766–827 ms instead of 833–896 ms (4 interleaved rounds), WordNet the same
 * within noise (median paired difference −0.05 s over 5 rounds).
 */
const MAX_IN_FLIGHT = 8;
/** Batches per worker queued (not sent) beyond which `push` analyzes some on the calling thread. */
const MAX_QUEUED_PER_WORKER = 16;
/** A batch a worker has not answered after this long is analyzed on the calling thread. */
const RESCUE_AFTER_MS = 2_000;
const QUEUED = 0;
const SENT = 1;
const DONE = 2;
/** `Batch.source` of ids computed on the calling thread, in `Batch.vocabulary`. */
const HERE = -1;

interface Batch {
  texts: string[];
  state: number;
  /** Worker index, or HERE. */
  source: number;
  ids: Int32Array | null;
  /** Null: `ids` are the terms in order (analyzed here); else the counts of the distinct `ids` (a worker's reply). */
  freqs: Int32Array | null;
  ends: Int32Array | null;
  vocabulary: TermVocabulary | null;
  sentAt: number;
  /** Shared with the worker it was sent to (see `AnalysisRequest.claim`). */
  claim: Int32Array | null;
}

interface PoolWorker {
  worker: Worker;
  port: MessagePort;
  inFlight: number;
  failed: boolean;
}

/** The process's analysis workers, started by the first job that needs them; unref'd (they never keep the process alive). */
class WorkerPool {
  readonly workers: PoolWorker[] = [];
  readonly signal = new Int32Array(new SharedArrayBuffer(4));
  busy = false;
  private nextJob = 1;

  constructor(private readonly script: URL) {}

  /** Makes `count` live workers available (replacing failed ones); returns them. */
  take(count: number): PoolWorker[] {
    for (let index = 0; index < this.workers.length; index++) {
      if (this.workers[index]!.failed) this.workers[index] = this.spawn();
    }
    while (this.workers.length < count) this.workers.push(this.spawn());
    return this.workers.slice(0, count);
  }

  jobNumber(): number {
    return this.nextJob++;
  }

  private spawn(): PoolWorker {
    const { port1, port2 } = new MessageChannel();
    const data: AnalysisWorkerData = { port: port2, signal: this.signal };
    const worker = new Worker(this.script, { workerData: data, transferList: [port2] });
    const entry: PoolWorker = { worker, port: port1, inFlight: 0, failed: false };
    const fail = (): void => {
      entry.failed = true;
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    worker.unref();
    port1.unref();
    return entry;
  }
}

let pool: WorkerPool | null | undefined;

function sharedPool(): WorkerPool | null {
  if (pool === undefined) {
    const script = compiledWorkerScript(import.meta.url, 'parallel-worker.js');
    pool = script ? new WorkerPool(script) : null;
  }
  return pool;
}

/**
 * One parallel analysis job: `push` texts (batches go to the workers as they fill), then `drain` to have every
 * pushed text's ids handed to `consume`, in push order. Results that are back are handed over during `push` too.
 * Only one job runs at a time in a thread; `close` ends it.
 *
 * @example
 * ```ts
 * const writer = new SegmentWriter();
 * const keys: number[] = [];
 * let next = 0;
 * const job = ParallelAnalysis.start({
 *   analyzer: englishAnalyzer,
 *   vocabulary: () => writer,
 *   consume: (ids) => writer.addIds(keys[next++], ids),
 *   consumeCounts: (ids, freqs) => writer.addCounts(keys[next++], ids, freqs),
 * });
 * if (job) {
 *   texts.forEach((text, i) => { keys.push(i); job.push(text); });
 *   job.drain();
 *   job.close();
 * }
 * ```
 */
export class ParallelAnalysis {
  private readonly analyzer: Analyzer;
  /** The analyzer the workers run, by name, and what turns their terms into `analyzer`'s (null: they are the same). */
  private readonly workerAnalyzer: string;
  private readonly finishTerm: ((term: string) => string) | null;
  private readonly vocabulary: () => TermVocabulary;
  private readonly consume: (ids: Int32Array) => void;
  private readonly consumeCounts: (ids: Int32Array, freqs: Int32Array) => void;
  private readonly batchTexts: number;
  private readonly batchCharacters: number;
  private readonly pool: WorkerPool;
  private readonly workers: PoolWorker[];
  private readonly job: number;
  private readonly batches: Array<Batch | null> = [];
  private current: string[] = [];
  private currentCharacters = 0;
  private pendingTexts = 0;
  /** First batch not yet handed over / not yet sent (batches are sent in order; the calling thread takes from the end). */
  private nextApply = 0;
  private nextSend = 0;
  private seen = 0;
  /** Per worker: its terms by its ids (what its replies reported so far). */
  private readonly workerTerms: string[][];
  /** Per worker: its ids mapped to ids of `mappedVocabulary` (-1: not looked up yet). */
  private readonly maps: Int32Array[];
  private mappedVocabulary: TermVocabulary | null = null;
  private scratch = new Int32Array(16); // grows with the first texts (see INITIAL_TERMS in writer.ts)
  private failure: string | null = null;
  private closed = false;

  private constructor(options: ParallelAnalysisOptions, pool: WorkerPool, workers: number) {
    this.analyzer = options.analyzer;
    const stages = options.split ? options.analyzer.parallelStages : undefined;
    this.workerAnalyzer = stages?.worker ?? options.analyzer.name;
    this.finishTerm = stages?.finish ?? null;
    this.vocabulary = options.vocabulary;
    this.consume = options.consume;
    this.consumeCounts = options.consumeCounts;
    this.batchTexts = options.batchTexts ?? 512;
    this.batchCharacters = options.batchCharacters ?? 32_768;
    this.pool = pool;
    pool.busy = true;
    this.workers = pool.take(workers);
    this.job = pool.jobNumber();
    this.workerTerms = this.workers.map(() => []);
    this.maps = this.workers.map(() => new Int32Array(0));
    this.seen = Atomics.load(pool.signal, 0);
  }

  /**
   * Starts a job, or returns null when analysis cannot run in parallel here: `workers` is 0, the analyzer is not a
   * registered one, the compiled worker script is missing (running from TypeScript sources without a build), or
   * another job of this thread is running.
   */
  static start(options: ParallelAnalysisOptions): ParallelAnalysis | null {
    const workers = options.workers ?? defaultAnalysisWorkers();
    if (!Number.isInteger(workers) || workers < 0) throw new RalmError('INVALID_ARGUMENT', `workers must be an integer ≥ 0, got ${workers}`);
    if (workers === 0) return null;
    let registered: Analyzer | undefined;
    try {
      registered = getAnalyzer(options.analyzer.name);
    } catch {
      registered = undefined;
    }
    if (registered !== options.analyzer) return null;
    const shared = sharedPool();
    if (shared === null || shared.busy) return null;
    return new ParallelAnalysis(options, shared, workers);
  }

  /** Queues one text; its ids reach `consume` in push order, at the latest during `drain()`. */
  push(text: string): void {
    this.assertOpen();
    this.current.push(text);
    this.currentCharacters += text.length;
    this.pendingTexts++;
    if (this.current.length >= this.batchTexts || this.currentCharacters >= this.batchCharacters) {
      this.closeBatch();
      this.collect();
      this.send();
      // the queue far ahead of the workers (they may be starved of CPU): the calling thread takes the newest batch
      // itself. Below that it leaves the analysis to them and goes on with its own work; drain() shares the rest.
      if (this.batches.length - Math.max(this.nextSend, this.nextApply) > MAX_QUEUED_PER_WORKER * this.workers.length) {
        const queued = this.lastQueued();
        if (queued >= 0) {
          this.analyzeHere(this.batches[queued]!);
          this.collect();
        }
      }
    }
  }

  /** Texts pushed whose ids have not been handed to `consume` yet. */
  get pending(): number {
    return this.pendingTexts;
  }

  /** Blocks until the ids of every pushed text have been handed to `consume`, in push order. */
  drain(): void {
    this.assertOpen();
    if (this.current.length > 0) this.closeBatch();
    let waitingSince = performance.now();
    while (this.nextApply < this.batches.length) {
      const applied = this.nextApply;
      this.collect();
      this.send();
      if (this.nextApply < this.batches.length) {
        const open = this.lastOpen();
        const next = this.batches[this.nextApply]!;
        if (open >= 0) this.analyzeHere(this.batches[open]!);
        else if (performance.now() - Math.max(next.sentAt, waitingSince) > RESCUE_AFTER_MS) this.analyzeHere(next);
        else Atomics.wait(this.pool.signal, 0, this.seen, 50);
        this.collect();
      }
      if (this.nextApply !== applied) waitingSince = performance.now();
    }
  }

  /** Ends the job; batches still with the workers are ignored when they come back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.busy = false;
  }

  private assertOpen(): void {
    if (this.closed) throw new RalmError('CLOSED', 'ParallelAnalysis used after close()');
    if (this.failure !== null) throw new RalmError('INVALID_ARGUMENT', `analysis failed in a worker thread: ${this.failure}`);
  }

  private closeBatch(): void {
    this.batches.push({ texts: this.current, state: QUEUED, source: HERE, ids: null, freqs: null, ends: null, vocabulary: null, sentAt: 0, claim: null });
    this.current = [];
    this.currentCharacters = 0;
  }

  /** Index of the newest batch not sent to a worker, or -1. */
  private lastQueued(): number {
    for (let index = this.batches.length - 1; index >= Math.max(this.nextSend, this.nextApply); index--) {
      if (this.batches[index]!.state === QUEUED) return index;
    }
    return -1;
  }

  /**
   * Index of the newest batch nobody analyzes yet — queued, or sent to a worker that has not started it (claimed
   * here for the calling thread, so the worker will skip it) — or -1.
   */
  private lastOpen(): number {
    for (let index = this.batches.length - 1; index >= this.nextApply; index--) {
      const batch = this.batches[index]!;
      if (batch.state === QUEUED) return index;
      if (batch.state === SENT && Atomics.compareExchange(batch.claim!, 0, UNCLAIMED, CLAIMED_BY_CALLER) === UNCLAIMED) return index;
    }
    return -1;
  }

  /** Sends queued batches, oldest first, to workers with room. */
  private send(): void {
    if (this.nextSend < this.nextApply) this.nextSend = this.nextApply; // handed over already (analyzed here)
    while (this.nextSend < this.batches.length) {
      const batch = this.batches[this.nextSend]!;
      if (batch.state !== QUEUED) {
        this.nextSend++;
        continue;
      }
      let target = -1;
      for (let index = 0; index < this.workers.length; index++) {
        const worker = this.workers[index]!;
        if (!worker.failed && worker.inFlight < MAX_IN_FLIGHT && (target < 0 || worker.inFlight < this.workers[target]!.inFlight)) target = index;
      }
      if (target < 0) return;
      const worker = this.workers[target]!;
      const lengths = new Int32Array(batch.texts.length);
      for (let index = 0; index < lengths.length; index++) lengths[index] = batch.texts[index]!.length;
      batch.claim = new Int32Array(new SharedArrayBuffer(4));
      const request: AnalysisRequest = { job: this.job, batch: this.nextSend, analyzer: this.workerAnalyzer, joined: batch.texts.join(''), lengths, claim: batch.claim };
      worker.worker.postMessage(request);
      worker.inFlight++;
      batch.state = SENT;
      batch.source = target;
      batch.sentAt = performance.now();
      this.nextSend++;
    }
  }

  /** Reads every reply that has arrived, then hands over the finished batches at the front. */
  private collect(): void {
    const signal = Atomics.load(this.pool.signal, 0);
    if (signal !== this.seen) {
      this.seen = signal;
      for (let index = 0; index < this.workers.length; index++) {
        const worker = this.workers[index]!;
        for (let message = receiveMessageOnPort(worker.port); message !== undefined; message = receiveMessageOnPort(worker.port)) {
          worker.inFlight--;
          this.receive(index, message.message as AnalysisReply);
        }
      }
    }
    if (this.failure !== null) throw new RalmError('INVALID_ARGUMENT', `analysis failed in a worker thread: ${this.failure}`);
    while (this.nextApply < this.batches.length && this.batches[this.nextApply]!.state === DONE) {
      const batch = this.batches[this.nextApply]!;
      this.handOver(batch);
      this.pendingTexts -= batch.texts.length;
      this.batches[this.nextApply] = null;
      this.nextApply++;
    }
  }

  private receive(worker: number, reply: AnalysisReply): void {
    if (reply.job !== this.job) return; // an earlier job's batch
    if ('error' in reply) {
      this.failure ??= reply.error;
      return;
    }
    if ('skipped' in reply) return; // taken by the calling thread
    const terms = this.workerTerms[worker]!;
    for (const term of reply.newTerms) terms.push(term);
    const batch = this.batches[reply.batch];
    if (!batch || batch.state === DONE) return; // already analyzed here (rescued)
    batch.state = DONE;
    batch.source = worker;
    batch.ids = reply.ids;
    batch.freqs = reply.freqs;
    batch.ends = reply.ends;
  }

  /** Analyzes a batch on the calling thread, straight into the current vocabulary. */
  private analyzeHere(batch: Batch): void {
    const vocabulary = this.vocabulary();
    const analyzer = this.analyzer;
    const ends = new Int32Array(batch.texts.length);
    let ids = new Int32Array(1024);
    let length = 0;
    for (let text = 0; text < batch.texts.length; text++) {
      const termIds = hasTermIds(analyzer)
        ? analyzer.analyzeToIds(batch.texts[text]!, vocabulary)
        : Int32Array.from(analyzer.analyze(batch.texts[text]!), (term) => vocabulary.idOf(term));
      if (length + termIds.length > ids.length) {
        const grown = new Int32Array(Math.max(length + termIds.length, ids.length * 2));
        grown.set(ids.subarray(0, length));
        ids = grown;
      }
      ids.set(termIds, length);
      length += termIds.length;
      ends[text] = length;
    }
    batch.state = DONE;
    batch.source = HERE;
    batch.ids = ids;
    batch.freqs = null;
    batch.ends = ends;
    batch.vocabulary = vocabulary;
  }

  /** Hands the ids of a finished batch's texts to `consume` or `consumeCounts`, mapped to the current vocabulary. */
  private handOver(batch: Batch): void {
    if (batch.source === HERE) this.handOverHere(batch);
    else this.handOverReply(batch);
  }

  /** {@link handOver} of a batch analyzed on this thread (again, when the vocabulary was replaced since). */
  private handOverHere(batch: Batch): void {
    if (batch.vocabulary !== this.vocabulary()) this.analyzeHere(batch);
    const ids = batch.ids!;
    const ends = batch.ends!;
    let start = 0;
    for (let text = 0; text < ends.length; text++) {
      this.consume(ids.subarray(start, ends[text]));
      start = ends[text]!;
    }
  }

  /** {@link handOver} of a worker's reply: its ids mapped to the current vocabulary (its new terms finished first). */
  private handOverReply(batch: Batch): void {
    const vocabulary = this.vocabulary();
    const ids = batch.ids!;
    const freqs = batch.freqs!;
    const ends = batch.ends!;
    if (this.mappedVocabulary !== vocabulary) {
      this.mappedVocabulary = vocabulary;
      for (let index = 0; index < this.maps.length; index++) this.maps[index] = new Int32Array(0);
    }
    const terms = this.workerTerms[batch.source]!;
    const finishTerm = this.finishTerm;
    let map = this.maps[batch.source]!;
    if (map.length < terms.length) {
      const grown = new Int32Array(Math.max(terms.length, map.length * 2)).fill(-1);
      grown.set(map);
      this.maps[batch.source] = map = grown;
    }
    let start = 0;
    for (let text = 0; text < ends.length; text++) {
      const end = ends[text]!;
      if (this.scratch.length < end - start) this.scratch = new Int32Array(Math.max(end - start, this.scratch.length * 2));
      const out = this.scratch;
      for (let position = start; position < end; position++) {
        const workerId = ids[position]!;
        let id = map[workerId]!;
        if (id < 0) map[workerId] = id = vocabulary.idOf(finishTerm === null ? terms[workerId]! : finishTerm(terms[workerId]!));
        out[position - start] = id;
      }
      this.consumeCounts(out.subarray(0, end - start), freqs.subarray(start, end));
      start = end;
    }
  }

}
