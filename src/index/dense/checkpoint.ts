/**
 * The HNSW checkpoint of a collection, laid out so that opening it costs next to nothing: two files,
 *
 *   dense.hnsw                      envelope `ralm.dense.checkpoint` v1 (magic, name, version, length, CRC-32): a JSON
 *                                   header (HNSW options, key count, the change sequence covered, attributes, and the
 *                                   graph file's name, length and CRC-32) and the keys (f64)
 *   dense.hnsw.<seq>-<random>.graph usearch's own graph file, never rewritten in place
 *
 * The graph file is memory-mapped (usearch `view`) rather than read: a reader's open checks its length and CRC-32 (one
 * pass over the page cache) and maps it. A new checkpoint writes a new graph file, then replaces the envelope
 * atomically (temporary file + rename), then removes graph files no envelope names; so a crash at any moment leaves
 * either the old or the new checkpoint, and a reader that still maps an old graph keeps its pages (POSIX unlink).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from '../../core/crc32.js';
import { RalmError } from '../../core/errors.js';
import { decodeEnvelope, encodeEnvelope } from '../../core/format.js';
import type { VectorMetric } from './distance.js';
import { readWholeFile, writeFileAtomic } from './files.js';
import { HnswVectorIndex, type HnswScalarKind } from './hnsw.js';
import type { VectorCheckpointAttributes } from './types.js';
import { asFloat64, checkSeq, float64Bytes, readSections, writeSections } from './validate.js';

/** Envelope format name of a collection's HNSW checkpoint. */
export const HNSW_CHECKPOINT_FORMAT = 'ralm.dense.checkpoint';
/** Envelope version written by this build. */
export const HNSW_CHECKPOINT_FORMAT_VERSION = 1;

/** What a checkpoint's header records. */
interface CheckpointHeader {
  metric: VectorMetric;
  dimensions: number;
  scalar: HnswScalarKind;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  count: number;
  seq: number;
  attributes: VectorCheckpointAttributes;
  graph: { file: string; length: number; crc32: number } | null;
}

/** CRC-32 and length of a file, read in 4 MiB pieces. */
function fileChecksum(path: string): { length: number; crc32: number } {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(4 << 20);
    let crc = 0;
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, length);
      if (read === 0) break;
      crc = crc32(buffer.subarray(0, read), crc);
      length += read;
    }
    return { length, crc32: crc };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `index` as the checkpoint `path` (see the module comment), recording the change sequence `seq` it covers and
 * `attributes`; removes graph files of earlier checkpoints.
 *
 * @example
 * ```ts
 * await writeHnswCheckpoint('my-index/dense.hnsw', index, { seq: 12, attributes: { embedder: 'lsa' } });
 * ```
 */
export async function writeHnswCheckpoint(path: string, index: HnswVectorIndex, options: { seq: number; attributes?: VectorCheckpointAttributes }): Promise<void> {
  checkSeq(options.seq);
  let graph: CheckpointHeader['graph'] = null;
  if (index.size > 0) {
    const file = `${basename(path)}.${options.seq}-${randomBytes(4).toString('hex')}.graph`;
    const graphPath = join(dirname(path), file);
    index.writeGraphFile(graphPath);
    graph = { file, ...fileChecksum(graphPath) };
  }
  const keys = Float64Array.from(index.allKeys()).sort();
  const header: CheckpointHeader = {
    metric: index.metric,
    dimensions: index.dimensions,
    scalar: index.scalar,
    connectivity: index.connectivity,
    expansionAdd: index.expansionAdd,
    expansionSearch: index.expansionSearch,
    count: keys.length,
    seq: options.seq,
    attributes: options.attributes ?? {},
    graph,
  };
  await writeFileAtomic(path, encodeEnvelope({ format: HNSW_CHECKPOINT_FORMAT, version: HNSW_CHECKPOINT_FORMAT_VERSION }, writeSections(header, [float64Bytes(keys)])));
  removeUnreferencedGraphs(path, graph?.file ?? null);
}

/** Reads and checks the envelope of a checkpoint: its header and keys. */
async function readEnvelope(path: string): Promise<{ header: CheckpointHeader; keys: Float64Array }> {
  const bytes = await readWholeFile(path);
  const { payload } = decodeEnvelope(bytes, { format: HNSW_CHECKPOINT_FORMAT, versions: [HNSW_CHECKPOINT_FORMAT_VERSION], source: path });
  const { header, sections } = readSections(payload, path);
  const stored = header as unknown as CheckpointHeader;
  if (sections.length !== 1 || sections[0]!.length !== stored.count * 8 || (stored.count > 0) !== (stored.graph !== null)) {
    throw new RalmError('FORMAT', `${path}: malformed checkpoint (${stored.count} keys, ${sections[0]?.length ?? 0} key bytes, graph ${stored.graph ? 'present' : 'absent'})`, { file: path });
  }
  return { header: stored, keys: asFloat64(sections[0]!) };
}

