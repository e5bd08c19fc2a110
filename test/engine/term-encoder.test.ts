// The term tables of a parallel ingest: a worker numbers terms in its table while preparing documents, each answer
// carries the terms numbered since the previous one, and the writer's decoder rebuilds the same table. A table that
// grew past its limit starts again only between tasks, so no answer mixes ids of two tables.
import { describe, expect, it } from 'vitest';
import { TermDecoder, TermEncoder, type TaskEvent } from '../../src/engine/ingest-task.js';
import type { TermTable } from '../../src/analysis/index.js';

/** A prepared-document event whose terms are `terms`, numbered in `table` (as `prepareNormalized` does). */
function prepared(id: string, table: TermTable, terms: string[]): TaskEvent {
  const ids = Uint32Array.from(terms, (term) => table.idOf(term));
  return {
    kind: 'prepared',
    file: `${id}.txt`,
    prepared: { id, title: '', text: terms.join(' '), metadata: {}, hash: id, chunks: [{ ordinal: 0, start: 0, end: 1 }], terms: [], encodedTerms: { table: table.terms, ids, lengths: Uint32Array.of(ids.length) } },
  };
}

/** The terms the decoder sees for a decoded prepared event. */
function termsOf(event: TaskEvent): string[] {
  if (event.kind !== 'prepared') throw new Error('not a prepared document');
  const encoded = event.prepared.encodedTerms!;
  return [...encoded.ids].map((id) => encoded.table[id]!);
}

/** Sends an answer through structured cloning, as postMessage does. */
function send(answer: ReturnType<TermEncoder['encode']>): ReturnType<TermEncoder['encode']> {
  return structuredClone(answer, { transfer: answer.transfer });
}

describe('TermEncoder / TermDecoder', () => {
  it('rebuild the worker\'s terms on the writer\'s side, each term sent once, tasks answering out of order', () => {
    const encoder = new TermEncoder();
    const decoder = new TermDecoder();
    const tableA = encoder.begin();
    const a = prepared('a', tableA, ['cat', 'dog', 'cat']);
    const tableB = encoder.begin(); // a second task while the first runs: same table
    expect(tableB).toBe(tableA);
    const b = prepared('b', tableB, ['dog', 'emu']);
    const answerB = send(encoder.encode([b]));
    expect(answerB.terms).toEqual(['cat', 'dog', 'emu']); // every term numbered so far, also the running task's
    expect(answerB.reset).toBe(false);
    const answerA = send(encoder.encode([a]));
    expect(answerA.terms).toEqual([]);
    // the table itself never crosses: only ids and the new terms
    expect((answerA.events[0] as Extract<TaskEvent, { kind: 'prepared' }>).prepared.encodedTerms).toBeUndefined();
    expect(termsOf(decoder.decode(answerB.events, answerB.terms, answerB.reset)[0]!)).toEqual(['dog', 'emu']);
    expect(termsOf(decoder.decode(answerA.events, answerA.terms, answerA.reset)[0]!)).toEqual(['cat', 'dog', 'cat']);
  });

  it('starts a new table past its limit only when no task runs, and the decoder follows', () => {
    const encoder = new TermEncoder(2);
    const decoder = new TermDecoder();
    const first = encoder.begin();
    const a = prepared('a', first, ['one', 'two', 'three']); // over the limit
    expect(encoder.begin()).toBe(first); // a task is running: no reset yet
    const b = prepared('b', first, ['four']);
    const answers = [send(encoder.encode([a])), send(encoder.encode([b]))];
    const second = encoder.begin(); // nothing runs now: a new table
    expect(second).not.toBe(first);
    const c = prepared('c', second, ['five', 'one']);
    const answerC = send(encoder.encode([c]));
    expect(answerC.reset).toBe(true);
    expect(answerC.terms).toEqual(['five', 'one']);
    answers.push(answerC);
    const decoded = answers.map((answer) => termsOf(decoder.decode(answer.events, answer.terms, answer.reset)[0]!));
    expect(decoded).toEqual([['one', 'two', 'three'], ['four'], ['five', 'one']]);
    // a failed task ends too: the next begin may start again
    const third = encoder.begin();
    prepared('d', third, []);
    encoder.failed();
    expect(encoder.begin()).toBe(third); // (within the limit: same table)
  });
});
