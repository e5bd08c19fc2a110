/** Shared fixtures of the server tests: a folder of collections and a server on a free loopback port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openCollection } from '../../src/engine/index.js';
import { resolveServerConfig, startServer, type RunningServer, type ServerConfigInput, type StartServerOptions } from '../../src/server/index.js';

export const DOCS = [
  {
    id: 'bm25.md',
    title: 'Okapi BM25',
    text: '# Okapi BM25\n\nBM25 ranks documents by term frequency and inverse document frequency.\nThe term frequency saturates: k1 controls how quickly repeated terms stop adding to the score.\nLength normalisation is controlled by b.',
    metadata: { source: 'bm25.md', year: 2009 },
  },
  {
    id: 'wal.md',
    title: 'Write-ahead logging',
    text: '# Write-ahead logging\n\nA commit is durable once the write-ahead log is synced to disk.\nSQLite in WAL mode lets readers keep a consistent snapshot while a writer appends.',
    metadata: { source: 'wal.md', year: 2010 },
  },
  {
    id: 'secret.md',
    title: 'Project Nightingale',
    text: 'Project Nightingale is the confidential codename of the merger with Falcon Industries, signed in March.',
    metadata: { source: 'secret.md', access: ['board'] },
  },
  {
    id: 'public.md',
    title: 'Company picnic',
    text: 'The company picnic takes place in June at the river park; families are welcome.',
    metadata: { source: 'public.md', access: ['staff', 'board'] },
  },
];

/** A fresh folder of collections holding `docs` (with DOCS) and, when asked, more empty collections. */
export async function makeRoot(extra: string[] = []): Promise<{ root: string; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'ralm-server-test-'));
  const docs = await openCollection({ path: join(root, 'docs'), create: true, analyzer: 'english' });
  docs.add(DOCS);
  await docs.commit();
  await docs.close();
  for (const name of extra) {
    const c = await openCollection({ path: join(root, name), create: true, analyzer: 'english' });
    c.add([{ id: `${name}-only`, title: `${name} note`, text: `The ${name} collection mentions the zeppelin timetable.` }]);
    await c.commit();
    await c.close();
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Starts a server on 127.0.0.1 and a free port, silent. */
export async function serve(flags: Partial<ServerConfigInput>, options: Omit<StartServerOptions, 'config'> = {}): Promise<RunningServer> {
  const config = resolveServerConfig({ flags: { port: 0, logLevel: 'silent', ...flags } });
  return startServer({ logger: pino({ level: 'silent' }), ...options, config });
}

/** JSON request helper. */
export async function call(base: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(base + path, {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
    headers: { ...(init.body !== undefined || init.raw !== undefined ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, headers: response.headers };
}

/** Parses a Server-Sent Events body into events. */
export function parseSse(text: string): Array<{ event: string; data: string }> {
  const out: Array<{ event: string; data: string }> = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    out.push({ event, data: data.join('\n') });
  }
  return out;
}

/** Waits until a job has finished. */
export async function waitJob(base: string, id: string, headers: Record<string, string> = {}): Promise<any> {
  for (let i = 0; i < 500; i++) {
    const { body } = await call(base, `/jobs/${id}`, { headers });
    if (body.finished) return body;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`job ${id} did not finish`);
}
