/**
 * `verifyCollection`: checks a whole collection folder without changing it — the database's own
 * integrity, the format and version of every persisted structure, every checksum, and that the index
 * covers every committed document.
 */
import { RalmError } from '../core/errors.js';
import { DocumentStore } from '../store/index.js';
import { decodeSegment } from '../index/sparse/index.js';

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
