/**
 * A scripted OpenAI chat-completions server for tests, on 127.0.0.1 and a random port. It speaks the wire format the
 * OpenAI API does: `chat.completion` objects, `chat.completion.chunk` SSE streams (`data: {…}` lines, a role chunk,
 * content chunks, a chunk with `finish_reason`, a usage chunk with empty `choices` when `stream_options.include_usage`
 * is set, then `data: [DONE]`), `logprobs.content[]` with `top_logprobs` when asked, and `{error:{message,type,param,code}}`
 * error bodies. Each request takes the next scripted {@link Reply}; the last one repeats.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A token with its log-probability, as the server reports it. */
export interface ScriptedToken {
  token: string;
  logprob: number;
}

/** What the server does with one request. */
export type Reply =
  | {
      kind: 'text';
      text: string;
      /** Explicit tokens (their concatenation should be `text`); default: `text` split before each space. */
      tokens?: ScriptedToken[];
      finishReason?: string;
      /** ms between stream chunks. */
      chunkDelayMs?: number;
      /** Stream only: send the `[DONE]` line (default true). */
      done?: boolean;
      /** Stream only: send the chunk with `finish_reason` (default true). */
      finish?: boolean;
      promptTokens?: number;
    }
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string> }
  /** Streams the first `afterTokens` tokens of `text`, then destroys the socket (no finish, no [DONE]). */
  | { kind: 'cut'; text: string; afterTokens: number; midLine?: boolean }
  /** Streams one valid chunk, then a `data:` line that is not JSON. */
  | { kind: 'malformed'; line: string }
  /** Waits `delayMs` before answering with `then`. */
  | { kind: 'slow'; delayMs: number; then: Reply }
  /** Closes the connection without any response. */
  | { kind: 'hangup' }
  /** Answers with an exact raw body (status 200, content type as given). */
  | { kind: 'raw'; body: string; contentType?: string };

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** Builders for the common replies. */
export const reply = {
  text: (text: string, options: Omit<Extract<Reply, { kind: 'text' }>, 'kind' | 'text'> = {}): Reply => ({ kind: 'text', text, ...options }),
  error: (status: number, message: string, type: string, code: string | null, headers?: Record<string, string>): Reply => ({
    kind: 'error',
    status,
    body: { error: { message, type, param: null, code } },
    ...(headers ? { headers } : {}),
  }),
  rateLimited: (retryAfterSeconds: number): Reply =>
    reply.error(429, 'Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded', { 'retry-after': String(retryAfterSeconds) }),
  serverError: (): Reply => reply.error(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null),
  unauthorized: (): Reply => reply.error(401, 'Incorrect API key provided: sk-wrong. You can find your API key at the dashboard.', 'invalid_request_error', 'invalid_api_key'),
  contextOverflow: (): Reply =>
    reply.error(
      400,
      "This model's maximum context length is 4096 tokens. However, your messages resulted in 5210 tokens. Please reduce the length of the messages.",
      'invalid_request_error',
      'context_length_exceeded',
    ),
  cut: (text: string, afterTokens: number, midLine = false): Reply => ({ kind: 'cut', text, afterTokens, midLine }),
  malformed: (line = '{"id":"chatcmpl-1","choices":[{"delta":{"content":"oops"'): Reply => ({ kind: 'malformed', line }),
  slow: (delayMs: number, then: Reply): Reply => ({ kind: 'slow', delayMs, then }),
  /** A "misbehaving" model: an answer that cites passage keys that were never supplied. */
  fabricatedCitations: (keys: string[] = ['7', '42']): Reply =>
    ({ kind: 'text', text: `The answer is certainly yes ${keys.map((k) => `[${k}]`).join(' ')}.` }),
};

