/**
 * Turns paths into documents: files (every format a loader in `loaders/` reads; `.gz` looked through), folders
 * (walked safely: hidden folders, `node_modules`, `.gitignore`d and `exclude`d paths skipped; symlinks followed only
 * inside the folder and never twice), http(s) URLs (pages and sitemaps, with SSRF protection) and `-` (JSON Lines on
 * standard input). Problems (a corrupt PDF, a binary `.txt`, a file over the size limit, a gzip bomb, a symlink loop,
 * a malformed line) are reported as one-line events, never thrown, so one bad input does not stop the rest.
 */
import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { DocumentInput, Metadata } from '../core/types.js';
import { chooseLoader, extensionOf, isBinaryExtension, LOADER_EXTENSIONS, loaderForExtension } from './loaders/index.js';
import { parseRecordLine } from './loaders/records.js';
import { reasonOf, LoadError, type LoadedDocument, type LoaderOptions, type LoadProblemCode, type Section } from './loaders/types.js';
import { loadUrl, type UrlLoadOptions } from './loaders/url.js';

export { recordToDocument } from './loaders/records.js';

/**
 * Extensions `loadPaths` reads (each also with `.gz`), plus files without an extension (sniffed).
 *
 * @example
 * ```ts
 * SUPPORTED_EXTENSIONS.includes('.pdf'); // true
 * ```
 */
export const SUPPORTED_EXTENSIONS: readonly string[] = LOADER_EXTENSIONS;

/**
 * A problem with one input: the file or URL (and line), a one-line reason and a code.
 *
 * @example
 * ```ts
 * const problem: LoadProblem = { file: 'docs/scan.pdf', reason: 'encrypted PDF (password required)', code: 'ENCRYPTED' };
 * ```
 */
export interface LoadProblem {
  file: string;
  line?: number;
  reason: string;
  code: LoadProblemCode;
}

/**
 * A document as `loadPaths` yields it: a `DocumentInput` plus its structure (heading, page and code sections,
 * character offsets into `text`), when the format has any.
 *
 * @example
 * ```ts
 * const document: IngestedDocument = { id: 'guide.md', title: 'Guide', text: '# Guide', metadata: {}, sections: [{ kind: 'heading', start: 0, end: 7, level: 1, title: 'Guide' }] };
 * ```
 */
export interface IngestedDocument extends DocumentInput {
  sections?: Section[];
}

/**
 * One event of {@link loadPaths}: a document, a problem, or a skipped file (an unsupported type in a folder).
 *
 * @example
 * ```ts
 * const event: LoadEvent = { kind: 'skipped', file: 'docs/photo.png', reason: 'unsupported file type ".png"' };
 * ```
 */
export type LoadEvent =
  | { kind: 'document'; document: IngestedDocument; file: string }
  /** A file was read (its documents follow): its size and modification time, for incremental sync. */
  | { kind: 'file'; file: string; size: number; mtimeMs: number }
  /** A file that `unchanged` reported as unchanged: not read at all. */
  | { kind: 'unchanged'; file: string }
  | { kind: 'problem'; problem: LoadProblem }
  | { kind: 'skipped'; file: string; reason: string }
  /** With `deferParsing`: a file's bytes, read but not parsed; {@link parseFile} turns them into the file's events. */
  | { kind: 'parse'; file: string; task: ParseTask };

/**
 * A file read but not parsed yet (see `LoadOptions.deferParsing`): its bytes and what its documents are named after.
 * Plain data (the bytes can be transferred to a worker thread).
 *
 * @example
 * ```ts
 * const task: ParseTask = { bytes: new TextEncoder().encode('# Hi'), display: 'docs/hi.md', id: 'hi.md', explicit: false };
 * ```
 */
export interface ParseTask {
  bytes: Uint8Array;
  /** The path as given or found, for messages and metadata. */
  display: string;
  /** The document id (before any `#suffix`). */
  id: string;
  /** Named on the command line (an unsupported type is a problem) rather than found in a folder (skipped). */
  explicit: boolean;
}

/**
 * What {@link parseFile} needs of {@link LoadOptions} (plain data, for a worker thread).
 *
 * @example
 * ```ts
 * const options: ParseOptions = { maxDecompressedBytes: 1 << 30, prefixRecordIds: false, loaderOptions: {} };
 * ```
 */
