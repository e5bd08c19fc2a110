/** Request helpers shared by the API's routes. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from './errors.js';

/** Reads and validates a JSON body: 400 INVALID_JSON when it does not parse, 400 INVALID_ARGUMENT naming each wrong field. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'INVALID_JSON', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
    throw new HttpError(400, 'INVALID_ARGUMENT', `invalid request body: ${issues}`);
  }
  return parsed.data;
}

