import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, loadKeysFile, saveKeysFile, verifyApiKey, type RunningServer } from '../../src/server/index.js';
import { RateLimiter } from '../../src/server/rate-limit.js';
import { call, makeRoot, parseSse, serve } from './helpers.js';

let server: RunningServer;
let base: string;
let cleanup: () => void;
let keysDir: string;
const keys: Record<string, string> = {};
const auth = (name: string) => ({ Authorization: `Bearer ${keys[name]}` });

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await makeRoot(['alpha', 'beta']));
  keysDir = mkdtempSync(join(tmpdir(), 'ralm-keys-'));
  const records = [];
  for (const [name, scopes, tags] of [
    ['alphaReader', { alpha: ['read'] }, undefined],
    ['alphaWriter', { alpha: ['read', 'write'] }, undefined],
    ['admin', { '*': ['read', 'write'] }, undefined],
    ['staff', { docs: ['read', 'write'] }, ['staff']],
    ['board', { docs: ['read'] }, ['board']],
    ['limited', { docs: ['read'] }, undefined],
  ] as const) {
    const created = createApiKey({ name, scopes: scopes as never, ...(tags ? { tags: [...tags] } : {}) });
    keys[name] = created.key;
    records.push(created.record);
  }
  saveKeysFile(join(keysDir, 'keys.json'), { version: 1, keys: records });
  server = await serve({ root, keysFile: join(keysDir, 'keys.json'), rateLimitPerMinute: 60, rateLimitBurst: 1000 });
  base = server.url;
});
afterAll(async () => {
  await server.close();
  cleanup();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('API keys', () => {
  it('are stored hashed with a salt, never in clear', () => {
    const text = readFileSync(join(keysDir, 'keys.json'), 'utf8');
    for (const key of Object.values(keys)) expect(text).not.toContain(key.slice('ralm_000000000000_'.length));
    const file = loadKeysFile(join(keysDir, 'keys.json'));
    expect(file.keys[0]).toMatchObject({ salt: expect.stringMatching(/^[a-f0-9]{32}$/), hash: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(verifyApiKey(file, keys.admin!)?.name).toBe('admin');
    expect(verifyApiKey(file, keys.admin!.slice(0, -1) + (keys.admin!.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
  });

  it('are required (401) except for /healthz, /openapi.json and the page', async () => {
    expect((await call(base, '/healthz')).status).toBe(200);
    expect((await call(base, '/openapi.json')).status).toBe(200);
    expect((await call(base, '/')).status).toBe(200);
    const missing = await call(base, '/collections');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(base, '/collections', { headers: { Authorization: 'Bearer ralm_000000000000_nope' } })).body.error.code).toBe('INVALID_API_KEY');
    expect((await call(base, '/collections', { headers: { 'X-Api-Key': keys.admin! } })).status).toBe(200);
  });

  it('a key for collection A can neither read nor learn of collection B: the same 404 as a missing one', async () => {
    const list = (await call(base, '/collections', { headers: auth('alphaReader') })).body.collections.map((c: { name: string }) => c.name);
    expect(list).toEqual(['alpha']);
    expect((await call(base, '/collections', { headers: auth('admin') })).body.collections.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta', 'docs']);
    const hidden = await call(base, '/collections/beta', { headers: auth('alphaReader') });
    const absent = await call(base, '/collections/gamma', { headers: auth('alphaReader') });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual({ error: { code: 'NOT_FOUND', message: 'collection "beta" does not exist' } });
    expect(absent.body).toEqual({ error: { code: 'NOT_FOUND', message: 'collection "gamma" does not exist' } });
    for (const [path, body] of [
      ['/search', { collection: 'beta', query: 'zeppelin' }],
      ['/ask', { collection: 'beta', question: 'zeppelin timetable?', stream: false }],
    ] as const) {
      const b = await call(base, path, { body, headers: auth('alphaReader') });
      const g = await call(base, path, { body: { ...body, collection: 'gamma' }, headers: auth('alphaReader') });
      expect(b.status).toBe(404);
      expect(b.body.error.message.replace('beta', 'X')).toBe(g.body.error.message.replace('gamma', 'X'));
    }
    expect((await call(base, '/collections/beta/documents/beta-only', { headers: auth('alphaReader') })).status).toBe(404);
    const models = (await call(base, '/v1/models', { headers: auth('alphaReader') })).body.data.map((m: { id: string }) => m.id);
    expect(models).toEqual(['ralm:alpha']);
    const chatHidden = await call(base, '/v1/chat/completions', { body: { model: 'ralm:beta', messages: [{ role: 'user', content: 'zeppelin?' }] }, headers: auth('alphaReader') });
    const chatAbsent = await call(base, '/v1/chat/completions', { body: { model: 'ralm:gamma', messages: [{ role: 'user', content: 'zeppelin?' }] }, headers: auth('alphaReader') });
    expect(chatHidden.status).toBe(404);
    expect(chatHidden.body.error.message.replace('beta', 'X')).toBe(chatAbsent.body.error.message.replace('gamma', 'X'));
    expect((await call(base, '/metrics', { headers: auth('alphaReader') })).status).toBe(403); // metrics name every collection
    expect((await call(base, '/metrics', { headers: auth('admin') })).status).toBe(200);
  });

  it('read and write scopes are enforced', async () => {
    const write = { body: { documents: [{ id: 'n1', text: 'a note about kites' }] }, headers: auth('alphaReader') };
    expect((await call(base, '/collections/alpha/documents', write)).status).toBe(403);
    expect((await call(base, '/collections/alpha/documents', { ...write, headers: auth('alphaWriter') })).status).toBe(202);
    expect((await call(base, '/collections', { body: { name: 'new' }, headers: auth('alphaWriter') })).status).toBe(403);
    expect((await call(base, '/collections/alpha', { method: 'DELETE', headers: auth('alphaReader') })).status).toBe(403);
  });
});

describe('per-document access tags', () => {
  const hitsOf = async (key: string, query: string) => (await call(base, '/search', { body: { collection: 'docs', query, k: 10 }, headers: auth(key) })).body.hits.map((h: { id: string }) => h.id);

  it('are applied inside the top-k: nothing leaks through hits, scores or counts', async () => {
    expect(await hitsOf('board', 'Nightingale merger Falcon')).toEqual(['secret.md']);
    expect(await hitsOf('staff', 'Nightingale merger Falcon')).toEqual([]);
    expect(await hitsOf('staff', 'picnic')).toEqual(['public.md']);
    // k is filled from visible documents only (the filter runs inside the top-k, not after it)
    const staffAll = (await call(base, '/search', { body: { collection: 'docs', query: 'the company merger commit term picnic', k: 3 }, headers: auth('staff') })).body.hits;
    expect(staffAll.map((h: { id: string }) => h.id)).not.toContain('secret.md');
    expect(staffAll).toHaveLength(3);
    // untagged documents are visible to every key with read scope
    expect(await hitsOf('staff', 'write-ahead log')).toEqual(['wal.md']);
  });

  it('apply to answers and their citations, documents and listings', async () => {
    const answer = (await call(base, '/ask', { body: { collection: 'docs', question: 'What is Project Nightingale?', stream: false }, headers: auth('staff') })).body;
    expect(answer.no_answer).toBe(true);
    expect(JSON.stringify(answer)).not.toMatch(/Falcon|secret\.md/);
    const streamed = await (await fetch(`${base}/ask`, { method: 'POST', headers: { ...auth('staff'), 'Content-Type': 'application/json' }, body: JSON.stringify({ collection: 'docs', question: 'What is Project Nightingale?' }) })).text();
    expect(streamed).not.toMatch(/Falcon|secret\.md/);
    const board = (await call(base, '/ask', { body: { collection: 'docs', question: 'What is Project Nightingale?', stream: false }, headers: auth('board') })).body;
    expect(board.citations[0].doc_id).toBe('secret.md');
    const chat = (await call(base, '/v1/chat/completions', { body: { model: 'ralm:docs', messages: [{ role: 'user', content: 'What is Project Nightingale?' }] }, headers: auth('staff') })).body;
    expect(JSON.stringify(chat)).not.toMatch(/Falcon|secret\.md/);
    expect((await call(base, '/collections/docs/documents/secret.md', { headers: auth('staff') })).status).toBe(404);
    expect((await call(base, '/collections/docs/documents/secret.md', { headers: auth('board') })).status).toBe(200);
    const listed = (await call(base, '/collections/docs/documents', { headers: auth('staff') })).body.documents.map((d: { id: string }) => d.id);
    expect(listed).not.toContain('secret.md');
    expect(listed).toContain('public.md');
    expect((await call(base, '/search', { body: { collection: 'docs', query: 'picnic', filter: 'year > 1' }, headers: auth('staff') })).status).toBe(400); // text filters cannot be combined safely
  });

  it('writes by a tagged key carry its tags, never others', async () => {
    const refused = await call(base, '/collections/docs/documents', { body: { documents: [{ id: 'x', text: 'x', metadata: { access: ['board'] } }] }, headers: auth('staff') });
    expect(refused.status).toBe(403);
    const overwrite = await call(base, '/collections/docs/documents', { body: { documents: [{ id: 'secret.md', text: 'replaced' }] }, headers: auth('staff') });
    expect(overwrite.status).toBe(403); // a hidden document cannot be replaced by a key that cannot see it
    const form = new FormData();
    form.append('files', new Blob(['replaced']), 'secret.md');
    const upload = await fetch(`${base}/collections/docs/documents`, { method: 'POST', body: form, headers: auth('staff') });
    const uploadJob = (await upload.json()) as { id: string };
    for (let i = 0; i < 100 && !(await call(base, `/jobs/${uploadJob.id}`, { headers: auth('staff') })).body.finished; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await call(base, `/jobs/${uploadJob.id}`, { headers: auth('staff') })).body).toMatchObject({ result: { added: 0 }, problems: [{ file: 'secret.md' }] });
    expect((await call(base, '/collections/docs/documents/secret.md', { headers: auth('board') })).body.text).toMatch(/Nightingale/);
    const ok = await call(base, '/collections/docs/documents', { body: { documents: [{ id: 'memo.md', text: 'The staff memo about parking spaces.' }] }, headers: auth('staff') });
    expect(ok.status).toBe(202);
    for (let i = 0; i < 100 && !(await call(base, `/jobs/${ok.body.id}`, { headers: auth('staff') })).body.finished; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await call(base, '/collections/docs/documents/memo.md', { headers: auth('staff') })).body.metadata.access).toEqual(['staff']);
    expect((await call(base, '/collections/docs/documents/memo.md', { headers: auth('board') })).status).toBe(404);
    // a job is visible only to keys that may see its collection
    expect((await call(base, `/jobs/${ok.body.id}`, { headers: auth('alphaReader') })).status).toBe(404);
  });
});

describe('limits and network exposure', () => {
  it('rate-limits per key with 429 and Retry-After', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 60, burst: 3, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0); // per key
    now += 1000;
    expect(limiter.take('a')).toBe(0);
  });

  it('answers 429 with Retry-After over HTTP', async () => {
    const { root, cleanup: clean } = await makeRoot();
    const { key, record } = createApiKey({ name: 'k', scopes: { '*': ['read'] } });
    const limited = await serve({ root, rateLimitPerMinute: 1, rateLimitBurst: 2 }, { keys: { version: 1, keys: [record] } });
    try {
      const statuses = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await call(limited.url, '/collections', { headers: { Authorization: `Bearer ${key}` } });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
      clean();
    }
  });

  it('CORS is off by default and configurable', async () => {
    const preflight = { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } };
    expect((await fetch(`${base}/search`, preflight)).headers.get('access-control-allow-origin')).toBeNull();
    const { root, cleanup: clean } = await makeRoot();
    const withCors = await serve({ root, corsOrigins: ['https://app.example'] });
    try {
      const response = await fetch(`${withCors.url}/search`, preflight);
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect((await fetch(`${withCors.url}/search`, { ...preflight, headers: { ...preflight.headers, Origin: 'https://evil.example' } })).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await withCors.close();
      clean();
    }
  });

  it('without keys: binds 127.0.0.1, serves local clients only (Host must be local too), refuses other addresses at start', async () => {
    const { root, cleanup: clean } = await makeRoot();
    const local = await serve({ root });
    try {
      expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await call(local.url, '/collections')).status).toBe(200);
      // DNS rebinding: a page on another name that resolves to 127.0.0.1 is refused
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const r = request(`${local.url}/collections`, { headers: { Host: 'evil.example:80' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
      expect(status).toBe(403);
      await expect(serve({ root, host: '0.0.0.0' })).rejects.toThrow(/refusing to bind 0\.0\.0\.0 without API keys/);
    } finally {
      await local.close();
      clean();
    }
  });
});
