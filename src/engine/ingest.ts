/**
 * Incremental ingestion: index files, folders, URLs and stdin into a collection in one atomic commit.
 * Unchanged files (same size and modification time as recorded) are not even read; changed files
 * replace their documents (ids they no longer produce are deleted); with `sync`, documents of files that
 * vanished from the folders given are deleted. A file that cannot be read keeps its committed documents.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RalmError } from '../core/errors.js';
import { loadPaths, type LoadEvent, type LoadOptions, type LoadProblem } from '../ingest/files.js';
import type { Collection, CommitResult } from './collection.js';

export interface IndexPathsOptions {
  /** Delete documents of files that vanished from the folders given (default false). */
  sync?: boolean;
  /** Stop at the first problem and commit nothing (default false: skip bad inputs, index the rest). */
  strict?: boolean;
  /** Options of the loaders and the folder walk (excludes, limits, .gitignore, network). */
  load?: LoadOptions;
  /** Called for every problem (one line: file, line, reason). */
  onProblem?: (problem: LoadProblem) => void;
  /** Called after every document (progress). */
  onProgress?: (documentsRead: number) => void;
}

export interface IndexPathsReport extends CommitResult {
  /** Documents read from changed or new files. */
  read: number;
  /** Files not read because they were unchanged. */
  unchangedFiles: number;
  /** Files whose documents were deleted because they vanished (with `sync`). */
  vanishedFiles: number;
  problems: number;
  /** Files of unsupported types skipped inside folders. */
  skippedFiles: number;
}

/**
 * Loads each path with ids relative to the current folder when the path is inside it (so `docs/README.md`
 * and `README.md` stay distinct), else relative to the path's own folder.
 */
async function* loadAll(paths: readonly string[], options: LoadOptions): AsyncGenerator<LoadEvent> {
  const cwd = process.cwd();
  for (const path of paths) {
    const inside = path !== '-' && !/^https?:\/\//i.test(path) && !relative(cwd, resolve(path)).startsWith('..') && !isAbsolute(relative(cwd, resolve(path)));
    yield* loadPaths([path], options.base === undefined && inside ? { ...options, base: cwd } : options);
  }
}

interface FileState {
  key: string;
  size: number;
  mtimeMs: number;
  ids: string[];
  problems: number;
}

/**
 * Indexes `paths` into `collection` and commits once.
 * @example const report = await indexPaths(collection, ['docs/'], { sync: true });
 */
export async function indexPaths(collection: Collection, paths: readonly string[], options: IndexPathsOptions = {}): Promise<IndexPathsReport> {
  const seen = new Set<string>();
  let read = 0;
  let unchangedFiles = 0;
  let problems = 0;
  let skippedFiles = 0;
  let current: FileState | null = null;

  const finishFile = (file: FileState | null) => {
    if (!file) return;
    seen.add(file.key);
    if (file.problems > 0) return; // keep the committed documents and state; the file is read again next time
    const previous = collection.sourceState(file.key);
    if (previous) {
      const now = new Set(file.ids);
      const gone = previous.ids.filter((id) => !now.has(id));
      if (gone.length > 0) collection.delete(gone);
    }
    collection.recordSource(file.key, { size: file.size, mtimeMs: file.mtimeMs }, file.ids);
  };

  try {
    for await (const event of loadAll(paths, {
      ...options.load,
      unchanged: (file, state) => {
        const recorded = collection.sourceState(resolve(file));
        return recorded !== undefined && recorded.size === state.size && recorded.mtimeMs === state.mtimeMs;
      },
    })) {
      switch (event.kind) {
        case 'file':
          finishFile(current);
          current = { key: resolve(event.file), size: event.size, mtimeMs: event.mtimeMs, ids: [], problems: 0 };
          break;
        case 'unchanged':
          seen.add(resolve(event.file));
          unchangedFiles++;
          break;
        case 'document':
          collection.add(event.document);
          if (current && resolve(event.file) === current.key) current.ids.push(event.document.id);
          read++;
          options.onProgress?.(read);
          break;
        case 'problem': {
          problems++;
          options.onProblem?.(event.problem);
          const key = resolve(event.problem.file);
          if (current && key === current.key) current.problems++;
          else seen.add(key); // a file that could not be read at all keeps its documents
          if (options.strict) {
            throw new RalmError('PARSE', 'stopped at the first bad input (--strict); nothing was committed, the collection is unchanged', {
              file: event.problem.file,
              line: event.problem.line,
            });
          }
          break;
        }
        case 'skipped':
          skippedFiles++;
          break;
      }
    }
    finishFile(current);
    current = null;

    let vanishedFiles = 0;
    if (options.sync) {
      for (const path of paths) {
        if (path === '-' || /^https?:\/\//i.test(path)) continue;
        let isFolder = false;
        try {
          isFolder = statSync(path).isDirectory();
        } catch {
          continue; // a path that vanished entirely is not a folder we can sync against
        }
        if (!isFolder) continue;
        for (const key of collection.sourcesUnder(resolve(path) + sep)) {
          if (seen.has(key)) continue;
          const state = collection.sourceState(key);
          if (state && state.ids.length > 0) collection.delete(state.ids);
          collection.forgetSource(key);
          vanishedFiles++;
        }
      }
    }
    const result = await collection.commit();
    return { ...result, read, unchangedFiles, vanishedFiles, problems, skippedFiles };
  } catch (error) {
    collection.rollback();
    throw error;
  }
}