/** Checks a checkpoint's graph file against the length and CRC-32 its envelope records; returns its path. */
function checkGraph(path: string, graph: NonNullable<CheckpointHeader['graph']>): string {
  const graphPath = join(dirname(path), graph.file);
  let actual: { length: number; crc32: number };
  try {
    actual = fileChecksum(graphPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RalmError('NOT_FOUND', `${path}: its graph file ${graph.file} is missing`, { file: graphPath, cause: error });
    throw new RalmError('IO', `cannot read ${graphPath}: ${(error as Error).message}`, { file: graphPath, cause: error });
  }
  if (actual.length !== graph.length) {
    throw new RalmError('CHECKSUM', `${graphPath}: truncated or padded: the checkpoint records ${graph.length} bytes, found ${actual.length}`, { file: graphPath });
  }
  if (actual.crc32 !== graph.crc32) {
    throw new RalmError(
      'CHECKSUM',
      `${graphPath}: checksum mismatch (recorded ${graph.crc32.toString(16).padStart(8, '0')}, computed ${actual.crc32.toString(16).padStart(8, '0')}); the file is corrupt`,
      { file: graphPath },
    );
  }
  return graphPath;
}

/**
 * Opens a checkpoint written by {@link writeHnswCheckpoint}: the envelope is checked (format, version, CRC-32), then the
 * graph file's length and CRC-32, then the graph is memory-mapped (`view`, the default: read-only, see
 * `HnswVectorIndex.immutable`) or loaded. A graph file removed by a concurrent writer between reading the envelope and
 * opening it is retried once with the new envelope.
 *
 * @example
 * ```ts
 * const { index, seq, attributes } = await readHnswCheckpoint('my-index/dense.hnsw');
 * ```
 */
export async function readHnswCheckpoint(
  path: string,
  options: { mode?: 'view' | 'load'; expansionSearch?: number } = {},
): Promise<{ index: HnswVectorIndex; seq: number; attributes: VectorCheckpointAttributes }> {
  for (let attempt = 0; ; attempt++) {
    const { header, keys } = await readEnvelope(path);
    const hnswOptions = {
      metric: header.metric,
      dimensions: header.dimensions,
      scalar: header.scalar,
      connectivity: header.connectivity,
      expansionAdd: header.expansionAdd,
      expansionSearch: options.expansionSearch ?? header.expansionSearch,
    };
    try {
      const index =
        header.graph === null ? await HnswVectorIndex.create(hnswOptions) : await HnswVectorIndex.openGraphFile(checkGraph(path, header.graph), hnswOptions, keys, options.mode ?? 'view');
      return { index, seq: header.seq, attributes: header.attributes ?? {} };
    } catch (error) {
      if (attempt === 0 && RalmError.is(error) && error.code === 'NOT_FOUND') continue;
      throw error;
    }
  }
}

/**
 * Checks a checkpoint without opening the graph (no usearch needed): the envelope, the graph file's length and CRC-32.
 * Returns what it records. For verification.
 *
 * @example
 * ```ts
 * const { seq, attributes, count } = await inspectHnswCheckpoint('my-index/dense.hnsw');
 * ```
 */
export async function inspectHnswCheckpoint(path: string): Promise<{ seq: number; count: number; dimensions: number; metric: VectorMetric; attributes: VectorCheckpointAttributes }> {
  const { header } = await readEnvelope(path);
  if (header.graph) checkGraph(path, header.graph);
  return { seq: header.seq, count: header.count, dimensions: header.dimensions, metric: header.metric, attributes: header.attributes ?? {} };
}

/**
 * Removes the graph files beside checkpoint `path` other than `keep` (and temporary files a killed writer left).
 * Best effort: a file in use elsewhere may stay.
 *
 * @example
 * ```ts
 * removeUnreferencedGraphs('my-index/dense.hnsw', 'dense.hnsw.12-a1b2c3d4.graph');
 * ```
 */
export function removeUnreferencedGraphs(path: string, keep: string | null): void {
  const folder = dirname(path);
  const prefix = `${basename(path)}.`;
  let names: string[] = [];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || name === keep || !(name.endsWith('.graph') || name.endsWith('.tmp'))) continue;
    try {
      rmSync(join(folder, name), { force: true });
    } catch {
      // in use (Windows) or already gone
    }
  }
}

/**
 * The graph file the checkpoint `path` names, or null (no checkpoint, an empty one, or an unreadable envelope).
 *
 * @example
 * ```ts
 * removeUnreferencedGraphs(path, await referencedGraph(path));
 * ```
 */
export async function referencedGraph(path: string): Promise<string | null> {
  try {
    statSync(path);
    return (await readEnvelope(path)).header.graph?.file ?? null;
  } catch {
    return null;
  }
}
