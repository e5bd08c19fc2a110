/**
 * The HTTP API as a Hono application: collections, documents and ingest jobs, search, grounded answers (SSE), the
 * OpenAI-compatible `/v1` endpoints, health, metrics, the OpenAPI document and the web page. A thin adapter: every
 * operation is one engine call (`searchNow`, `askStream`, `add`/`commit` through the registry's jobs).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { streamSSE } from 'hono/streaming';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Logger } from 'pino';
import { RalmError } from '../core/errors.js';
import type { DocumentInput } from '../core/types.js';
import { askStream, type AskOptions, type AskResult } from '../engine/ask.js';
import type { Collection, SearchHit } from '../engine/collection.js';
import { loadPaths, SUPPORTED_EXTENSIONS } from '../ingest/files.js';
import type { ServerConfig } from './config.js';
import { errorBody, HttpError, toHttpError } from './errors.js';
import { accessFilter, canSee, canSeeDocument, hasScope, LOCAL_PRINCIPAL, verifyApiKey, type KeysFile, type Principal, type Scope } from './keys.js';
import { Metrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { CollectionRegistry, type JobState } from './registry.js';
import {
  askRequestSchema,
  createCollectionSchema,
  openApiDocument,
  searchRequestSchema,
  uploadDocumentsSchema,
} from './schemas.js';
import { documentPage, webPage } from './web.js';
import { jsonBody } from './http.js';
import { registerOpenAiRoutes } from './openai.js';

/** A language model as `askStream` accepts it (injected generators, e.g. in tests). */
export type LanguageModelLike = Exclude<AskOptions['generator'], string | undefined>;

