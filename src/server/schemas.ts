/**
 * Request and response schemas of the HTTP API (zod), and the OpenAPI document generated from them. The route
 * table below is the single description of the API: handlers validate with these schemas and `/openapi.json`
 * is rendered from the same table.
 */
import { z } from 'zod';

const filter = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .describe('Metadata filter, applied inside the top-k: the filter language (`year >= 2020`) or its JSON form ({"year":{"gte":2020}})');

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export const openAiErrorSchema = z.object({ error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }) });

export const createCollectionSchema = z
  .object({
    name: z.string().min(1).max(64),
    analyzer: z.string().optional().describe('english, cjk, plain, auto (default)'),
    chunking: z.literal(false).optional().describe('false: index each document whole'),
  })
  .strict();

export const collectionSchema = z.object({
  name: z.string(),
  documents: z.number().int(),
  analyzer: z.string(),
  segments: z.number().int(),
  terms: z.number().int(),
  last_seq: z.number().int(),
});

export const documentInputSchema = z
  .object({
    id: z.string().min(1).max(1024),
    title: z.string().optional(),
    text: z.string(),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Any JSON; `access` (array of tags) limits which keys see the document'),
  })
  .strict();

export const uploadDocumentsSchema = z.object({ documents: z.array(documentInputSchema).min(1).max(100_000) }).strict();

export const documentSchema = z.object({ id: z.string(), title: z.string(), text: z.string(), metadata: z.record(z.string(), z.unknown()) });

export const jobSchema = z.object({
  id: z.string(),
  collection: z.string(),
  kind: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: z.object({ documents: z.number().int(), total: z.number().int().optional() }),
  problems: z.array(z.object({ file: z.string(), reason: z.string() })),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  created: z.string(),
  finished: z.string().optional(),
});

export const searchRequestSchema = z
  .object({
    collection: z.string().min(1),
    query: z.string().min(1).max(10_000),
    mode: z.enum(['bm25']).default('bm25').describe('retrieval mode; dense and hybrid arrive with embedders'),
    k: z.number().int().min(1).max(1000).default(10),
    filter: filter.optional(),
    explain: z.boolean().default(false),
    group: z.enum(['document', 'chunk']).default('document'),
  })
  .strict();

export const searchHitSchema = z.object({
  rank: z.number().int(),
  id: z.string(),
  score: z.number(),
  chunk: z.number().int(),
  title: z.string().optional(),
  snippet: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  start: z.number().int().optional(),
  end: z.number().int().optional(),
  headingPath: z.array(z.string()).optional(),
  page: z.number().int().optional(),
  explanation: z.unknown().optional(),
  duplicates: z.array(z.object({ id: z.string(), chunk: z.number().int(), start: z.number().int(), end: z.number().int() })).optional(),
});

export const searchResponseSchema = z.object({
  query: z.string(),
  terms: z.array(z.object({ term: z.string(), boost: z.number() })),
  hits: z.array(searchHitSchema),
});

export const askRequestSchema = z
  .object({
    collection: z.string().min(1),
    question: z.string().min(1).max(10_000),
    k: z.number().int().min(1).max(100).optional(),
    generator: z.string().optional().describe('one of the server\'s generators (GET /generators); default the first'),
    mode: z.enum(['bm25']).default('bm25'),
    filter: filter.optional(),
    max_sentences: z.number().int().min(1).max(20).optional(),
    stream: z.boolean().default(true).describe('true: Server-Sent Events (retrieval, text-delta…, citations, done); false: one JSON'),
  })
  .strict();

export const citationSchema = z.object({
  key: z.string(),
  doc_id: z.string(),
  chunk_id: z.number().int(),
  source: z.string().optional(),
  start: z.number().int(),
  end: z.number().int(),
  lines: z.tuple([z.number().int(), z.number().int()]),
  heading_path: z.array(z.string()).optional(),
  page: z.number().int().optional(),
  text: z.string(),
  context_before: z.string().describe('document text just before the cited span (for display)'),
  context_after: z.string(),
  url: z.string().describe('the document: GET it (Accept: text/html shows the span highlighted)'),
});

export const askResponseSchema = z.object({
  question: z.string(),
  answer: z.string(),
  no_answer: z.boolean(),
  citations: z.array(citationSchema),
  retrieval: z.array(z.record(z.string(), z.unknown())),
  generator: z.string(),
  unknown_citations: z.array(z.string()),
  timings: z.record(z.string(), z.number()),
});

const chatContent = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()]);
export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).describe('ralm:<collection> (default generator) or ralm:<collection>:<generator>'),
    messages: z.array(z.object({ role: z.string(), content: chatContent.optional() }).passthrough()).min(1),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
  })
  .passthrough()
  .describe('OpenAI chat completions; the last user message is the question; other OpenAI fields are accepted and ignored');

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
    encoding_format: z.enum(['float', 'base64']).optional(),
  })
  .passthrough();