export interface ParseOptions {
  maxDecompressedBytes?: number;
  prefixRecordIds?: boolean;
  loaderOptions?: LoaderOptions;
}

/**
 * Options of {@link loadPaths}; see {@link LOAD_DEFAULTS} for the defaults.
 *
 * @example
 * ```ts
 * const options: LoadOptions = { exclude: ['**\/*.log', 'build/**'], maxFileBytes: 20_000_000, loaderOptions: { csv: { textColumns: ['abstract'] } } };
 * ```
 */
export interface LoadOptions {
  /** Ids are paths relative to this folder (default: the folder given, or a file's own folder); paths outside it are refused. */
  base?: string;
  /** Standard input, used for the path `-` (JSON Lines). */
  stdin?: Readable;
  /** picomatch globs matched against paths relative to the folder walked; a pattern without `/` matches file names anywhere. */
  exclude?: readonly string[];
  /** Skip what `.gitignore` files (nested ones too) ignore (default true). */
  respectGitignore?: boolean;
  /** Files larger than this many bytes are problems, not read (default 100 MB). */
  maxFileBytes?: number;
  /** Largest decompressed size of a `.gz` file (default 1 GB; also never more than 100× the compressed size, 1 MB at least). */
  maxDecompressedBytes?: number;
  /** Follow symbolic links inside the folder walked (default true); links leading outside it or in a loop are problems. */
  followSymlinks?: boolean;
  /** Let URLs reach loopback and private networks (default false). */
  allowPrivateNetwork?: boolean;
  /** Limits and seams for http(s) URLs. */
  url?: Omit<UrlLoadOptions, 'allowPrivateNetwork' | 'loaderOptions'>;
  /** Options handed to every loader (CSV columns …). */
  loaderOptions?: LoaderOptions;
  /** Give JSON/JSONL records the id `<file>#<record id>` instead of their own id (default false). */
  prefixRecordIds?: boolean;
  /** Called just before a file is opened (progress reporting; tests use it to delete a file mid-walk). */
  beforeRead?: (file: string) => void | Promise<void>;
  /**
   * Called with a file's size and modification time before it is read; returning true skips it with an
   * `unchanged` event (incremental sync: unchanged files cost a stat, nothing more).
   */
  unchanged?: (file: string, state: { size: number; mtimeMs: number }) => boolean;
  /**
   * Read files but do not parse them: after a file's `file` event comes a `parse` event with its bytes, and the
   * caller runs {@link parseFile} (e.g. on a worker thread) for the events that would have followed (default false).
   */
  deferParsing?: boolean;
}

/**
 * The defaults of {@link LoadOptions}.
 *
 * @example
 * ```ts
 * LOAD_DEFAULTS.maxFileBytes; // 104857600
 * ```
 */
export const LOAD_DEFAULTS = {
  respectGitignore: true,
  maxFileBytes: 100 * 1024 * 1024,
  maxDecompressedBytes: 1024 * 1024 * 1024,
  /** A `.gz` file may expand to at most this many times its size … */
  maxCompressionRatio: 100,
  /** … but small files may always expand to this many bytes. */
  minDecompressedBytes: 1024 * 1024,
  followSymlinks: true,
  allowPrivateNetwork: false,
  prefixRecordIds: false,
} as const;

interface Settings {
  exclude: ((path: string) => boolean) | undefined;
  respectGitignore: boolean;
  maxFileBytes: number;
  maxDecompressedBytes: number;
  followSymlinks: boolean;
  prefixRecordIds: boolean;
  loaderOptions: LoaderOptions;
  beforeRead: LoadOptions['beforeRead'];
  unchanged: LoadOptions['unchanged'];
  deferParsing: boolean;
}

function settingsOf(options: LoadOptions): Settings {
  const patterns = options.exclude ?? [];
  const withSlash = patterns.filter((p) => p.includes('/'));
  const withoutSlash = patterns.filter((p) => !p.includes('/'));
  const matchers = [
    ...(withSlash.length ? [picomatch(withSlash, { dot: true })] : []),
    ...(withoutSlash.length ? [picomatch(withoutSlash, { dot: true, basename: true })] : []),
  ];
  return {
    exclude: matchers.length ? (path) => matchers.some((m) => m(path)) : undefined,
    respectGitignore: options.respectGitignore ?? LOAD_DEFAULTS.respectGitignore,
    maxFileBytes: options.maxFileBytes ?? LOAD_DEFAULTS.maxFileBytes,
    maxDecompressedBytes: options.maxDecompressedBytes ?? LOAD_DEFAULTS.maxDecompressedBytes,
    followSymlinks: options.followSymlinks ?? LOAD_DEFAULTS.followSymlinks,
    prefixRecordIds: options.prefixRecordIds ?? LOAD_DEFAULTS.prefixRecordIds,
    loaderOptions: options.loaderOptions ?? {},
    beforeRead: options.beforeRead,
    unchanged: options.unchanged,
    deferParsing: options.deferParsing ?? false,
  };
}

