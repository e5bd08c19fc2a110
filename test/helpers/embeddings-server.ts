/**
 * A scripted OpenAI `/v1/embeddings` server for tests, on 127.0.0.1 and a random port. It answers
 * `{object:'list', data:[{object:'embedding', index, embedding}], model, usage}` with deterministic vectors derived
 * from each input text (so the same text always gets the same vector), or with the scripted failure of the next
 * {@link EmbeddingReply}; after the script runs out it answers normally.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with one request. */
export type EmbeddingReply =
  | { kind: 'ok' }
  | { kind: 'error'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'raw'; body: string }
  /** A normal answer, altered: wrong dimension, a NaN (sent as null), reversed order, a missing item. */
  | { kind: 'wrong-dimension' }
  | { kind: 'nan' }
  | { kind: 'reversed' }
  | { kind: 'missing-item' };

/** One request as received. */
export interface RecordedEmbeddingRequest {
  headers: IncomingMessage['headers'];
  body: { model?: string; input?: string[]; dimensions?: number; encoding_format?: string };
}

/** A running server; `close()` stops it. */
export interface EmbeddingsServer {
  baseURL: string;
  requests: RecordedEmbeddingRequest[];
  /** Replies for the next requests, consumed in order. */
  script: EmbeddingReply[];
  close(): Promise<void>;
}

/** The server's vector of `text`: `dimensions` values in [−1, 1) from SHA-256 of the text, L2-normalised. */
export function serverVector(text: string, dimensions: number): number[] {
  const out: number[] = [];
  let block = 0;
  while (out.length < dimensions) {
    const digest = createHash('sha256').update(`${block++}\u0000${text}`).digest();
    for (let i = 0; i + 1 < digest.length && out.length < dimensions; i += 2) out.push(digest.readUInt16LE(i) / 32768 - 1);
  }
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

/** Starts the server; vectors have `dimensions` components (default 8). */
export async function startEmbeddingsServer(options: { dimensions?: number; script?: EmbeddingReply[] } = {}): Promise<EmbeddingsServer> {
  const dimensions = options.dimensions ?? 8;
  const requests: RecordedEmbeddingRequest[] = [];
  const state = { script: [...(options.script ?? [])] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as RecordedEmbeddingRequest['body'];
      requests.push({ headers: req.headers, body });
      const reply = state.script.shift() ?? { kind: 'ok' };
      const answer = (data: unknown[]) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
      };
      const input = body.input ?? [];
      const d = body.dimensions ?? dimensions;
      const items = input.map((text, index) => ({ object: 'embedding', index, embedding: serverVector(text, d) as Array<number | null> }));
      switch (reply.kind) {
        case 'error':
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(JSON.stringify({ error: { message: reply.message, type: 'server_error', param: null, code: null } }));
          return;
        case 'slow':
          setTimeout(() => answer(items), reply.delayMs);
          return;
        case 'raw':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(reply.body);
          return;
        case 'wrong-dimension':
          items[items.length - 1]!.embedding.push(0.5);
          return answer(items);
        case 'nan':
          items[items.length - 1]!.embedding[0] = null;
          return answer(items);
        case 'reversed':
          return answer(items.reverse());
        case 'missing-item':
          return answer(items.slice(1));
        default:
          return answer(items);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get script() {
      return state.script;
    },
    set script(value) {
      state.script = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
