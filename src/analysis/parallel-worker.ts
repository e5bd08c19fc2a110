/**
 * Entry point of an analysis worker thread (see `parallel.ts`). It answers batches of texts, in arrival order, on
 * the port it was given: the distinct term ids of each text, with their frequencies, in a vocabulary of its own (kept
 * for one job, started afresh when the job number changes), plus the terms that vocabulary gained with the batch, so
 * the caller can map the ids to its own. After each reply it bumps the shared counter and wakes the caller, which may be blocked in
 * `Atomics.wait`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { getWorkerAnalyzer } from './registry.js';
import { hasTermIds, TermTable } from './types.js';

/**
 * A batch of texts to analyze with the analyzer `analyzer` (see `getWorkerAnalyzer`), as part of job `job`: the texts joined into
 * one string (one copy to send instead of one per text), text `i` being `lengths[i]` UTF-16 units long.
 */
export interface AnalysisRequest {
  job: number;
  batch: number;
  analyzer: string;
  joined: string;
  lengths: Int32Array;
  /**
   * Who analyzes the batch, over a `SharedArrayBuffer`: 0 nobody yet, 1 the worker, 2 the calling thread (which may
   * take a batch it sent while the worker is busy with an earlier one). Claimed with `Atomics.compareExchange`.
   */
  claim: Int32Array;
}

/** `AnalysisRequest.claim` values. */
const UNCLAIMED = 0;
const CLAIMED_BY_WORKER = 1;
// 2: claimed by the calling thread (see parallel.ts)

/**
 * The answer to one batch: `ids` holds the distinct term ids of every text (in order of first occurrence), text `i`
 * ending at `ends[i]`, and `freqs` how often each occurs in its text; `newTerms` are the terms given ids by this batch,
 * in id order (the vocabulary of a job only grows). Distinct ids with counts are what the index needs, and fewer
 * items for the calling thread to map than the terms in order (SciFact: 0.51M postings for 0.9M terms).
 */
export type AnalysisReply =
  | { job: number; batch: number; ids: Int32Array; freqs: Int32Array; ends: Int32Array; newTerms: string[] }
  | { job: number; batch: number; skipped: true }
  | { job: number; batch: number; error: string };

/** What the worker is started with. */
export interface AnalysisWorkerData {
  port: MessagePort;
  /** `Int32Array` over a `SharedArrayBuffer`; element 0 counts replies. */
  signal: Int32Array;
}

const { port, signal } = workerData as AnalysisWorkerData;
let job = -1;
/** The vocabulary of the current job: ids in order of first use. */
let vocabulary = new TermTable();
let buffer = new Int32Array(1 << 16);
let freqBuffer = new Int32Array(1 << 16);
/** Per term id of the job's vocabulary: the text (see `textNumber`) it was last seen in, and its slot in `buffer` there. */
let seenIn = new Int32Array(16); // grows with the first text (see INITIAL_TERMS in writer.ts)
let seenAt = new Int32Array(16);
/** Numbers the texts analyzed by this thread (never reset, so `seenIn` needs no clearing between texts or jobs). */
let textNumber = 0;

function analyzeBatch(request: AnalysisRequest): AnalysisReply {
  if (request.job !== job) {
    job = request.job;
    vocabulary = new TermTable();
  }
  const analyzer = getWorkerAnalyzer(request.analyzer);
  const known = vocabulary.terms.length;
  const { joined, lengths } = request;
  const ends = new Int32Array(lengths.length);
  let length = 0;
  let start = 0;
  for (let index = 0; index < lengths.length; index++) {
    const value = joined.slice(start, start + lengths[index]!);
    start += lengths[index]!;
    let ids: ArrayLike<number>;
    if (hasTermIds(analyzer)) ids = analyzer.analyzeToIds(value, vocabulary);
    else ids = analyzer.analyze(value).map((term) => vocabulary.idOf(term));
    if (length + ids.length > buffer.length) {
      const capacity = Math.max(length + ids.length, buffer.length * 2);
      const grown = new Int32Array(capacity);
      grown.set(buffer.subarray(0, length));
      buffer = grown;
      const grownFreqs = new Int32Array(capacity);
      grownFreqs.set(freqBuffer.subarray(0, length));
      freqBuffer = grownFreqs;
    }
    const terms = vocabulary.terms.length;
    if (seenIn.length < terms) {
      const capacity = Math.max(terms, seenIn.length * 2);
      const grownIn = new Int32Array(capacity);
      grownIn.set(seenIn);
      seenIn = grownIn;
      seenAt = new Int32Array(capacity); // only read where seenIn matches the current text
    }
    const current = ++textNumber;
    for (let position = 0; position < ids.length; position++) {
      const id = ids[position]!;
      if (seenIn[id] === current) {
        freqBuffer[seenAt[id]!]!++;
      } else {
        seenIn[id] = current;
        seenAt[id] = length;
        buffer[length] = id;
        freqBuffer[length] = 1;
        length++;
      }
    }
    ends[index] = length;
  }
  return { job: request.job, batch: request.batch, ids: buffer.slice(0, length), freqs: freqBuffer.slice(0, length), ends, newTerms: vocabulary.terms.slice(known) };
}

parentPort!.on('message', (request: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    // the calling thread may have taken the batch meanwhile: then it is not analyzed here
    if (Atomics.compareExchange(request.claim, 0, UNCLAIMED, CLAIMED_BY_WORKER) !== UNCLAIMED) reply = { job: request.job, batch: request.batch, skipped: true };
    else reply = analyzeBatch(request);
  } catch (error) {
    reply = { job: request.job, batch: request.batch, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, 'ids' in reply ? [reply.ids.buffer as ArrayBuffer, reply.freqs.buffer as ArrayBuffer, reply.ends.buffer as ArrayBuffer] : []);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