function problem(file: string, reason: string, code: LoadProblemCode, line?: number): LoadEvent {
  return { kind: 'problem', problem: line === undefined ? { file, reason, code } : { file, line, reason, code } };
}

function unsupported(path: string): string {
  const extension = extname(path.replace(/\.gz$/i, '')) || basename(path);
  return `unsupported file type "${extension}" (supported: ${SUPPORTED_EXTENSIONS.join(' ')}, their .gz, files without an extension)`;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
/** A file name as text: invalid UTF-8 bytes become U+FFFD, so ids and messages stay printable. */
function printable(name: Buffer): string {
  return utf8.decode(name);
}

const SEPARATOR = Buffer.from(sep);
function child(folder: Buffer, name: Buffer): Buffer {
  return Buffer.concat([folder, SEPARATOR, name]);
}
/** A lossless string key for a byte path. */
function key(path: Buffer): string {
  return path.toString('latin1');
}
function isInside(path: Buffer, folder: Buffer): boolean {
  const p = key(path);
  const f = key(folder);
  return p === f || p.startsWith(f.endsWith(sep) ? f : f + sep);
}

/**
 * Loads documents from files, folders, http(s) URLs and `-` (JSON Lines on standard input). Never throws for a bad
 * input: each problem is one event naming the file (and line) and the reason. Ids are paths relative to the folder
 * given (POSIX separators), with `#<suffix>` for the rows of a CSV file; JSON/JSONL records keep their own ids.
 *
 * @example
 * ```ts
 * for await (const event of loadPaths(['docs/', 'extra.jsonl', 'https://example.org/sitemap.xml'], { exclude: ['drafts/**'] })) {
 *   if (event.kind === 'document') collection.add(event.document);
 *   else if (event.kind === 'problem') console.error(`${event.problem.file}: ${event.problem.reason}`);
 * }
 * ```
 */
export async function* loadPaths(paths: readonly string[], options: LoadOptions = {}): AsyncGenerator<LoadEvent> {
  const settings = settingsOf(options);
  for (const path of paths) {
    if (path === '-') {
      yield* loadJsonlStream(options.stdin ?? process.stdin, '<stdin>');
      continue;
    }
    if (/^https?:\/\//i.test(path)) {
      yield* loadUrlEvents(path, options, settings);
      continue;
    }
    if (options.base !== undefined) {
      const inside = relative(resolve(options.base), resolve(path));
      if (inside.startsWith('..') || isAbsolute(inside)) {
        yield problem(path, `path escapes the folder "${options.base}"`, 'SECURITY');
        continue;
      }
    }
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') yield problem(path, 'symlink loop', 'SECURITY');
      else if (code === 'ENOENT' || code === 'ENOTDIR') yield problem(path, 'no such file or folder', 'NOT_FOUND');
      else yield problem(path, `cannot read: ${reasonOf(error)}`, 'IO');
      continue;
    }
    if (info.isDirectory()) {
      yield* walkFolder(path, options.base ?? path, settings);
    } else {
      const loader = loaderForExtension(path) ?? (isBinaryExtension(path) ? undefined : 'sniff');
      if (loader === undefined) {
        yield problem(path, unsupported(path), 'UNSUPPORTED');
        continue;
      }
      let real: Buffer;
      try {
        real = await realpath(Buffer.from(path), { encoding: 'buffer' });
      } catch (error) {
        yield problem(path, `cannot read: ${reasonOf(error)}`, 'IO');
        continue;
      }
      yield* loadFile({ path: real, display: path, id: idOf(options.base ?? dirname(path), path), explicit: true }, settings);
    }
  }
}

function idOf(base: string, display: string): string {
  const id = relative(resolve(base), resolve(display)) || basename(display);
  return sep === '/' ? id : id.split(sep).join('/');
}

