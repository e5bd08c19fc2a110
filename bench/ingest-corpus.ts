/**
 * Synthetic folders for `bench/ingest.ts`, generated from BEIR SciFact (`corpus.jsonl.gz`: `_id`, `title`, `text`):
 *
 * - {@link writeDocumentFolder}: one file per document (10,000 by default, cycling SciFact's 5,183 abstracts; every
 *   cycle after the first shuffles the sentences and varies the title, so no two files are byte-identical), in a few
 *   sub-folders; one file in five is `.txt`, the rest `.md` with YAML front matter (most flat `key: value`, some with
 *   lists, which take the full YAML parser) and a heading.
 * - {@link writeBulkFolder}: ~`totalBytes` of text in files of ~`fileBytes` each (shuffled sentences of random
 *   abstracts), for the peak-memory test.
 *
 * Deterministic: the same seed gives the same bytes.
 */
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export interface SciFactDocument {
  id: string;
  title: string;
  sentences: string[];
}

/** Reads SciFact's corpus (gzip JSON Lines) and splits each abstract into sentences. */
export async function readSciFact(corpusFile: string): Promise<SciFactDocument[]> {
  const documents: SciFactDocument[] = [];
  const lines = createInterface({ input: createReadStream(corpusFile).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { _id: string; title?: string; text?: string };
    const text = (record.text ?? '').trim();
    const sentences = text.split(/(?<=[.!?])\s+(?=[A-Z(\[])/).filter((s) => s.length > 0);
    documents.push({ id: String(record._id), title: (record.title ?? '').trim(), sentences: sentences.length > 0 ? sentences : [text] });
  }
  return documents;
}

/** mulberry32: a small deterministic PRNG. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const FOLDERS = ['', 'articles', 'articles/biology', 'notes/2023', 'notes/2024', 'archive'];
const TITLE_VARIANTS = ['', 'Notes on: ', 'Summary — ', 'Re-read: ', 'Draft: '];
const TAGS = ['biology', 'medicine', 'genetics', 'immunology', 'oncology', 'neuroscience', 'epidemiology', 'review'];

export interface FolderSummary {
  files: number;
  markdownFiles: number;
  textFiles: number;
  bytes: number;
  folders: number;
}

/**
 * Writes `count` files, one per document, into `folder` (which must not exist or be empty).
 * @example await writeDocumentFolder(documents, '/tmp/x/docs', 10_000);
 */
export function writeDocumentFolder(documents: readonly SciFactDocument[], folder: string, count: number, seed = 42): FolderSummary {
  const next = random(seed);
  for (const sub of FOLDERS) mkdirSync(join(folder, sub), { recursive: true });
  const summary: FolderSummary = { files: 0, markdownFiles: 0, textFiles: 0, bytes: 0, folders: FOLDERS.length };
  for (let n = 0; n < count; n++) {
    const document = documents[n % documents.length]!;
    const cycle = Math.floor(n / documents.length);
    const sentences = cycle === 0 ? document.sentences : shuffled(document.sentences, next);
    const title = `${TITLE_VARIANTS[cycle % TITLE_VARIANTS.length]}${document.title || `Document ${document.id}`}`;
    const body = sentences.join(' ');
    const sub = FOLDERS[n % FOLDERS.length]!;
    const base = `${document.id}-${cycle}`;
    let content: string;
    let name: string;
    if (n % 5 === 4) {
      name = `${base}.txt`;
      content = `${title}\n\n${body}\n`;
      summary.textFiles++;
    } else {
      name = `${base}.md`;
      const tags = shuffled(TAGS, next).slice(0, 1 + Math.floor(next() * 3));
      const frontMatter =
        n % 4 === 0
          ? `title: "${title.replace(/["\\]/g, '')}"\nsource: scifact\ndoc_id: ${document.id}\ntags: [${tags.join(', ')}]\nyear: ${2000 + (n % 24)}`
          : `source: scifact\ndoc_id: "${document.id}"\nyear: ${2000 + (n % 24)}\ndraft: ${n % 3 === 0}`;
      // Longer abstracts get a second heading, so the structure-aware chunker has sections to respect.
      const half = Math.ceil(sentences.length / 2);
      const text = sentences.length >= 6 ? `${sentences.slice(0, half).join(' ')}\n\n## Findings\n\n${sentences.slice(half).join(' ')}` : body;
      content = `---\n${frontMatter}\n---\n# ${title}\n\n${text}\n`;
      summary.markdownFiles++;
    }
    writeFileSync(join(folder, sub, name), content);
    summary.files++;
    summary.bytes += Buffer.byteLength(content);
  }
  return summary;
}

/**
 * Writes about `totalBytes` of text as files of about `fileBytes` each (half `.md` with a heading per abstract,
 * half `.txt`), 100 files per sub-folder.
 */
export function writeBulkFolder(documents: readonly SciFactDocument[], folder: string, totalBytes: number, fileBytes: number, seed = 7): FolderSummary {
  const next = random(seed);
  const files = Math.max(1, Math.round(totalBytes / fileBytes));
  const summary: FolderSummary = { files: 0, markdownFiles: 0, textFiles: 0, bytes: 0, folders: 0 };
  for (let n = 0; n < files; n++) {
    const sub = join(folder, `part-${String(Math.floor(n / 100)).padStart(4, '0')}`);
    if (n % 100 === 0) {
      mkdirSync(sub, { recursive: true });
      summary.folders++;
    }
    const markdown = n % 2 === 0;
    const parts: string[] = [];
    let size = 0;
    while (size < fileBytes) {
      const document = documents[Math.floor(next() * documents.length)]!;
      const part = `${markdown ? '## ' : ''}${document.title}\n\n${shuffled(document.sentences, next).join(' ')}\n\n`;
      parts.push(part);
      size += Buffer.byteLength(part);
    }
    const content = parts.join('');
    writeFileSync(join(sub, `bulk-${n}.${markdown ? 'md' : 'txt'}`), content);
    summary.files++;
    summary.bytes += Buffer.byteLength(content);
    if (markdown) summary.markdownFiles++;
    else summary.textFiles++;
  }
  return summary;
}
