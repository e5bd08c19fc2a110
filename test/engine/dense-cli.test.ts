// `ralm index --embedder openai:<model>` against a loopback embeddings server, then `ralm search --mode dense`
// (the endpoint from $RALM_BASE_URL), and the embedder's usage errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ralmBin } from '../helpers/cli.js';
import { startEmbeddingsServer, type EmbeddingsServer } from '../helpers/embeddings-server.js';

let dir: string;
let server: EmbeddingsServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ralm-dense-cli-'));
  server = await startEmbeddingsServer({ dimensions: 12 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `ralm` without blocking this process's event loop (it serves the embeddings). */
function ralm(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ralmBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ralm index --embedder openai:<model>', () => {
  it('embeds at index time, searches densely, and refuses another embedder', async () => {
    const file = join(dir, 'docs.jsonl');
    const texts = ['the lighthouse keeper logs every passing ship', 'sourdough needs a long cold fermentation', 'a comet returns every seventy-six years'];
    writeFileSync(file, texts.map((text, i) => JSON.stringify({ _id: `d${i}`, text })).join('\n'));
    const index = join(dir, 'index');
    const built = await ralm(['index', file, '--index', index, '--embedder', 'openai:cli-model', '--base-url', server.baseURL, '--json']);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(server.requests.flatMap((r) => r.body.input ?? []).sort()).toEqual([...texts].sort());
    const found = await ralm(['search', texts[1]!, '--index', index, '--mode', 'dense', '-k', '1', '--json'], { RALM_BASE_URL: server.baseURL });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).hits[0].id).toBe('d1');
    // unchanged documents again: nothing to embed
    const before = server.requests.length;
    expect((await ralm(['index', file, '--index', index, '--base-url', server.baseURL])).code).toBe(0);
    expect(server.requests.length).toBe(before);
    const other = await ralm(['index', file, '--index', index, '--embedder', 'lsa']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/embedded with "openai:cli-model", not "lsa"/);
    const bad = await ralm(['index', file, '--index', join(dir, 'x'), '--embedder', 'openai:']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/names no model; write openai:<model>/);
  });
});