interface IgnoreLevel {
  /** The folder of the .gitignore, relative to the walked folder ('' for the folder itself). */
  folder: string;
  rules: Ignore;
}

function ignoredByGit(levels: readonly IgnoreLevel[], relativePath: string, isFolder: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    if (level.folder !== '' && !relativePath.startsWith(`${level.folder}/`)) continue;
    const inner = level.folder === '' ? relativePath : relativePath.slice(level.folder.length + 1);
    let result;
    try {
      result = level.rules.test(isFolder ? `${inner}/` : inner);
    } catch {
      continue; // a name the ignore package cannot judge (it refuses some odd paths): not ignored by this level
    }
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

async function* walkFolder(folder: string, base: string, settings: Settings): AsyncGenerator<LoadEvent> {
  let root: Buffer;
  try {
    root = await realpath(Buffer.from(folder), { encoding: 'buffer' });
  } catch (error) {
    yield problem(folder, `cannot read folder: ${reasonOf(error)}`, 'IO');
    return;
  }
  const seenFolders = new Set<string>([key(root)]);
  const seenFiles = new Set<string>();

  async function* walk(dir: Buffer, dirReal: Buffer, dirRelative: string, levels: IgnoreLevel[]): AsyncGenerator<LoadEvent> {
    const dirDisplay = dirRelative === '' ? folder : `${folder.replace(/[\\/]+$/, '')}${sep}${dirRelative.split('/').join(sep)}`;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      yield problem(dirDisplay, code === 'ENOENT' ? 'folder disappeared while reading' : `cannot read folder: ${reasonOf(error)}`, 'IO');
      return;
    }
    if (settings.respectGitignore && entries.some((e) => e.name.equals(GITIGNORE) && !e.isDirectory())) {
      try {
        const rules = await readFile(child(dir, GITIGNORE), 'utf8');
        levels = [...levels, { folder: dirRelative, rules: ignore().add(rules) }];
      } catch (error) {
        yield problem(`${dirDisplay}${sep}.gitignore`, `cannot read: ${reasonOf(error)}`, 'IO');
      }
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    // First decide what each entry is (in name order), then load them in that order.
    const actions: WalkAction[] = [];
    for (const entry of entries) {
      const name = printable(entry.name);
      if (name.startsWith('.') || name === 'node_modules') continue;
      const relativePath = dirRelative === '' ? name : `${dirRelative}/${name}`;
      const display = `${dirDisplay.replace(/[\\/]+$/, '')}${sep}${name}`;
      const path = child(dir, entry.name);
      let real = child(dirReal, entry.name);
      let isFolder = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        if (!settings.followSymlinks) continue;
        try {
          real = await realpath(path, { encoding: 'buffer' });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') actions.push({ kind: 'event', event: problem(display, 'symlink loop', 'SECURITY') });
          else if (code === 'ENOENT') actions.push({ kind: 'event', event: problem(display, 'broken symlink (its target does not exist)', 'NOT_FOUND') });
          else actions.push({ kind: 'event', event: problem(display, `cannot follow symlink: ${reasonOf(error)}`, 'IO') });
          continue;
        }
        if (!isInside(real, root)) {
          actions.push({ kind: 'event', event: problem(display, `path escapes the folder "${folder}" (symlink to ${printable(real)})`, 'SECURITY') });
          continue;
        }
        let target;
        try {
          target = await stat(real);
        } catch (error) {
          actions.push({ kind: 'event', event: problem(display, `cannot follow symlink: ${reasonOf(error)}`, 'IO') });
          continue;
        }
        isFolder = target.isDirectory();
        isFile = target.isFile();
        if (isFolder && isInside(dirReal, real)) {
          actions.push({ kind: 'event', event: problem(display, `symlink loop (links back to ${printable(real)})`, 'SECURITY') });
          continue;
        }
      }
      if (!isFolder && !isFile) continue; // sockets, FIFOs, devices
      if (settings.exclude?.(relativePath) || (isFolder && settings.exclude?.(`${relativePath}/`))) continue;
      if (levels.length > 0 && ignoredByGit(levels, relativePath, isFolder)) continue;
      if (isFolder) {
        if (seenFolders.has(key(real))) continue; // reached before through another link
        seenFolders.add(key(real));
        actions.push({ kind: 'folder', real, relativePath });
        continue;
      }
      if (seenFiles.has(key(real))) continue;
      seenFiles.add(key(real));
      if (loaderForExtension(name) === undefined && isBinaryExtension(name)) {
        actions.push({ kind: 'event', event: { kind: 'skipped', file: display, reason: unsupported(name) } });
        continue;
      }
      actions.push({ kind: 'file', job: { path: real, display, id: idOf(base, display), explicit: false } });
    }
    for (const action of actions) {
      if (action.kind === 'event') yield action.event;
      else if (action.kind === 'folder') yield* walk(action.real, action.real, action.relativePath, levels);
      else yield* loadFile(action.job, settings);
    }
  }

  yield* walk(root, root, '', []);
}

