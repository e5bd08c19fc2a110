/**
 * OpenAI-compatible endpoints: `GET /v1/models` (each collection × generator is a model: `ralm:<collection>` with
 * the default generator, `ralm:<collection>:<generator>` with another), `POST /v1/chat/completions` (the last user
 * message is the question; the answer's citations come in the extra field `ralm_citations` and as a final
 * "Sources:" block of the text; streamed as `chat.completion.chunk` events ending with `data: [DONE]`) and
 * `POST /v1/embeddings` (with the collection's embedder; 400 `no_embedder` when it has none).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { stream as streamBody } from 'hono/streaming';
import { askStream, type AskOptions, type AskResult } from '../engine/ask.js';
import { HttpError, errorBody, toHttpError } from './errors.js';
import { canSee } from './keys.js';
import { chatCompletionRequestSchema, embeddingsRequestSchema } from './schemas.js';
import type { AppContext, RalmApp } from './app.js';
import { jsonBody } from './http.js';

/** A model id's collection and generator (undefined generator: the default). */
export function parseModelId(model: string): { collection: string; generator?: string } | undefined {
  const match = /^ralm:([^:]+)(?::(.+))?$/.exec(model);
  if (!match) return undefined;
  return match[2] === undefined ? { collection: match[1]! } : { collection: match[1]!, generator: match[2] };
}

function modelNotFound(model: string): HttpError {
  return new HttpError(404, 'MODEL_NOT_FOUND', `The model \`${model}\` does not exist or you do not have access to it.`);
}

/** Text of a message's content (a string or an array of text parts). */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** The "Sources:" block appended to an answer: one line per cited passage. */
export function sourcesBlock(citations: Array<Record<string, unknown>>): string {
  if (citations.length === 0) return '';
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const c of citations) {
    const key = String(c.key);
    if (seen.has(key)) continue;
    seen.add(key);
    const lineRange = c.lines as [number, number];
    const where = lineRange[0] === lineRange[1] ? `line ${lineRange[0]}` : `lines ${lineRange[0]}–${lineRange[1]}`;
    lines.push(`[${key}] ${String(c.source ?? c.doc_id)} (${where})`);
  }
  return `\n\nSources:\n${lines.join('\n')}`;
}

/** Rough token count (4 characters a token), for the `usage` field when the generator reports none. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function registerOpenAiRoutes(ralm: RalmApp): void {
  const { app, registry } = ralm;

  app.get('/v1/models', (c) => {
    const principal = c.get('principal');
    const data: Array<Record<string, unknown>> = [];
    for (const name of registry.list()) {
      if (!canSee(principal, name)) continue;
      let created = 0;
      try {
        created = Math.floor(statSync(registry.single?.path ?? `${registry.root}/${name}`).birthtimeMs / 1000);
      } catch {
        // unknown
      }
      ralm.generators.forEach((generator, i) => {
        data.push({ id: i === 0 ? `ralm:${name}` : `ralm:${name}:${generator}`, object: 'model', created, owned_by: 'ralm' });
      });
    }
    return c.json({ object: 'list', data });
  });

  /** The collection and generator of a model id, or 404 model_not_found (also for a collection the key may not see). */
  const resolveModel = async (c: AppContext, model: string) => {
    const parsed = parseModelId(model);
    if (!parsed || !ralm.generators.includes(parsed.generator ?? ralm.generators[0]!)) throw modelNotFound(model);
    try {
      const reader = await ralm.readable(c, parsed.collection);
      return { ...parsed, reader, generator: ralm.generator(parsed.generator) };
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw modelNotFound(model);
      throw error;
    }
  };

  app.post('/v1/chat/completions', async (c) => {
    const body = await jsonBody(c, chatCompletionRequestSchema);
    const { collection, reader, generator } = await resolveModel(c, body.model);
    const question = contentText([...body.messages].reverse().find((m) => m.role === 'user')?.content);
    if (question.trim() === '') throw new HttpError(400, 'INVALID_ARGUMENT', 'messages must hold a user message with text: the last one is the question');
    const controller = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const options: AskOptions = { generator: generator.spec, filter: ralm.filterFor(c.get('principal'), undefined), signal: controller.signal };
    const id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
    const created = Math.floor(Date.now() / 1000);
    const usageOf = (result: AskResult, answer: string) => {
      const prompt = result.usage?.inputTokens ?? estimateTokens(question);
      const completion = result.usage?.outputTokens ?? estimateTokens(answer);
      return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    };

    if (!body.stream) {
      let result: AskResult | undefined;
      for await (const event of askStream(reader, question, options)) if (event.type === 'finish') result = event.result;
      const citations = await ralm.citationsOf(collection, reader, result!);
      const content = result!.answer + sourcesBlock(citations);
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        system_fingerprint: null,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: usageOf(result!, content),
        ralm_citations: citations,
      });
    }

    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
    c.header('Content-Type', 'text/event-stream; charset=utf-8');
    c.header('Cache-Control', 'no-cache');
    c.header('Connection', 'keep-alive');
    return streamBody(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      try {
        await stream.write(chunk({ role: 'assistant', content: '' }, null));
        for await (const event of askStream(reader, question, options)) {
          if (controller.signal.aborted) return;
          if (event.type === 'text-delta') await stream.write(chunk({ content: event.text }, null));
          else if (event.type === 'finish') {
            const citations = await ralm.citationsOf(collection, reader, event.result);
            const sources = sourcesBlock(citations);
            if (sources) await stream.write(chunk({ content: sources }, null));
            await stream.write(chunk({}, 'stop', { ralm_citations: citations }));
            if (body.stream_options?.include_usage) {
              await stream.write(
                `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: null, choices: [], usage: usageOf(event.result, event.result.answer + sources) })}\n\n`,
              );
            }
          }
        }
        await stream.write('data: [DONE]\n\n');
      } catch (error) {
        if (controller.signal.aborted) return;
        await stream.write(`data: ${JSON.stringify(errorBody(toHttpError(error), true))}\n\n`);
      }
    });
  });

  app.post('/v1/embeddings', async (c) => {
    const body = await jsonBody(c, embeddingsRequestSchema);
    const parsed = parseModelId(body.model);
    if (!parsed || parsed.generator !== undefined) throw modelNotFound(body.model);
    try {
      await ralm.readable(c, parsed.collection);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw modelNotFound(body.model);
      throw error;
    }
    const embedder = ralm.embedderOf(parsed.collection);
    if (!embedder) throw new HttpError(400, 'NO_EMBEDDER', `collection ${parsed.collection} has no embedder`);
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const vectors = await embedder.embed(texts, { kind: 'passage', signal: c.req.raw.signal });
    const tokens = texts.reduce((sum, t) => sum + estimateTokens(t), 0);
    return c.json({
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector),
      })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });
}
