#!/usr/bin/env python3
"""Xapian peer for bench/bm25-peers.ts: one corpus, the same protocol as bench/runner.ts.

Input is the analyzed term lists the Node side wrote (one JSON object per line: {"id", "terms"}), so Xapian
indexes exactly the terms every other engine sees and the comparison isolates the engine. Reading that input
is timed separately from indexing. The database is on disk (glass backend, in the work folder) and index time
ends with commit(). Queries are OP_OR of their terms, top 100, weighted with
BM25Weight(k1, k2=0, k3=1, b, min_normlen); the time to build each xapian.Query is inside the search time,
query analysis is not (it was done by the Node side).

Usage: xapian_peer.py --docs docs.jsonl --queries queries.jsonl --work DIR --out result.json
                      --corpus NAME [--k1 0.9] [--b 0.4] [--min-normlen 0] [--keep-run]
"""
import argparse
import collections
import gc
import json
import os
import resource
import sys
import time

import xapian

K = 100
PASSES = 3
MAX_TERM_BYTES = 245  # Xapian's limit on a term's length in the glass backend


def rss_mb():
    gc.collect()
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return 0.0


def read_jsonl(path):
    with open(path, encoding='utf8') as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--docs', required=True)
    parser.add_argument('--queries', required=True)
    parser.add_argument('--work', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--corpus', required=True)
    parser.add_argument('--k1', type=float, default=0.9)
    parser.add_argument('--b', type=float, default=0.4)
    parser.add_argument('--min-normlen', type=float, default=0.0)
    parser.add_argument('--keep-run', action='store_true')
    args = parser.parse_args()

    start = time.perf_counter()
    docs = read_jsonl(args.docs)
    queries = read_jsonl(args.queries)
    load_ms = (time.perf_counter() - start) * 1000
    rss_after_load = rss_mb()

    ids = [d['id'] for d in docs]
    path = os.path.join(args.work, 'xapian.glass')
    skipped_terms = 0
    print(f'  Xapian: indexing {len(docs)} documents', file=sys.stderr)
    start = time.perf_counter()
    db = xapian.WritableDatabase(path, xapian.DB_CREATE_OR_OVERWRITE)
    for d in docs:
        doc = xapian.Document()
        for term, wdf in collections.Counter(d['terms']).items():
            if 0 < len(term.encode('utf8')) <= MAX_TERM_BYTES:
                doc.add_term(term, wdf)
            else:
                skipped_terms += 1
        # Document ids are assigned 1, 2, … in order; the docid maps back to ids[] without a stored-data lookup.
        db.add_document(doc)
    db.commit()
    index_ms = (time.perf_counter() - start) * 1000
    del docs
    rss_after_index = rss_mb()
    print(f'  Xapian: index {index_ms / 1000:.2f} s; searching {len(queries)} queries x (1 warm-up + {PASSES})', file=sys.stderr)

    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BM25Weight(args.k1, 0, 1, args.b, args.min_normlen))
    query_terms = [[t for t in q['terms'] if 0 < len(t.encode('utf8')) <= MAX_TERM_BYTES] for q in queries]

    def one_pass(keep=None):
        empty = 0
        begin = time.perf_counter()
        for q, terms in zip(queries, query_terms):
            if terms:
                enquire.set_query(xapian.Query(xapian.Query.OP_OR, terms))
                mset = enquire.get_mset(0, K)
                hits = [(ids[m.docid - 1], m.weight) for m in mset]
            else:
                hits = []
            if not hits:
                empty += 1
            if keep is not None:
                keep[q['id']] = hits
        return (time.perf_counter() - begin) * 1000, empty

    warmup_ms, empty = one_pass()
    kept = {} if args.keep_run else None
    passes = [one_pass(kept if i == PASSES - 1 else None)[0] for i in range(PASSES)]
    db.close()

    result = {
        'engine': 'xapian',
        'corpus': args.corpus,
        'name': 'Xapian',
        'version': f'{xapian.version_string()} (python3-xapian, Python {sys.version.split()[0]})',
        'notes': [
            f'BM25Weight(k1={args.k1}, k2=0, k3=1, b={args.b}, min_normlen={args.min_normlen}) '
            '(min_normlen 0: no clamping of short documents, as in classic BM25; Xapian\'s default is 0.5)',
            'fed the analyzer\'s term lists (wdf = count, no positions) from a JSONL written by the Node side; '
            'reading it is reported apart from index time',
            'on disk (glass backend in a temp folder), index time ends with commit(); '
            'query: OP_OR of the analyzed terms, get_mset(0, 100); query analysis is not in its search time',
        ],
        'analyzer': '(term lists from the Node side)',
        'docs': len(ids),
        'queries': len(queries),
        'loadMs': load_ms,
        'rssAfterLoadMB': rss_after_load,
        'indexMs': index_ms,
        'rssAfterIndexMB': rss_after_index,
        'warmupMs': warmup_ms,
        'passesMs': passes,
        'qps': len(queries) / (min(passes) / 1000),
        'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'emptyQueries': empty,
        'extra': {'skippedTerms': skipped_terms, 'database': 'on disk (glass)'},
    }
    if kept is not None:
        result['run'] = {qid: [[doc_id, weight] for doc_id, weight in hits] for qid, hits in kept.items()}
    with open(args.out, 'w', encoding='utf8') as handle:
        json.dump(result, handle)
    print(f"  Xapian: {result['qps']:.0f} QPS, peak RSS {result['maxRssMB']:.0f} MB", file=sys.stderr)


if __name__ == '__main__':
    main()
