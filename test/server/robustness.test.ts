import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCollection } from '../../src/engine/index.js';
import type { LanguageModelLike, RunningServer } from '../../src/server/index.js';
import { repoRoot } from '../helpers/shared.js';
import { call, makeRoot, serve } from './helpers.js';

/** A language model that streams one word every 20 ms for up to 10 s and records whether it was cancelled. */
function slowModel() {
  const state = { started: false, aborted: false, words: 0 };
  const model = {
    specificationVersion: 'v1',
    provider: 'test',
    modelId: 'slow',
    contextLength: 8192,
    async generate() {
      throw new Error('not used');
    },
    async *stream(_request: unknown, options?: { signal?: AbortSignal }) {
      state.started = true;
      options?.signal?.addEventListener('abort', () => (state.aborted = true), { once: true });
      for (let i = 0; i < 500; i++) {
        if (options?.signal?.aborted) {
          state.aborted = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
        state.words++;
        yield { type: 'text-delta', text: `word${i} ` };
      }
      yield { type: 'finish', finishReason: 'stop', usage: {} };
    },
  } as unknown as LanguageModelLike;
  return { model, state };
}

let server: RunningServer;
let cleanup: () => void;
const slow = slowModel();

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await makeRoot());
  server = await serve({ root, headersTimeoutMs: 1000, requestTimeoutMs: 2000, connectionsCheckingIntervalMs: 200 }, { generators: { slow: slow.model } });
});
afterAll(async () => {
  await server.close({ graceMs: 1000 });
  cleanup();
});

describe('robustness', () => {
  it('an aborted SSE client cancels the generation (AbortSignal) and the server stays responsive', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/ask`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ collection: 'docs', question: 'When is a commit durable?', generator: 'slow' }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let seen = '';
    while (!seen.includes('text-delta')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    for (let i = 0; i < 100 && !slow.state.aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(slow.state.started).toBe(true);
    expect(slow.state.aborted).toBe(true);
    const words = slow.state.words;
    await new Promise((r) => setTimeout(r, 200));
    expect(slow.state.words).toBeLessThanOrEqual(words + 1); // generation stopped (at most the word in flight)
    expect(words).toBeLessThan(100);
    expect((await call(server.url, '/healthz')).status).toBe(200);
  });

  it('200 slowloris clients (headers sent byte by byte) do not stop /healthz; they are cut off by headersTimeout', async () => {
    const port = server.port;
    const sockets: Socket[] = [];
    let closed = 0;
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
    const timers: NodeJS.Timeout[] = [];
    await Promise.all(
      Array.from({ length: 200 }, () => new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve());
        socket.on('error', () => undefined);
        socket.on('close', () => closed++);
        socket.on('data', () => undefined);
        sockets.push(socket);
        let i = 0;
        timers.push(setInterval(() => {
          if (!socket.destroyed && i < request.length) socket.write(request[i++]!);
        }, 50));
      })),
    );
    try {
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        expect((await call(server.url, '/healthz')).status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(Math.max(...latencies)).toBeLessThan(500);
      for (let i = 0; i < 40 && closed < 200; i++) await new Promise((r) => setTimeout(r, 100));
      expect(closed).toBe(200); // headersTimeout (1 s here) closed every one of them
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    }
  });
});

describe('ralm serve and ralm keys (the CLI)', () => {
  // Runs the built command through registerServeCommand (independent of main.ts wiring).
  const script = `import('./dist/cli/serve.js').then(async ({ registerServeCommand }) => { const { Command } = await import('commander'); const p = new Command(); p.exitOverride(); registerServeCommand(p); await p.parseAsync(process.argv.slice(1), { from: 'user' }); }).catch((e) => { process.stderr.write('ralm: ' + e.message + '\\n'); process.exitCode = e.code === 'commander.invalidArgument' ? 2 : 1; });`;
  const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, ['-e', script, '--', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });

  it('keys create prints a key once and stores only its hash; serve refuses a public bind without keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ralm-cli-keys-'));
    try {
      const created = cli(['keys', 'create', '--keys', join(dir, 'keys.json'), '--scope', 'docs:read,write', '--scope', '*:read', '--tag', 'staff', '--name', 'ci']);
      expect(created.status).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^ralm_[a-f0-9]{12}_/);
      const stored = readFileSync(join(dir, 'keys.json'), 'utf8');
      expect(stored).not.toContain(key.slice(18));
      expect(JSON.parse(stored).keys[0]).toMatchObject({ name: 'ci', scopes: { docs: ['read', 'write'], '*': ['read'] }, tags: ['staff'] });
      expect(cli(['keys', 'list', '--keys', join(dir, 'keys.json')]).stdout).toMatch(/ci {2}docs:read,write \*:read {2}tags=staff/);
      const refused = cli(['serve', '--root', dir, '--host', '0.0.0.0', '--port', '0']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/refusing to bind 0\.0\.0\.0 without API keys/);
      const badEnv = cli(['serve', '--root', dir], { RALM_PORT: 'eighty' });
      expect(badEnv.stderr).toMatch(/invalid server configuration \(from RALM_PORT and flags\): port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shuts down gracefully on SIGTERM: a running ingest commits or rolls back, collections close, logs carry request ids', async () => {
    const { root, cleanup: clean } = await makeRoot();
    try {
      const child = spawn(process.execPath, ['-e', script, '--', 'serve', '--root', root, '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(stderr)));
      });
      const documents = Array.from({ length: 20_000 }, (_, i) => ({ id: `bulk-${i}`, text: `bulk document ${i} about tides and harbours ${i % 13}` }));
      const accepted = await call(url, '/collections/docs/documents', { body: { documents } });
      expect(accepted.status).toBe(202);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM: finishing in-flight requests/);
      const log = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(log.find((l) => l.msg === 'request')).toMatchObject({ requestId: expect.any(String), method: 'POST', status: 202 });
      expect(log.at(-1).msg).toBe('ralm server stopped');
      expect(existsSync(join(root, 'docs', 'write.lock'))).toBe(false);
      const collection = await openCollection({ path: join(root, 'docs'), readOnly: true });
      const count = collection.stats().documents;
      await collection.close();
      expect([4, 20_004]).toContain(count); // all of the job or none of it
    } finally {
      clean();
    }
  });
});