export const createKeyHint = 'create keys with `ralm keys create --keys <file> --scope <collection>:read,write [--tag t]`';

/** One route of the API, for the OpenAPI document. */
interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  request?: z.ZodType;
  multipart?: boolean;
  response?: z.ZodType;
  responseType?: string;
  openAi?: boolean;
}

export const routes: RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness: 200 {status:"ok"}', response: z.object({ status: z.string() }) },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', responseType: 'text/plain' },
  { method: 'get', path: '/openapi.json', summary: 'This document' },
  { method: 'get', path: '/collections', summary: 'Collections the key may see', response: z.object({ collections: z.array(collectionSchema) }) },
  { method: 'post', path: '/collections', summary: 'Create a collection (write scope on its name)', request: createCollectionSchema, response: collectionSchema },
  { method: 'get', path: '/collections/{collection}', summary: 'Stats of a collection', response: collectionSchema },
  { method: 'delete', path: '/collections/{collection}', summary: 'Delete a collection and its folder', response: z.object({ deleted: z.string() }) },
  {
    method: 'post',
    path: '/collections/{collection}/documents',
    summary: 'Upload documents: JSON {documents:[…]} or multipart files (field "files"; optional "access" tags, comma-separated) → 202 with an ingest job',
    request: uploadDocumentsSchema,
    multipart: true,
    response: jobSchema,
  },
  {
    method: 'get',
    path: '/collections/{collection}/documents',
    summary: 'List documents (?offset, ?limit ≤ 1000): ids, titles, metadata',
    response: z.object({ documents: z.array(documentSchema.omit({ text: true })), offset: z.number(), limit: z.number(), next_offset: z.number().nullable() }),
  },
  { method: 'get', path: '/collections/{collection}/documents/{id}', summary: 'One document (Accept: text/html → a page, ?start&end highlighted)', response: documentSchema },
  { method: 'delete', path: '/collections/{collection}/documents/{id}', summary: 'Delete a document → 202 with a job', response: jobSchema },
  { method: 'get', path: '/jobs/{id}', summary: 'An ingest job and its progress', response: jobSchema },
  { method: 'get', path: '/jobs/{id}/events', summary: 'Server-Sent Events: `progress` (the job) until `done`', responseType: 'text/event-stream' },
  { method: 'get', path: '/generators', summary: 'Generators offered', response: z.object({ generators: z.array(z.string()), default: z.string() }) },
  { method: 'post', path: '/search', summary: 'BM25 search', request: searchRequestSchema, response: searchResponseSchema },
  {
    method: 'post',
    path: '/ask',
    summary: 'A grounded answer with citations: SSE events `retrieval`, `text-delta`*, `citations`, `done` (stream:true) or one JSON',
    request: askRequestSchema,
    response: askResponseSchema,
  },
  { method: 'get', path: '/v1/models', summary: 'OpenAI: each collection × generator is a model (ralm:<collection>[:<generator>])', openAi: true },
  {
    method: 'post',
    path: '/v1/chat/completions',
    summary: 'OpenAI chat completions (stream and non-stream); citations in the extra field `ralm_citations` and as a final "Sources:" block',
    request: chatCompletionRequestSchema,
    openAi: true,
  },
  { method: 'post', path: '/v1/embeddings', summary: 'OpenAI embeddings with a collection\'s embedder (400 when it has none)', request: embeddingsRequestSchema, openAi: true },
];

function schema(type: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(type, { target: 'openapi-3.0', io, unrepresentable: 'any' });
}

/**
 * The OpenAPI 3.0 document of the API, generated from the zod schemas.
 * @example openApiDocument('0.1.0').paths['/search'].post.requestBody
 */
export function openApiDocument(version: string): Record<string, unknown> & { paths: Record<string, Record<string, unknown>> } {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const content: Record<string, unknown> = {};
    if (route.request) content['application/json'] = { schema: schema(route.request, 'input') };
    if (route.multipart) content['multipart/form-data'] = { schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } }, access: { type: 'string' } } } };
    const error = { description: 'error', content: { 'application/json': { schema: schema(route.openAi ? openAiErrorSchema : errorSchema, 'output') } } };
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(Object.keys(content).length ? { requestBody: { required: true, content } } : {}),
      responses: {
        '200': {
          description: 'success',
          ...(route.response ? { content: { 'application/json': { schema: schema(route.response, 'output') } } } : route.responseType ? { content: { [route.responseType]: {} } } : {}),
        },
        '4XX': error,
      },
      ...(route.path === '/healthz' || route.path === '/openapi.json' ? {} : { security: [{ bearer: [] }] }),
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'ralm', version, description: `Retrieval-augmented generation over collections. Authentication: \`Authorization: Bearer <key>\` (${createKeyHint}); a server without keys serves loopback clients only.` },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
