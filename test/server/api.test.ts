import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server/index.js';
import { call, makeRoot, parseSse, serve, waitJob } from './helpers.js';

let server: RunningServer;
let base: string;
let cleanup: () => void;
let root: string;

beforeAll(async () => {
  ({ root, cleanup } = await makeRoot());
  server = await serve({ root, maxBodyBytes: 64 * 1024, maxUploadBytes: 256 * 1024 });
  base = server.url;
});
afterAll(async () => {
  await server.close();
  cleanup();
});

describe('ralm serve: HTTP API', () => {
  it('answers /healthz, /openapi.json (generated from the zod schemas) and /', async () => {
    expect((await call(base, '/healthz')).body).toEqual({ status: 'ok' });
    const openapi = (await call(base, '/openapi.json')).body;
    expect(openapi.openapi).toBe('3.0.3');
    expect(openapi.paths['/search'].post.requestBody.content['application/json'].schema.properties.query.type).toBe('string');
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/ask', '/v1/chat/completions', '/jobs/{id}', '/collections/{collection}/documents']));
    const page = await fetch(base + '/');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("img-src data:");
    const html = await page.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127)/); // everything inline, nothing remote
  });

  it('creates, lists, describes and deletes collections', async () => {
    expect((await call(base, '/collections', { body: { name: 'notes', analyzer: 'english' } })).status).toBe(201);
    expect((await call(base, '/collections', { body: { name: 'notes' } })).status).toBe(409);
    expect((await call(base, '/collections', { body: { name: '../escape' } })).status).toBe(400);
    const list = (await call(base, '/collections')).body.collections.map((c: { name: string }) => c.name);
    expect(list).toEqual(['docs', 'notes']);
    const docs = (await call(base, '/collections/docs')).body;
    expect(docs).toMatchObject({ name: 'docs', documents: 4, analyzer: 'english' });
    expect((await call(base, '/collections/notes', { method: 'DELETE' })).body).toEqual({ deleted: 'notes' });
    expect(existsSync(join(root, 'notes'))).toBe(false);
    expect((await call(base, '/collections/notes')).status).toBe(404);
  });

  it('uploads JSON documents as a job with progress events, then lists, gets and deletes them', async () => {
    await call(base, '/collections', { body: { name: 'jobs' } });
    const documents = Array.from({ length: 250 }, (_, i) => ({ id: `d${i}`, title: `Note ${i}`, text: `Note number ${i} is about lighthouses and keepers ${i % 7}.`, metadata: { n: i } }));
    const accepted = await call(base, '/collections/jobs/documents', { body: { documents } });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/jobs/${accepted.body.id}`);
    const events = parseSse(await (await fetch(`${base}/jobs/${accepted.body.id}/events`)).text());
    expect(events.at(-1)!.event).toBe('done');
    const done = JSON.parse(events.at(-1)!.data);
    expect(done).toMatchObject({ status: 'succeeded', progress: { documents: 250, total: 250 }, result: { added: 250 } });
    expect(events.filter((e) => e.event === 'progress').length).toBeGreaterThanOrEqual(1);

    const page1 = (await call(base, '/collections/jobs/documents?limit=100')).body;
    expect(page1.documents).toHaveLength(100);
    expect(page1.next_offset).toBe(100);
    expect((await call(base, '/collections/jobs/documents?offset=200&limit=100')).body.next_offset).toBeNull();
    expect((await call(base, '/collections/jobs/documents?limit=5000')).status).toBe(400);
    expect((await call(base, '/collections/jobs/documents/d7')).body).toMatchObject({ id: 'd7', title: 'Note 7', metadata: { n: 7 } });
    const deletion = await call(base, '/collections/jobs/documents/d7', { method: 'DELETE' });
    expect(deletion.status).toBe(202);
    expect((await waitJob(base, deletion.body.id)).status).toBe('succeeded');
    expect((await call(base, '/collections/jobs/documents/d7')).status).toBe(404);
    expect((await call(base, '/search', { body: { collection: 'jobs', query: 'lighthouses', k: 3 } })).body.hits).toHaveLength(3);
  });

  it('uploads multipart files; ids are the file names; the temp folder is removed', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('ralm-upload-')).length;
    const form = new FormData();
    form.append('files', new Blob(['# Zeppelins\n\nThe zeppelin timetable lists airship departures every Tuesday.']), 'zeppelin.md');
    form.append('files', new Blob(['Gliders need thermals to stay aloft.']), 'gliders.txt');
    const response = await fetch(`${base}/collections/docs/documents`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    const job = await waitJob(base, ((await response.json()) as { id: string }).id);
    expect(job).toMatchObject({ status: 'succeeded', result: { read: 2, added: 2, files: 2 } });
    const hit = (await call(base, '/search', { body: { collection: 'docs', query: 'zeppelin timetable' } })).body.hits[0];
    expect(hit).toMatchObject({ id: 'zeppelin.md', metadata: { source: 'zeppelin.md' } });
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('ralm-upload-')).length).toBe(before);
  });

  it('searches with BM25: k, explain, JSON and text filters', async () => {
    const result = (await call(base, '/search', { body: { collection: 'docs', query: 'term frequency saturation', k: 2, explain: true } })).body;
    expect(result.hits[0]).toMatchObject({ rank: 1, id: 'bm25.md', title: 'Okapi BM25' });
    expect(result.hits[0].explanation.description).toBeTypeOf('string');
    expect(result.terms.map((t: { term: string }) => t.term)).toContain('frequenc');
    const filtered = (await call(base, '/search', { body: { collection: 'docs', query: 'commit durable term frequency', filter: { year: { gte: 2010 } } } })).body;
    expect(filtered.hits.map((h: { id: string }) => h.id)).toEqual(['wal.md']);
    const text = (await call(base, '/search', { body: { collection: 'docs', query: 'commit durable term frequency', filter: 'year < 2010' } })).body;
    expect(text.hits.map((h: { id: string }) => h.id)).toEqual(['bm25.md']);
  });

  it('answers /ask as SSE (retrieval, text-delta…, citations, done) and as one JSON', async () => {
    const response = await fetch(`${base}/ask`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ collection: 'docs', question: 'When is a commit durable?' }) });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await response.text());
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe('retrieval');
    expect(kinds).toContain('text-delta');
    expect(kinds.slice(-2)).toEqual(['citations', 'done']);
    const streamed = events.filter((e) => e.event === 'text-delta').map((e) => JSON.parse(e.data).text).join('');
    const done = JSON.parse(events.at(-1)!.data);
    expect(streamed).toBe(done.answer);
    expect(done.answer).toMatch(/write-ahead log is synced to disk/);
    const citation = done.citations[0];
    expect(citation).toMatchObject({ key: '1', doc_id: 'wal.md', url: expect.stringMatching(/^\/collections\/docs\/documents\/wal\.md\?start=\d+&end=\d+$/) });
    const document = (await call(base, '/collections/docs/documents/wal.md')).body;
    expect(document.text.slice(citation.start, citation.end)).toBe(citation.text);
    expect(citation.context_before + citation.text).toBe(document.text.slice(Math.max(0, citation.start - 240), citation.end));
    const html = await (await fetch(base + citation.url, { headers: { Accept: 'text/html' } })).text();
    expect(html).toContain('<mark id="span">');

    const json = (await call(base, '/ask', { body: { collection: 'docs', question: 'When is a commit durable?', stream: false } })).body;
    expect(json.answer).toBe(done.answer);
    expect(json.messages).toBeUndefined();
    expect((await call(base, '/ask', { body: { collection: 'docs', question: 'x', generator: 'gpt-17' } })).body.error.message).toMatch(/unknown generator "gpt-17"; this server offers: extractive/);
  });

  it('exposes Prometheus metrics: requests by route and status, latency histogram, collection sizes', async () => {
    await call(base, '/search', { body: { collection: 'docs', query: 'bm25' } });
    await call(base, '/collections/missing');
    const text = (await call(base, '/metrics')).body as string;
    expect(text).toMatch(/ralm_http_requests_total\{route="\/search",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/ralm_http_requests_total\{route="\/collections\/:collection",method="GET",status="404"\} \d+/);
    expect(text).toMatch(/ralm_http_request_duration_seconds_bucket\{route="\/search",le="0.05"\} \d+/);
    expect(text).toMatch(/ralm_collection_bytes\{collection="docs"\} [1-9]\d*/);
    expect(text).toMatch(/ralm_collection_documents\{collection="docs"\} \d+/);
  });
});

describe('ralm serve: bad input', () => {
  it('malformed JSON, wrong types, unknown fields and unknown collections are 4xx with { error: { code, message } }', async () => {
    const malformed = await call(base, '/search', { raw: '{"collection": "docs", "query": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'INVALID_JSON', message: expect.stringMatching(/not valid JSON/) });
    const wrong = await call(base, '/search', { body: { collection: 'docs', query: 42, k: 'ten' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('INVALID_ARGUMENT');
    expect(wrong.body.error.message).toMatch(/query: .*string/);
    expect(wrong.body.error.message).toMatch(/k: /);
    expect((await call(base, '/search', { body: { collection: 'docs', query: 'x', bogus: 1 } })).status).toBe(400);
    const missing = await call(base, '/search', { body: { collection: 'nope', query: 'x' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'collection "nope" does not exist' } });
    expect((await call(base, '/search', { body: { collection: 'docs', query: 'the of and' } })).body.error.code).toBe('EMPTY_QUERY');
    expect((await call(base, '/search', { body: { collection: 'docs', query: 'x', filter: 'year >>> 3' } })).status).toBe(400);
    expect((await call(base, '/no/such/route')).status).toBe(404);
    expect((await call(base, '/collections/docs/documents', { raw: 'text', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
  });

  it('refuses oversized bodies and uploads with 413', async () => {
    const big = await call(base, '/search', { body: { collection: 'docs', query: 'x'.repeat(100 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const form = new FormData();
    form.append('files', new Blob(['a '.repeat(200 * 1024)]), 'big.txt');
    const upload = await fetch(`${base}/collections/docs/documents`, { method: 'POST', body: form });
    expect(upload.status).toBe(413);
  });

  it('counts the bytes of a chunked body (no Content-Length) against the same limit', async () => {
    const chunked = (text: string) =>
      new Promise<{ status: number; body: { error?: { code: string }; hits?: unknown[] } }>((resolve, reject) => {
        const url = new URL('/search', base);
        const r = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
        });
        r.on('error', reject);
        // several chunks: the limit is not decided from one write
        for (let i = 0; i < text.length; i += 8192) r.write(text.slice(i, i + 8192));
        r.end();
      });
    const big = await chunked(JSON.stringify({ collection: 'docs', query: 'x'.repeat(100 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    const small = await chunked(JSON.stringify({ collection: 'docs', query: 'retrieval' }));
    expect(small.status).toBe(200);
    expect(Array.isArray(small.body.hits)).toBe(true);
  });

  it('rejects a path-traversal file name with 400 and writes nothing outside the upload folder', async () => {
    const boundary = '----ralmtest';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="../../x.md"\r\nContent-Type: text/markdown\r\n\r\n# escaped\r\n--${boundary}--\r\n`;
    const response = await fetch(`${base}/collections/docs/documents`, { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_FILE_NAME');
    expect(existsSync(join(tmpdir(), 'x.md'))).toBe(false);
    expect(existsSync(join(tmpdir(), '..', 'x.md'))).toBe(false);
  });

  it('refuses a .zip upload with 415 (never extracted)', async () => {
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0])]), 'bomb.zip');
    const response = await fetch(`${base}/collections/docs/documents`, { method: 'POST', body: form });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/archives are not extracted/);
  });
});