const GITIGNORE = Buffer.from('.gitignore');
/**
 * Files up to this size are read with synchronous calls: for small files one open/fstat/read/close on the main thread
 * is about ten times faster than four thread-pool round trips, and takes microseconds. Larger files are read
 * asynchronously.
 */
const SYNC_READ_MAX_BYTES = 256 * 1024;

type WalkAction = { kind: 'event'; event: LoadEvent } | { kind: 'folder'; real: Buffer; relativePath: string } | { kind: 'file'; job: FileJob };
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

interface FileJob {
  /** The bytes of the path to open (the real path: no symlink left in it). */
  path: Buffer;
  /** The path as given or found, printable, for messages and metadata. */
  display: string;
  /** The document id (before any `#suffix`). */
  id: string;
  /** Named on the command line (an unsupported type is a problem) rather than found in a folder (skipped). */
  explicit: boolean;
}

type ReadResult = { bytes: Buffer; size: number; mtimeMs: number } | { event: LoadEvent };

async function* loadFile(job: FileJob, settings: Settings): AsyncGenerator<LoadEvent> {
  const { display } = job;
  const read = await readBytes(job, settings);
  if ('event' in read) {
    yield read.event;
    return;
  }
  yield { kind: 'file', file: display, size: read.size, mtimeMs: read.mtimeMs };
  const task: ParseTask = { bytes: read.bytes, display, id: job.id, explicit: job.explicit };
  if (settings.deferParsing) yield { kind: 'parse', file: display, task };
  else yield* await parseFile(task, settings);
}

/**
 * The events that follow a file's `file` event (problems, skipped, documents), from its bytes: looks through gzip,
 * picks the loader, loads. Never throws for a bad file: problems are events. Used by {@link loadPaths} and, with
 * `deferParsing`, by callers that parse elsewhere (the result is the same).
 *
 * @example
 * ```ts
 * const events = await parseFile({ bytes, display: 'docs/a.md', id: 'a.md', explicit: false }, {});
 * ```
 */
export async function parseFile(task: ParseTask, options: ParseOptions = {}): Promise<LoadEvent[]> {
  const { display } = task;
  const events: LoadEvent[] = [];
  const maxDecompressedBytes = options.maxDecompressedBytes ?? LOAD_DEFAULTS.maxDecompressedBytes;
  let bytes = task.bytes;
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    const byRatio = Math.max(LOAD_DEFAULTS.minDecompressedBytes, LOAD_DEFAULTS.maxCompressionRatio * bytes.length);
    const cap = Math.min(maxDecompressedBytes, byRatio);
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: cap });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        const why = cap === maxDecompressedBytes ? 'the limit (raise --max-decompressed-size)' : `${LOAD_DEFAULTS.maxCompressionRatio}× the compressed size`;
        events.push(problem(display, `gzip bomb? decompressed size exceeds ${cap} bytes, ${why}`, 'LIMIT'));
      } else events.push(problem(display, `corrupt gzip data: ${reasonOf(error)}`, 'PARSE'));
      return events;
    }
  }
  const name = display.replace(/\.gz$/i, '');
  const loader = chooseLoader(name, bytes.subarray(0, 8192));
  if (!loader) {
    if (task.explicit) events.push(problem(display, unsupported(display), 'UNSUPPORTED'));
    else events.push({ kind: 'skipped', file: display, reason: unsupported(display) });
    return events;
  }
  let documents: LoadedDocument[];
  try {
    documents = await loader.load(
      { bytes, path: display, onIssue: (issue) => events.push(problem(display, issue.reason, issue.code ?? 'PARSE', issue.line)) },
      options.loaderOptions ?? {},
    );
  } catch (error) {
    events.push(problem(display, reasonOf(error), error instanceof LoadError ? error.problemCode : 'PARSE', error instanceof LoadError ? error.line : undefined));
    return events;
  }
  const prefixRecordIds = options.prefixRecordIds ?? LOAD_DEFAULTS.prefixRecordIds;
  for (const loaded of documents) events.push({ kind: 'document', document: toDocument(loaded, task, loader.name, prefixRecordIds), file: display });
  return events;
}

