/**
 * `verifyCollection`: checks a whole collection folder without changing it — the database's own
 * integrity, its tables and indexes against its version's schema, the format and version of every persisted structure, every checksum, and that the index
 * covers every committed document.
 */
import { RalmError } from '../core/errors.js';
import { DocumentStore } from '../store/index.js';
import { decodeSegment } from '../index/sparse/index.js';
import { inspectHnswCheckpoint } from '../index/dense/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HNSW_CHECKPOINT_FILE, type DenseSettings } from './dense.js';

export interface VerifyReport {
  path: string;
  ok: boolean;
  /** One line per problem, each naming the file or row. */
  problems: string[];
  checked: { database: string; artifacts: number; documents: number; indexedChunks: number; lastSeq: number; indexCheckpoint: number };
}

/**
 * Verifies the collection in `path`.
 * @example const report = await verifyCollection('my-index'); if (!report.ok) console.error(report.problems.join('\n'));
 */
export async function verifyCollection(path: string): Promise<VerifyReport> {
  const problems: string[] = [];
  const store = DocumentStore.open(path, { readOnly: true });
  try {
    store.beginSnapshot();
    for (const p of store.integrityCheck()) problems.push(`${store.file}: SQLite integrity check: ${p}`);
    problems.push(...store.schemaProblems());
    const live = new Set<number>();
    for (const [chunkno] of store.liveChunks()) live.add(chunkno);
    const covered = new Set<number>();
    const artifacts = store.artifacts('sparse.segment');
    for (const artifact of artifacts) {
      const source = `${store.file}: artifact ${artifact.kind}/${artifact.name}`;
      try {
        const segment = decodeSegment(artifact.bytes, source);
        for (const key of segment.docKeys) {
          if (covered.has(key) && live.has(key)) problems.push(`${source}: chunk ${key} is indexed twice`);
          covered.add(key);
        }
      } catch (error) {
        problems.push(RalmError.is(error) ? error.message : `${source}: ${(error as Error).message}`);
      }
    }
    for (const [chunkno, canonical] of store.liveDuplicateLinks()) {
      if (!live.has(canonical)) problems.push(`${store.file}: chunk ${chunkno} is stored as a near-duplicate of chunk ${canonical}, which is not a live indexed chunk`);
    }
    const lastSeq = store.lastSeq();
    await verifyDense(store, live, lastSeq, problems);
    const checkpoint = Number(store.getMeta('sparse.checkpoint') ?? 0);
    let missing = 0;
    for (const key of live) if (!covered.has(key)) missing++;
    if (missing > 0) {
      const note = checkpoint < lastSeq ? ` (index checkpoint ${checkpoint} < last commit ${lastSeq}: they are replayed when the collection is opened for writing)` : '';
      problems.push(`${store.file}: ${missing} committed chunk(s) are not in the sparse index${note}`);
    }
    return {
      path: store.folder,
      ok: problems.length === 0,
      problems,
      checked: { database: store.file, artifacts: artifacts.length, documents: store.liveDocumentCount(), indexedChunks: covered.size, lastSeq, indexCheckpoint: checkpoint },
    };
  } finally {
    store.close();
  }
}

/**
 * The dense side: every live chunk has one vector of the recorded dimension, finite (and non-zero for a model
 * embedder), no vector of a chunk that is gone; the HNSW checkpoint, when present, is intact and belongs to this
 * collection, its embedder and a change it has seen.
 */
async function verifyDense(store: DocumentStore, live: ReadonlySet<number>, lastSeq: number, problems: string[]): Promise<void> {
  const dense = JSON.parse(store.getMeta('dense') ?? 'false') as DenseSettings | false;
  if (!dense) return;
  const db = store.database();
  const lsa = dense.embedder === 'lsa';
  let dimensions = lsa ? 0 : dense.dimensions;
  const withVector = new Set<number>();
  let bad = 0;
  let stale = 0;
  for (const [chunkno, blob] of db.prepare('SELECT chunkno, vector FROM vectors').raw().iterate() as IterableIterator<[number, Buffer]>) {
    withVector.add(chunkno);
    if (!live.has(chunkno)) stale++;
    if (dimensions === 0) dimensions = blob.byteLength / 4;
    if (blob.byteLength !== dimensions * 4) {
      if (bad++ < 3) problems.push(`${store.file}: the vector of chunk ${chunkno} has ${blob.byteLength / 4} components; the collection's vectors have ${dimensions}`);
      continue;
    }
    const vector = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
    let zero = true;
    let finite = true;
    for (let i = 0; i < vector.length; i++) {
      if (!Number.isFinite(vector[i]!)) finite = false;
      if (vector[i] !== 0) zero = false;
    }
    if (!finite || (zero && !lsa)) {
      if (bad++ < 3) problems.push(`${store.file}: the vector of chunk ${chunkno} is ${finite ? 'all zeros' : 'not finite (NaN or infinite components)'}`);
    }
  }
  if (bad > 3) problems.push(`${store.file}: ${bad - 3} more invalid vector(s)`);
  if (stale > 0) problems.push(`${store.file}: ${stale} vector(s) belong to chunks that are no longer live`);
  const embedded = lsa ? store.artifacts('lsa.model').length > 0 : dense.dimensions > 0;
  let missing = 0;
  for (const key of live) if (!withVector.has(key)) missing++;
  if (missing > 0 && (embedded || !lsa)) {
    problems.push(`${store.file}: ${missing} committed chunk(s) have no dense vector (embedder "${dense.embedder}")${lsa ? '' : '; they are embedded at the next commit'}`);
  }
  const path = join(store.folder, HNSW_CHECKPOINT_FILE);
  if (!existsSync(path)) return;
  try {
    const { seq, attributes, dimensions: stored } = await inspectHnswCheckpoint(path);
    const collection = store.getMeta('collection_id') ?? store.getMeta('created_at') ?? '';
    const where = `${path}: the HNSW checkpoint`;
    if (attributes.collection !== collection) problems.push(`${where} belongs to another collection (id ${JSON.stringify(attributes.collection)}, this one's is ${JSON.stringify(collection)})`);
    if (attributes.embedder !== dense.embedder) problems.push(`${where} holds vectors of embedder ${JSON.stringify(attributes.embedder)}; the collection's is "${dense.embedder}"`);
    if (dimensions > 0 && stored !== dimensions) problems.push(`${where} holds ${stored}-dimensional vectors; the collection's have ${dimensions}`);
    if (seq > lastSeq) problems.push(`${where} covers change ${seq}, after the collection's last commit ${lastSeq}`);
    if (lsa && attributes.lsaModel !== (store.artifacts('lsa.model')[0]?.name ?? '')) problems.push(`${where} was built with LSA model ${JSON.stringify(attributes.lsaModel)}, not the collection's current one`);
  } catch (error) {
    problems.push(`${RalmError.is(error) ? error.message : `${path}: ${(error as Error).message}`} (a writer rebuilds it from the vectors table when it opens the collection)`);
  }
}