/** The part of an embedding model the `/v1/embeddings` endpoint needs (see `EmbeddingModel` in src/models). */
export interface EmbedderLike {
  readonly modelId: string;
  readonly dimensions: number;
  embed(texts: readonly string[], options: { kind: 'query' | 'passage'; signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  config: ServerConfig;
  /** API keys; none (or an empty list): loopback clients only, unauthenticated. */
  keys?: KeysFile;
  logger: Logger;
  /** Extra generators by name (offered besides `config.generators`). */
  generators?: Record<string, LanguageModelLike>;
  /** The embedder of a collection, when it has one. */
  embedderOf?: (collection: string) => EmbedderLike | undefined;
  version?: string;
}

export type AppEnv = { Variables: { principal: Principal; requestId: string; logger: Logger } };
export type AppContext = Context<AppEnv>;

/** A built application: the Hono app, its collections and metrics. */
export interface RalmApp {
  app: Hono<AppEnv>;
  registry: CollectionRegistry;
  metrics: Metrics;
  /** Names of the generators offered, the default first. */
  generators: string[];
  /** Resolves a generator name to what `askStream` takes (HttpError 400 for an unknown one). */
  generator(name: string | undefined): { name: string; spec: AskOptions['generator'] };
  /** Enriches an answer's citations for display (context around the span, the document's URL). */
  citationsOf(collection: string, reader: Collection, result: AskResult): Promise<Array<Record<string, unknown>>>;
  /** The collection's read-only instance, or the same 404 as a missing collection when the principal may not see it. */
  readable(c: AppContext, name: string, scope?: Scope): Promise<Collection>;
  /** The retrieval filter of a request: the caller's filter combined with the principal's access filter. */
  filterFor(principal: Principal, filter: string | Record<string, unknown> | undefined): string | Record<string, unknown> | undefined;
  embedderOf(collection: string): EmbedderLike | undefined;
  close(): Promise<void>;
}

const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;
const ARCHIVES = /\.(zip|tar|tgz|tar\.gz|7z|rar|jar|war|xz|bz2|zst)$/i;
const MAX_FILES = 1000;

function notFound(name: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `collection "${name}" does not exist`);
}

function sseData(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Builds the application.
 * @example
 * ```ts
 * const { app } = createApp({ config: resolveServerConfig({ flags: { root: 'collections' } }), logger: pino() });
 * const response = await app.request('/healthz');
 * ```
 */
export function createApp(options: AppOptions): RalmApp {
  const { config, logger } = options;
  const keys = options.keys && options.keys.keys.length > 0 ? options.keys : undefined;
  const registry = new CollectionRegistry({ root: config.root, index: config.index });
  const metrics = new Metrics();
  const limiter = new RateLimiter({ perMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst });
  const injected = options.generators ?? {};
  const generators = [...new Set([...config.generators, ...Object.keys(injected)])];
  const app = new Hono<AppEnv>();
  const page = webPage();
  const pageScriptHash = createHash('sha256').update(page.script).digest('base64');

  const generator = (name: string | undefined): { name: string; spec: AskOptions['generator'] } => {
    const chosen = name ?? generators[0]!;
    if (!generators.includes(chosen)) throw new HttpError(400, 'INVALID_ARGUMENT', `unknown generator "${chosen}"; this server offers: ${generators.join(', ')}`);
    return { name: chosen, spec: injected[chosen] ?? chosen };
  };

  const readable = async (c: AppContext, name: string, scope: Scope = 'read'): Promise<Collection> => {
    const principal = c.get('principal');
    if (!canSee(principal, name) || !registry.has(name)) throw notFound(name);
    if (!hasScope(principal, name, scope)) throw new HttpError(403, 'FORBIDDEN', `this key has no "${scope}" scope on collection "${name}"`);
    try {
      return await registry.reader(name);
    } catch (error) {
      if (RalmError.is(error) && error.code === 'NOT_FOUND') throw notFound(name);
      throw error;
    }
  };

  const filterFor = (principal: Principal, filter: string | Record<string, unknown> | undefined): string | Record<string, unknown> | undefined => {
    const access = accessFilter(principal);
    if (!access) return filter;
    if (filter === undefined) return access;
    if (typeof filter === 'string') {
      throw new HttpError(400, 'INVALID_ARGUMENT', 'this key sees documents by access tag: give `filter` in the JSON form ({"year":{"gte":2020}}), not the text form');
    }
    return { and: [filter, access] };
  };

  const citationsOf = async (collection: string, reader: Collection, result: AskResult): Promise<Array<Record<string, unknown>>> => {
    const documents = new Map((await reader.get([...new Set(result.citations.map((c) => c.doc_id))])).map((d) => [d.id, d]));
    return result.citations.map((citation) => {
      const text = documents.get(citation.doc_id)?.text ?? '';
      return {
        ...citation,
        context_before: text.slice(Math.max(0, citation.start - 240), citation.start),
        context_after: text.slice(citation.end, citation.end + 240),
        url: `/collections/${encodeURIComponent(collection)}/documents/${encodeURIComponent(citation.doc_id)}?start=${citation.start}&end=${citation.end}`,
      };
    });
  };

  // ---- middleware: request id and logging, metrics, errors
  app.use('*', requestId());
  app.use('*', async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.get('requestId') });
    c.set('logger', log);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath && c.req.routePath !== '/*' && c.req.routePath !== '*' ? c.req.routePath : 'unmatched';
    metrics.observe({ route, method: c.req.method, status: c.res.status, seconds });
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
  });
  if (config.corsOrigins.length > 0) {
    app.use('*', cors({ origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'X-Api-Key'], exposeHeaders: ['Retry-After', 'X-Request-Id'], maxAge: 600 }));
  }
  app.onError((error, c) => {
    const http = toHttpError(error);
    if (http.status >= 500) c.get('logger')?.error({ err: error }, 'request failed');
    return c.json(errorBody(http, c.req.path.startsWith('/v1/')), http.status as 400, http.headers);
  });
  app.notFound((c) => c.json(errorBody(new HttpError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), c.req.path.startsWith('/v1/')), 404));

  // ---- public routes: health, the OpenAPI document, the web page (no collection data in any of them)
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/openapi.json', (c) => c.json(openApiDocument(options.version ?? '0.0.0')));
  app.get('/', (c) =>
    c.html(page.html, 200, {
      'Content-Security-Policy': `default-src 'none'; script-src 'sha256-${pageScriptHash}'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    }),
  );

  // ---- authentication, local-only mode, rate limiting
  app.use('*', async (c, next) => {
    if (c.req.method === 'OPTIONS') return next();
    if (!keys) {
      const address = getConnInfo(c).remote.address ?? '';
      const host = c.req.header('host') ?? '';
      if (!LOOPBACK_ADDRESS.test(address) || !LOOPBACK_HOST.test(host)) {
        throw new HttpError(403, 'FORBIDDEN', 'this server has no API keys, so it serves only local clients (127.0.0.1 / localhost); create a key to serve others');
      }
      c.set('principal', LOCAL_PRINCIPAL);
      return next();
    }
    const header = c.req.header('authorization');
    const presented = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? c.req.header('x-api-key');
    const principal = presented ? verifyApiKey(keys, presented) : undefined;
    if (!principal) throw new HttpError(401, presented ? 'INVALID_API_KEY' : 'MISSING_API_KEY', presented ? 'the API key is not valid' : 'an API key is required: send `Authorization: Bearer <key>`', { 'WWW-Authenticate': 'Bearer' });
    const wait = limiter.take(principal.id);
    if (wait > 0) throw new HttpError(429, 'RATE_LIMITED', `too many requests for this key; retry after ${wait} s`, { 'Retry-After': String(wait) });
    c.set('principal', principal);
    return next();
  });

  // ---- body limits (413): uploads get their own, larger limit
  const uploadLimit = sizeLimit(config.maxUploadBytes, () => { throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the upload is larger than ${config.maxUploadBytes} bytes`, { Connection: 'close' }); });
  const jsonLimit = sizeLimit(config.maxBodyBytes, () => { throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${config.maxBodyBytes} bytes`, { Connection: 'close' }); });
  app.use('*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    return (/^\/collections\/[^/]+\/documents\/?$/.test(c.req.path) && c.req.method === 'POST' ? uploadLimit : jsonLimit)(c, next);
  });

  app.get('/metrics', (c) => {
    const principal = c.get('principal');
    if (!hasScope(principal, '*', 'read')) throw new HttpError(403, 'FORBIDDEN', 'metrics name every collection: they need a key with read scope on "*"');
    return c.text(metrics.render(registry.sizes()), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.get('/generators', (c) => c.json({ generators, default: generators[0] }));

  // ---- collections
  const describe = (name: string, reader: Collection) => {
    const stats = reader.stats();
    return { name, documents: stats.documents, analyzer: stats.analyzer, segments: stats.segments, terms: stats.terms, last_seq: stats.lastSeq };
  };
  app.get('/collections', async (c) => {
    const principal = c.get('principal');
    const out = [];
    for (const name of registry.list()) {
      if (!canSee(principal, name)) continue;
      out.push(describe(name, await registry.reader(name)));
    }
    return c.json({ collections: out });
  });
  app.post('/collections', async (c) => {
    const body = await jsonBody(c, createCollectionSchema);
    const principal = c.get('principal');
    if (!hasScope(principal, body.name, 'write')) throw new HttpError(403, 'FORBIDDEN', `this key may not create collection "${body.name}" (it needs the "write" scope on that name or on "*")`);
    if (!registry.managesCollections) throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'this server serves a single collection (--index); start it with --root to create collections');
    await registry.create(body.name, { analyzer: body.analyzer, ...(body.chunking === false ? { chunking: false as const } : {}) });
    return c.json(describe(body.name, await registry.reader(body.name)), 201);
  });
  app.get('/collections/:collection', async (c) => {
    const name = c.req.param('collection');
    return c.json(describe(name, await readable(c, name)));
  });
  app.delete('/collections/:collection', async (c) => {
    const name = c.req.param('collection');
    await readable(c, name, 'write');
    if (!registry.managesCollections) throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'this server serves a single collection (--index); it cannot delete it');
    await registry.delete(name);
    return c.json({ deleted: name });
  });

  // ---- documents
  const checkAccessTags = (principal: Principal, metadata: Record<string, unknown> | undefined): Record<string, unknown> => {
    const out = { ...(metadata ?? {}) };
    if (!principal.tags) return out;
    if (out.access === undefined) out.access = [...principal.tags];
    const access = Array.isArray(out.access) ? out.access : [out.access];
    if (access.length === 0 || access.some((t) => typeof t !== 'string' || !principal.tags!.includes(t))) {
      throw new HttpError(403, 'FORBIDDEN', `documents written with this key must carry access tags among its own (${principal.tags.join(', ')})`);
    }
    return out;
  };

  const accepted = (c: AppContext, job: JobState) => c.json(job, 202, { Location: `/jobs/${job.id}` });

  app.post('/collections/:collection/documents', async (c) => {
    const name = c.req.param('collection');
    await readable(c, name, 'write');
    const principal = c.get('principal');
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('multipart/form-data')) return accepted(c, await uploadFiles(c, name, principal));
    if (!type.startsWith('application/json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send documents as application/json ({documents:[…]}) or multipart/form-data files, not "${type || 'no content type'}"`);
    const body = await jsonBody(c, uploadDocumentsSchema);
    const documents: DocumentInput[] = body.documents.map((d) => ({ id: d.id, title: d.title, text: d.text, metadata: checkAccessTags(principal, d.metadata) }));
    if (principal.tags) {
      // a tagged key may not replace a document it cannot see (ids are shared by every key of the collection)
      const hidden = (await (await registry.reader(name)).get(documents.map((d) => d.id))).filter((d) => !canSeeDocument(principal, d.metadata));
      if (hidden.length > 0) throw new HttpError(403, 'FORBIDDEN', `document id "${hidden[0]!.id}" is not writable with this key`);
    }
    const job = await registry.submit(name, 'documents', async ({ writer, progress, signal }) => {
      for (let i = 0; i < documents.length; i += 100) {
        if (signal.aborted) throw new RalmError('ABORTED', 'the server is shutting down; the job was rolled back');
        await writer.add(documents.slice(i, i + 100));
        progress(Math.min(documents.length, i + 100), documents.length);
        await yieldToEventLoop();
      }
      return { read: documents.length };
    });
    return accepted(c, job);
  });

  const uploadFiles = async (c: AppContext, name: string, principal: Principal): Promise<JobState> => {
    let form: Record<string, string | File | Array<string | File>>;
    try {
      form = (await c.req.parseBody({ all: true })) as typeof form;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, 'INVALID_MULTIPART', `the multipart body could not be read: ${(error as Error).message}`);
    }
    const files: File[] = [];
    for (const value of Object.values(form)) for (const item of Array.isArray(value) ? value : [value]) if (typeof item !== 'string') files.push(item);
    if (files.length === 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'the upload holds no file (send them in the multipart field "files")');
    if (files.length > MAX_FILES) throw new HttpError(400, 'INVALID_ARGUMENT', `at most ${MAX_FILES} files per upload`);
    const accessField = typeof form.access === 'string' ? form.access : undefined;
    const access = accessField ? accessField.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    const metadata = checkAccessTags(principal, access ? { access } : undefined);
    const names = new Set<string>();
    for (const file of files) {
      const fileName = file.name;
      if (!fileName || fileName.length > 255 || /[/\\\u0000-\u001f]/.test(fileName) || fileName === '.' || fileName === '..' || fileName.startsWith('..')) {
        throw new HttpError(400, 'INVALID_FILE_NAME', `file name ${JSON.stringify(fileName)} is not allowed: give a plain file name without folders or ".."`);
      }
      if (ARCHIVES.test(fileName)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `"${fileName}": archives are not extracted; upload the files themselves (supported: ${SUPPORTED_EXTENSIONS.join(' ')})`);
      const extension = /(\.[^.]+)(\.gz)?$/i.exec(fileName)?.[1]?.toLowerCase();
      if (!extension || !SUPPORTED_EXTENSIONS.includes(extension)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `"${fileName}": unsupported file type (supported: ${SUPPORTED_EXTENSIONS.join(' ')}, and their .gz)`);
      if (names.has(fileName)) throw new HttpError(400, 'INVALID_ARGUMENT', `"${fileName}" is uploaded twice`);
      names.add(fileName);
    }
    const folder = await mkdtemp(join(tmpdir(), 'ralm-upload-'));
    try {
      for (const file of files) {
        const target = resolve(folder, file.name);
        if (dirname(target) !== folder) throw new HttpError(400, 'INVALID_FILE_NAME', `file name ${JSON.stringify(file.name)} is not allowed`);
        await writeFile(target, new Uint8Array(await file.arrayBuffer()), { flag: 'wx' });
      }
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    return registry.submit(name, 'upload', async ({ writer, progress, problem, signal }) => {
      try {
        let read = 0;
        let problems = 0;
        const batch: DocumentInput[] = [];
        for await (const event of loadPaths([folder], { base: folder, respectGitignore: false, followSymlinks: false, maxDecompressedBytes: config.maxUploadBytes * 4 })) {
          if (signal.aborted) throw new RalmError('ABORTED', 'the server is shutting down; the job was rolled back');
          if (event.kind === 'document') {
            const document = event.document;
            if (principal.tags) {
              const [existing] = await writer.get([document.id]);
              if (existing && !canSeeDocument(principal, existing.metadata)) {
                problem(event.file.slice(folder.length + 1), `document id "${document.id}" is not writable with this key (skipped)`);
                problems++;
                continue;
              }
            }
            batch.push({ ...document, metadata: { ...(document.metadata ?? {}), ...metadata, source: event.file.slice(folder.length + 1) } });
            progress(++read);
            if (batch.length >= 100) await writer.add(batch.splice(0));
          } else if (event.kind === 'problem') {
            problems++;
            problem(event.problem.file.startsWith(folder) ? event.problem.file.slice(folder.length + 1) : event.problem.file, event.problem.reason);
          } else if (event.kind === 'skipped') {
            problems++;
            problem(event.file.startsWith(folder) ? event.file.slice(folder.length + 1) : event.file, event.reason);
          }
        }
        if (batch.length > 0) await writer.add(batch.splice(0));
        return { read, files: files.length, problems };
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
  };

  app.get('/collections/:collection/documents', async (c) => {
    const name = c.req.param('collection');
    const reader = await readable(c, name);
    const principal = c.get('principal');
    const offset = Number(c.req.query('offset') ?? 0);
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, 'INVALID_ARGUMENT', `offset must be an integer ≥ 0, got "${c.req.query('offset')}"`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'INVALID_ARGUMENT', `limit must be an integer between 1 and 1000, got "${c.req.query('limit')}"`);
    const documents: Array<{ id: string; title: string; metadata: Record<string, unknown> }> = [];
    let index = 0;
    let more = false;
    for (const d of reader.documents()) {
      if (!canSeeDocument(principal, d.metadata)) continue;
      if (index++ < offset) continue;
      if (documents.length === limit) {
        more = true;
        break;
      }
      documents.push({ id: d.id, title: d.title, metadata: d.metadata });
    }
    return c.json({ documents, offset, limit, next_offset: more ? offset + limit : null });
  });

  const visibleDocument = async (c: AppContext, reader: Collection, id: string) => {
    const [document] = await reader.get([id]);
    if (!document || !canSeeDocument(c.get('principal'), document.metadata)) throw new HttpError(404, 'NOT_FOUND', `document "${id}" does not exist`);
    return document;
  };

  app.get('/collections/:collection/documents/:id{.+}', async (c) => {
    const name = c.req.param('collection');
    const reader = await readable(c, name);
    const document = await visibleDocument(c, reader, c.req.param('id'));
    if ((c.req.header('accept') ?? '').includes('text/html')) {
      const start = Number(c.req.query('start'));
      const end = Number(c.req.query('end'));
      const span = Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start ? { start, end } : undefined;
      return c.html(documentPage({ collection: name, id: document.id, title: document.title, text: document.text, span }), 200, {
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
      });
    }
    return c.json({ id: document.id, title: document.title, text: document.text, metadata: document.metadata });
  });

  app.delete('/collections/:collection/documents/:id{.+}', async (c) => {
    const name = c.req.param('collection');
    const reader = await readable(c, name, 'write');
    const document = await visibleDocument(c, reader, c.req.param('id'));
    const job = await registry.submit(name, 'delete', async ({ writer }) => {
      await writer.delete([document.id]);
      return { id: document.id };
    });
    return accepted(c, job);
  });

  // ---- jobs
  const visibleJob = (c: AppContext): JobState => {
    const id = c.req.param('id') ?? '';
    const job = registry.job(id);
    if (!job || !canSee(c.get('principal'), job.collection)) throw new HttpError(404, 'NOT_FOUND', `job "${id}" does not exist`);
    return job;
  };
  app.get('/jobs/:id', (c) => c.json(visibleJob(c)));
  app.get('/jobs/:id/events', (c) => {
    const job = visibleJob(c);
    return streamSSE(c, async (stream) => {
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const listener = (state: JobState) => {
        void stream.writeSSE({ event: 'progress', data: sseData(state) });
        if (state.finished) resolveDone();
      };
      registry.events.on(`job:${job.id}`, listener);
      stream.onAbort(() => resolveDone());
      await stream.writeSSE({ event: 'progress', data: sseData(job) });
      if (job.finished) resolveDone();
      await done;
      registry.events.off(`job:${job.id}`, listener);
      if (!stream.aborted) await stream.writeSSE({ event: 'done', data: sseData(registry.job(job.id) ?? job) });
    });
  });

  // ---- search and ask
  const hitsFor = async (principal: Principal, reader: Collection, hits: SearchHit[]) => {
    const out = hits.map(({ text: _text, ordinal: _ordinal, ...hit }) => hit);
    if (!principal.tags) return out;
    const linked = [...new Set(out.flatMap((h) => (h.duplicates ?? []).map((d) => d.id)))];
    if (linked.length === 0) return out;
    const visible = new Set((await reader.get(linked)).filter((d) => canSeeDocument(principal, d.metadata)).map((d) => d.id));
    for (const hit of out) {
      if (!hit.duplicates) continue;
      const kept = hit.duplicates.filter((d) => visible.has(d.id));
      if (kept.length > 0) hit.duplicates = kept;
      else delete hit.duplicates;
    }
    return out;
  };

  app.post('/search', async (c) => {
    const body = await jsonBody(c, searchRequestSchema);
    const reader = await readable(c, body.collection);
    const principal = c.get('principal');
    const result = reader.searchNow(body.query, { k: body.k, explain: body.explain, group: body.group, filter: filterFor(principal, body.filter) });
    return c.json({ query: result.query, terms: result.terms, hits: await hitsFor(principal, reader, result.hits) });
  });

  app.post('/ask', async (c) => {
    const body = await jsonBody(c, askRequestSchema);
    const reader = await readable(c, body.collection);
    const principal = c.get('principal');
    const chosen = generator(body.generator);
    const controller = new AbortController();
    const requestSignal = c.req.raw.signal;
    requestSignal.addEventListener('abort', () => controller.abort(), { once: true });
    const askOptions: AskOptions = {
      generator: chosen.spec,
      filter: filterFor(principal, body.filter),
      signal: controller.signal,
      ...(body.k !== undefined ? { k: body.k } : {}),
      ...(body.max_sentences !== undefined ? { maxSentences: body.max_sentences } : {}),
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    };
    const publicResult = async (result: AskResult) => {
      const { messages: _messages, ...rest } = result;
      return { ...rest, citations: await citationsOf(body.collection, reader, result) };
    };
    if (!body.stream) {
      let result: AskResult | undefined;
      for await (const event of askStream(reader, body.question, askOptions)) if (event.type === 'finish') result = event.result;
      return c.json(await publicResult(result!));
    }
    const log = c.get('logger');
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => {
        controller.abort();
        log.info('ask stream aborted by the client; generation cancelled');
      });
      try {
        for await (const event of askStream(reader, body.question, askOptions)) {
          if (controller.signal.aborted) break;
          if (event.type === 'retrieval') await stream.writeSSE({ event: 'retrieval', data: sseData({ passages: event.passages }) });
          else if (event.type === 'text-delta') await stream.writeSSE({ event: 'text-delta', data: sseData({ text: event.text }) });
          else {
            const result = await publicResult(event.result);
            await stream.writeSSE({ event: 'citations', data: sseData({ citations: result.citations }) });
            await stream.writeSSE({ event: 'done', data: sseData(result) });
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        const http = toHttpError(error);
        await stream.writeSSE({ event: 'error', data: sseData(errorBody(http, false)) });
      }
    });
  });

  const ralmApp: RalmApp = {
    app,
    registry,
    metrics,
    generators,
    generator,
    citationsOf,
    readable,
    filterFor,
    embedderOf: (collection) => options.embedderOf?.(collection),
    close: () => registry.close(),
  };
  registerOpenAiRoutes(ralmApp);
  return ralmApp;
}

/**
 * A body size limit that decides from the Content-Length header when the request has one (Node's HTTP parser holds
 * the body to exactly that length), without touching the body; chunked bodies go through Hono's `bodyLimit`, which
 * counts the bytes as they arrive. (Hono's middleware reads `c.req.raw.body` first, which makes @hono/node-server
 * build a full WHATWG Request with an AbortSignal for every request: about a tenth of a /search under load.)
 */
function sizeLimit(maxSize: number, onError: () => never): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (!/^\d+$/.test(length.trim())) throw new HttpError(400, 'INVALID_ARGUMENT', 'the Content-Length header is not a number');
      if (Number(length) > maxSize) onError();
      return next();
    }
    return counting(c, next);
  };
}
