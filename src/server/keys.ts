/**
 * API keys. A key is shown once, when created (`ralm_<id>_<secret>`); the keys file stores only its id, a random
 * salt and SHA-256(salt ‖ secret), plus what the key may do: per-collection scopes (`read`, `write`; the collection
 * `*` stands for every collection) and, optionally, access tags (a key with tags sees only documents whose
 * `metadata.access` shares a tag with it, and documents without `access`).
 *
 * @example
 * ```ts
 * const { key, record } = createApiKey({ name: 'ci', scopes: { docs: ['read'] }, tags: ['public'] });
 * saveKeysFile('keys.json', { version: 1, keys: [record] });
 * const keys = loadKeysFile('keys.json');
 * verifyApiKey(keys, key)?.name; // 'ci'
 * ```
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { RalmError } from '../core/errors.js';

export const scopeSchema = z.enum(['read', 'write']);
export type Scope = z.infer<typeof scopeSchema>;

export const apiKeyRecordSchema = z
  .object({
    id: z.string().regex(/^[a-f0-9]{12}$/),
    name: z.string().min(1),
    salt: z.string().regex(/^[a-f0-9]{32}$/),
    /** hex SHA-256 of salt bytes followed by the secret's UTF-8 bytes. */
    hash: z.string().regex(/^[a-f0-9]{64}$/),
    scopes: z.record(z.string().min(1), z.array(scopeSchema).min(1)),
    /** Access tags; absent: the key sees every document of the collections it may read. */
    tags: z.array(z.string().min(1)).optional(),
    created: z.string(),
  })
  .strict();
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export const keysFileSchema = z.object({ version: z.literal(1), keys: z.array(apiKeyRecordSchema) }).strict();
export type KeysFile = z.infer<typeof keysFileSchema>;

/** The caller a request acts for. `local` is the unauthenticated loopback client of a server without keys. */
export interface Principal {
  kind: 'key' | 'local';
  /** The key's id (for rate limiting and logs); `local` for the loopback client. */
  id: string;
  name: string;
  scopes: Record<string, Scope[]>;
  tags?: string[];
}

/** The loopback client of a server without keys: every scope on every collection, no tag restriction. */
export const LOCAL_PRINCIPAL: Principal = { kind: 'local', id: 'local', name: 'local', scopes: { '*': ['read', 'write'] } };

function hashSecret(salt: string, secret: string): Buffer {
  return createHash('sha256').update(Buffer.from(salt, 'hex')).update(secret, 'utf8').digest();
}

/**
 * Creates a key: the secret to hand to the user (shown once) and the record to store.
 * @example createApiKey({ name: 'reader', scopes: { '*': ['read'] } }).key.startsWith('ralm_') // true
 */
export function createApiKey(options: { name: string; scopes: Record<string, Scope[]>; tags?: string[]; now?: Date }): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  const record = apiKeyRecordSchema.parse({
    id,
    name: options.name,
    salt,
    hash: hashSecret(salt, secret).toString('hex'),
    scopes: options.scopes,
    ...(options.tags ? { tags: options.tags } : {}),
    created: (options.now ?? new Date()).toISOString(),
  });
  return { key: `ralm_${id}_${secret}`, record };
}

/** Reads a keys file (a missing file is an empty one). */
export function loadKeysFile(path: string): KeysFile {
  if (!existsSync(path)) return { version: 1, keys: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RalmError('PARSE', `keys file ${path}: ${(error as Error).message}`, { file: path, cause: error });
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) throw new RalmError('FORMAT', `keys file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file: path });
  return parsed.data;
}

/** Writes a keys file atomically (temporary file + rename), readable by its owner only. */
export function saveKeysFile(path: string, keys: KeysFile): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(keysFileSchema.parse(keys), null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * The principal of a presented key, or undefined when the key is unknown or wrong (constant-time comparison).
 * @example verifyApiKey(keys, request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '')
 */
export function verifyApiKey(keys: KeysFile, presented: string): Principal | undefined {
  const match = /^ralm_([a-f0-9]{12})_([A-Za-z0-9_-]{1,128})$/.exec(presented);
  if (!match) return undefined;
  const record = keys.keys.find((k) => k.id === match[1]);
  if (!record) return undefined;
  const expected = Buffer.from(record.hash, 'hex');
  const actual = hashSecret(record.salt, match[2]!);
  if (!timingSafeEqual(expected, actual)) return undefined;
  return { kind: 'key', id: record.id, name: record.name, scopes: record.scopes, ...(record.tags ? { tags: record.tags } : {}) };
}

/** Whether `principal` holds `scope` on `collection` (directly or through `*`). */
export function hasScope(principal: Principal, collection: string, scope: Scope): boolean {
  return !!(principal.scopes[collection]?.includes(scope) || principal.scopes['*']?.includes(scope));
}

/** Whether `principal` may see `collection` at all (any scope). */
export function canSee(principal: Principal, collection: string): boolean {
  return hasScope(principal, collection, 'read') || hasScope(principal, collection, 'write');
}

/**
 * The metadata filter (JSON form) that limits a tagged principal to the documents it may see: `metadata.access`
 * shares a tag with the key, or the document has no `access`. Undefined for an unrestricted principal.
 */
export function accessFilter(principal: Principal): Record<string, unknown> | undefined {
  if (!principal.tags) return undefined;
  return { or: [{ access: { in: [...principal.tags] } }, { not: { access: { exists: true } } }] };
}

/** Whether a document's metadata lets `principal` see it (the same rule as {@link accessFilter}). */
export function canSeeDocument(principal: Principal, metadata: Record<string, unknown> | undefined): boolean {
  if (!principal.tags) return true;
  const access = metadata?.access;
  const values = Array.isArray(access) ? access : access === undefined || access === null ? [] : [access];
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return true;
  return present.some((v) => principal.tags!.includes(v as string));
}
