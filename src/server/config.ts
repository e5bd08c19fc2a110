/**
 * The server's configuration: one zod schema, filled from (lowest to highest precedence) the defaults, a JSON
 * config file, `RALM_*` environment variables and command-line flags.
 *
 * @example
 * ```ts
 * const config = resolveServerConfig({ file: 'ralm-server.json', env: process.env, flags: { port: 9000 } });
 * ```
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { RalmError } from '../core/errors.js';

/** Schema of the server configuration (also the shape of the JSON config file; every key optional). */
export const serverConfigSchema = z
  .object({
    /** Address to bind; anything but loopback needs at least one API key. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port (0: any free port). */
    port: z.number().int().min(0).max(65535).default(8080),
    /** A folder of collections: each subfolder holding `collection.sqlite` is one collection. */
    root: z.string().min(1).optional(),
    /** A single collection folder (served under its folder name); exclusive with `root`. */
    index: z.string().min(1).optional(),
    /** The API keys file (JSON, hashed keys); absent or empty: only local clients are served. */
    keysFile: z.string().min(1).optional(),
    /** Origins allowed by CORS (`*` for any); empty: CORS off (default). */
    corsOrigins: z.array(z.string().min(1)).default([]),
    /** Largest JSON request body in bytes (413 above). */
    maxBodyBytes: z.number().int().positive().default(1024 * 1024),
    /** Largest upload (multipart or JSON documents) in bytes (413 above). */
    maxUploadBytes: z.number().int().positive().default(32 * 1024 * 1024),
    /** Requests per minute per API key (token bucket; 0 turns rate limiting off). */
    rateLimitPerMinute: z.number().int().min(0).default(1200),
    /** Requests a key may make at once above the steady rate. */
    rateLimitBurst: z.number().int().min(1).default(120),
    /** Generators offered (`extractive`, `openai:<model>`, `llama:<file>`); the first is the default. */
    generators: z.array(z.string().min(1)).min(1).default(['extractive']),
    /** Endpoint of `openai:<model>` generators (default: `$RALM_BASE_URL`, `$OPENAI_BASE_URL`, OpenAI's). */
    baseURL: z.string().url().optional(),
    /** Milliseconds a client may take to send the request headers (slowloris guard). */
    headersTimeoutMs: z.number().int().positive().default(10_000),
    /** Milliseconds a client may take to send a whole request. */
    requestTimeoutMs: z.number().int().positive().default(60_000),
    /** Milliseconds between the checks of the two timeouts above. */
    connectionsCheckingIntervalMs: z.number().int().positive().default(1_000),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .refine((c) => !(c.root && c.index), { message: 'give either `root` (a folder of collections) or `index` (one collection), not both' });

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/** `RALM_*` variable → config key, with its parser. */
const ENV: Record<string, { key: keyof ServerConfig; parse: (value: string) => unknown }> = {
  RALM_HOST: { key: 'host', parse: (v) => v },
  RALM_PORT: { key: 'port', parse: Number },
  RALM_ROOT: { key: 'root', parse: (v) => v },
  RALM_INDEX: { key: 'index', parse: (v) => v },
  RALM_KEYS_FILE: { key: 'keysFile', parse: (v) => v },
  RALM_CORS_ORIGINS: { key: 'corsOrigins', parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  RALM_MAX_BODY_BYTES: { key: 'maxBodyBytes', parse: Number },
  RALM_MAX_UPLOAD_BYTES: { key: 'maxUploadBytes', parse: Number },
  RALM_RATE_LIMIT_PER_MINUTE: { key: 'rateLimitPerMinute', parse: Number },
  RALM_RATE_LIMIT_BURST: { key: 'rateLimitBurst', parse: Number },
  RALM_GENERATORS: { key: 'generators', parse: (v) => v.split(',').map((s) => s.trim()).filter(Boolean) },
  RALM_LOG_LEVEL: { key: 'logLevel', parse: (v) => v },
};

/** Options of {@link resolveServerConfig}. */
export interface ResolveServerConfigOptions {
  /** A JSON config file; relative paths inside it are resolved against its folder. */
  file?: string;
  /** Environment variables (only `RALM_*` ones listed in the README are read). */
  env?: Record<string, string | undefined>;
  /** Command-line flags (highest precedence); undefined values are ignored. */
  flags?: Partial<ServerConfigInput>;
}

/**
 * Merges defaults, file, environment and flags and validates the result; a bad value is a RalmError naming
 * where it came from.
 * @example resolveServerConfig({ flags: { root: 'collections', port: 0 } }).port // 0
 */
export function resolveServerConfig(options: ResolveServerConfigOptions = {}): ServerConfig {
  const merged: Record<string, unknown> = {};
  const sources: string[] = [];
  if (options.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(options.file, 'utf8'));
    } catch (error) {
      throw new RalmError('INVALID_ARGUMENT', `config file ${options.file}: ${(error as Error).message}`, { file: options.file, cause: error });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RalmError('INVALID_ARGUMENT', `config file ${options.file}: expected a JSON object`);
    const base = dirname(resolve(options.file));
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      merged[key] = (key === 'root' || key === 'index' || key === 'keysFile') && typeof value === 'string' && !isAbsolute(value) ? resolve(base, value) : value;
    }
    sources.push(`config file ${options.file}`);
  }
  for (const [name, { key, parse }] of Object.entries(ENV)) {
    const value = options.env?.[name];
    if (value !== undefined && value !== '') {
      merged[key] = parse(value);
      sources.push(name);
    }
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) if (value !== undefined) merged[key] = value;
  if (merged.root !== undefined && options.flags?.index !== undefined) delete merged.root; // a flag overrides a configured alternative
  if (merged.index !== undefined && options.flags?.root !== undefined) delete merged.index;
  const result = serverConfigSchema.safeParse(merged);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new RalmError('INVALID_ARGUMENT', `invalid server configuration (${sources.length ? `from ${sources.join(', ')} and flags` : 'from flags'}): ${issues}`);
  }
  return result.data;
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