function toDocument(loaded: LoadedDocument, job: ParseTask, type: string, prefixRecordIds: boolean): IngestedDocument {
  const ownId = loaded.id !== undefined && !prefixRecordIds;
  const id = ownId ? loaded.id! : loaded.idSuffix !== undefined ? `${job.id}#${loaded.idSuffix}` : job.id;
  // Records keep exactly their own metadata; files get their source and type.
  const metadata: Metadata = loaded.id !== undefined ? loaded.metadata : { source: job.display, type, ...loaded.metadata };
  const document: IngestedDocument = { id, title: loaded.title, text: loaded.text, metadata };
  if (loaded.sections.length > 0) document.sections = loaded.sections;
  return document;
}

/** Opens and reads a file, its size checked before anything is read. Never throws: failures are problem events. */
async function readBytes(job: FileJob, settings: Settings): Promise<ReadResult> {
  const { display } = job;
  const failed = (error: unknown): ReadResult => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { event: problem(display, 'file disappeared while reading', 'NOT_FOUND') };
    if (code === 'ELOOP') return { event: problem(display, 'file was replaced by a symlink while reading', 'SECURITY') };
    return { event: problem(display, `cannot read: ${reasonOf(error)}`, 'IO') };
  };
  let fd: number;
  try {
    await settings.beforeRead?.(display);
    fd = openSync(job.path, OPEN_FLAGS);
  } catch (error) {
    return failed(error);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { event: problem(display, 'not a regular file', 'UNSUPPORTED') };
    if (settings.unchanged?.(display, { size: info.size, mtimeMs: info.mtimeMs })) return { event: { kind: 'unchanged', file: display } };
    if (info.size > settings.maxFileBytes) {
      return { event: problem(display, `file is ${info.size} bytes, over the limit of ${settings.maxFileBytes} (raise --max-file-size)`, 'LIMIT') };
    }
    const bytes = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const count = bytes.length - filled;
      const bytesRead = info.size <= SYNC_READ_MAX_BYTES ? readSync(fd, bytes, filled, count, filled) : await readAsync(fd, bytes, filled, count, filled);
      if (bytesRead === 0) break; // truncated while reading: keep what is there
      filled += bytesRead;
    }
    return { bytes: filled === bytes.length ? bytes : bytes.subarray(0, filled), size: info.size, mtimeMs: info.mtimeMs };
  } catch (error) {
    return failed(error);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

function readAsync(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolvePromise, reject) => read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolvePromise(bytesRead))));
}

async function* loadUrlEvents(url: string, options: LoadOptions, settings: Settings): AsyncGenerator<LoadEvent> {
  const urlOptions: UrlLoadOptions = {
    ...options.url,
    allowPrivateNetwork: options.allowPrivateNetwork ?? LOAD_DEFAULTS.allowPrivateNetwork,
    loaderOptions: settings.loaderOptions,
  };
  for await (const event of loadUrl(url, urlOptions)) {
    if (event.kind === 'problem') yield problem(event.url, event.reason, event.code);
    else if (event.kind === 'skipped') yield { kind: 'skipped', file: event.url, reason: event.reason };
    else {
      const loaded = event.document;
      const own = loaded.id !== undefined && !settings.prefixRecordIds;
      const id = own ? loaded.id! : loaded.idSuffix !== undefined ? `${event.url}#${loaded.idSuffix}` : event.url;
      const metadata: Metadata = loaded.id !== undefined ? loaded.metadata : { source: event.url, ...loaded.metadata };
      const document: IngestedDocument = { id, title: loaded.title, text: loaded.text, metadata };
      if (loaded.sections.length > 0) document.sections = loaded.sections;
      yield { kind: 'document', document, file: event.url };
    }
  }
}

async function* loadJsonlStream(stream: Readable, name: string): AsyncGenerator<LoadEvent> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    const document = parseRecordLine(line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    if (typeof document === 'string') yield problem(name, document, 'PARSE', line);
    else yield { kind: 'document', document, file: name };
  }
}