/** A running test server. */
export interface OpenAITestServer {
  /** The API root to give the provider, e.g. `http://127.0.0.1:53124/v1`. */
  baseURL: string;
  /** Requests received so far. */
  requests: RecordedRequest[];
  /** Responses whose client went away before the server finished writing. */
  clientDisconnects: number;
  /** Replaces the script: request i takes replies[i] (the last repeats). */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with a random port. */
export async function startOpenAIServer(...replies: Reply[]): Promise<OpenAITestServer> {
  let script: Reply[] = replies.length > 0 ? replies : [reply.text('Hello.')];
  const sockets = new Set<import('node:net').Socket>();
  const state = { requests: [] as RecordedRequest[], clientDisconnects: 0 };

  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      } catch {
        /* recorded as {} */
      }
      const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      const index = state.requests.length;
      state.requests.push(recorded);
      const scripted = script[Math.min(index, script.length - 1)]!;
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        send(res, 404, { error: { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error', param: null, code: null } });
        return;
      }
      void answer(scripted, recorded, res, state);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get clientDisconnects() {
      return state.clientDisconnects;
    },
    script(...next: Reply[]) {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits text before each space: "The cat sat." → ["The", " cat", " sat."] with logprobs −0.1, −0.2, … */
export function defaultTokens(text: string): ScriptedToken[] {
  const pieces = text.match(/\s*\S+|\s+$/g) ?? [];
  return pieces.map((token, i) => ({ token, logprob: -Math.round((i + 1) * 10) / 100 }));
}

function logprobEntry(t: ScriptedToken, top: number) {
  const bytes = [...Buffer.from(t.token, 'utf8')];
  const alternatives = [{ token: t.token, logprob: t.logprob, bytes }];
  for (let k = 1; k < top; k++) {
    const alt = `${t.token}~${k}`;
    alternatives.push({ token: alt, logprob: t.logprob - k, bytes: [...Buffer.from(alt, 'utf8')] });
  }
  return { token: t.token, logprob: t.logprob, bytes, top_logprobs: top > 0 ? alternatives : [] };
}

function promptTokensOf(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  return messages.reduce((n, m) => n + Math.ceil(String(m.content ?? '').length / 4) + 4, 0);
}

async function answer(scripted: Reply, request: RecordedRequest, res: ServerResponse, state: { clientDisconnects: number }): Promise<void> {
  const body = request.body;
  const stream = body.stream === true;
  const includeUsage = stream && (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const wantLogprobs = body.logprobs === true;
  const top = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const model = String(body.model ?? 'test-model');
  const id = 'chatcmpl-test123';
  const created = 1_700_000_000;
  let gone = false;
  res.on('close', () => {
    if (!res.writableFinished) {
      gone = true;
      state.clientDisconnects++;
    }
  });

  switch (scripted.kind) {
    case 'slow':
      await sleep(scripted.delayMs);
      if (gone) return;
      return answer(scripted.then, request, res, state);
    case 'hangup':
      res.socket?.destroy();
      return;
    case 'raw':
      res.writeHead(200, { 'content-type': scripted.contentType ?? 'text/event-stream' });
      res.end(scripted.body);
      return;
    case 'error':
      send(res, scripted.status, scripted.body, scripted.headers);
      return;
    default:
      break;
  }

  const chunk = (delta: Record<string, unknown>, logprobs: unknown, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_test',
    choices: [{ index: 0, delta, logprobs, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const write = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);

  if (scripted.kind === 'malformed') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    write(chunk({ role: 'assistant', content: '' }, null, null));
    res.write(`data: ${scripted.line}\n\n`);
    res.end();
    return;
  }
  if (scripted.kind === 'cut') {
    const tokens = defaultTokens(scripted.text);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    write(chunk({ role: 'assistant', content: '' }, null, null));
    for (const t of tokens.slice(0, scripted.afterTokens)) write(chunk({ content: t.token }, null, null));
    if (scripted.midLine) res.write('data: {"id":"chatcmpl-test123","object":"chat.comp');
    await sleep(5);
    res.socket?.destroy();
    return;
  }

  // kind: 'text'
  const tokens = scripted.tokens ?? defaultTokens(scripted.text);
  const finishReason = scripted.finishReason ?? 'stop';
  const usage = {
    prompt_tokens: scripted.promptTokens ?? promptTokensOf(body),
    completion_tokens: tokens.length,
    total_tokens: (scripted.promptTokens ?? promptTokensOf(body)) + tokens.length,
  };
  if (!stream) {
    send(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: 'fp_test',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: scripted.text, refusal: null },
          logprobs: wantLogprobs ? { content: tokens.map((t) => logprobEntry(t, top)), refusal: null } : null,
          finish_reason: finishReason,
        },
      ],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  write(chunk({ role: 'assistant', content: '', refusal: null }, wantLogprobs ? { content: [], refusal: null } : null, null));
  for (const t of tokens) {
    if (gone) return;
    if (scripted.chunkDelayMs) await sleep(scripted.chunkDelayMs);
    if (gone) return;
    write(chunk({ content: t.token }, wantLogprobs ? { content: [logprobEntry(t, top)], refusal: null } : null, null));
  }
  if (scripted.finish !== false) write(chunk({}, null, finishReason));
  if (includeUsage) write({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_test', choices: [], usage });
  if (scripted.done !== false) res.write('data: [DONE]\n\n');
  res.end();
}
