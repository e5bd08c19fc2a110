/**
 * `ralm serve` (the HTTP server) and `ralm keys` (its API keys). Configuration comes from one zod schema, filled by
 * a JSON file (`--config`), `RALM_*` environment variables and the flags, in that order of precedence.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RalmError } from '../core/errors.js';
import type { Scope, ServerConfigInput } from '../server/index.js';

/** The server modules (hono, zod, pino …) load only when a serve or keys command runs: other commands start faster. */
const server = () => import('../server/index.js');

function version(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be an integer between 0 and 65535, got "${value}"`);
  return n;
}

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function scopeOption(value: string, previous: Record<string, Scope[]> = {}): Record<string, Scope[]> {
  const match = /^([^:]+):((?:read|write)(?:,(?:read|write))*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--scope must look like <collection>:read or <collection>:read,write ("*" for every collection), got "${value}"`);
  return { ...previous, [match[1]!]: [...new Set([...(previous[match[1]!] ?? []), ...(match[2]!.split(',') as Scope[])])] };
}

interface ServeFlags {
  index?: string;
  root?: string;
  port?: number;
  host?: string;
  config?: string;
  keys?: string;
  cors?: string[];
  generator?: string[];
  logLevel?: string;
}

/**
 * Adds `serve` and `keys` to the program.
 * @example
 * ```ts
 * const program = new Command();
 * registerServeCommand(program);
 * await program.parseAsync(['node', 'ralm', 'serve', '--root', 'collections']);
 * ```
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve collections over HTTP: REST API, OpenAI-compatible /v1, web page at /, metrics (binds 127.0.0.1 by default)')
    .option('-i, --index <dir>', 'serve one collection folder')
    .option('--root <folder>', 'serve a folder of collections (each subfolder holding collection.sqlite); the default: the current folder')
    .option('-p, --port <port>', 'TCP port (default 8080; 0: any free port)', port)
    .option('--host <address>', 'address to bind (default 127.0.0.1; any other needs API keys)')
    .option('--config <file>', 'JSON config file (keys of the server config schema; see the README)')
    .option('--keys <file>', 'API keys file (create keys with `ralm keys create`)')
    .option('--cors <origins>', 'allow these origins (comma-separated, or *); CORS is off by default', list)
    .option('--generator <spec>', 'offer this generator (repeatable; the first is the default): extractive, openai:<model>, llama:<file>', list)
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action(async (flags: ServeFlags) => {
      const input: Partial<ServerConfigInput> = {
        index: flags.index,
        root: flags.root,
        port: flags.port,
        host: flags.host,
        keysFile: flags.keys,
        corsOrigins: flags.cors,
        generators: flags.generator,
        logLevel: flags.logLevel as ServerConfigInput['logLevel'],
      };
      const { resolveServerConfig, startServer } = await server();
      const config = resolveServerConfig({ file: flags.config, env: process.env, flags: input });
      if (!config.root && !config.index) config.root = process.cwd();
      const running = await startServer({ config, version: version() });
      process.stderr.write(`ralm: serving ${config.index ?? config.root} at ${running.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolvePromise) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`ralm: ${signal} again: exiting now\n`);
            process.exit(130);
          }
          stopping = true;
          process.stderr.write(`ralm: ${signal}: finishing in-flight requests, rolling back a running ingest, closing collections…\n`);
          running.close().then(resolvePromise, (error: unknown) => {
            process.stderr.write(`ralm: shutdown failed: ${(error as Error).message}\n`);
            resolvePromise();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  const keys = program.command('keys').description('Manage the API keys of `ralm serve` (stored hashed: SHA-256 with a salt)');
  keys
    .command('create')
    .description('Create a key; it is printed once and cannot be recovered')
    .requiredOption('--keys <file>', 'the keys file (created when missing)')
    .requiredOption('--scope <collection:scopes>', 'e.g. docs:read or docs:read,write; "*" for every collection (repeatable)', scopeOption)
    .option('--name <name>', 'a label for the key', 'key')
    .option('--tag <tags>', 'access tags: the key sees only documents whose metadata.access shares one (repeatable, comma-separated)', list)
    .action(async (options: { keys: string; scope: Record<string, Scope[]>; name: string; tag?: string[] }) => {
      const { createApiKey, loadKeysFile, saveKeysFile } = await server();
      const file = loadKeysFile(options.keys);
      const { key, record } = createApiKey({ name: options.name, scopes: options.scope, ...(options.tag ? { tags: options.tag } : {}) });
      saveKeysFile(options.keys, { version: 1, keys: [...file.keys, record] });
      process.stdout.write(`${key}\n`);
      process.stderr.write(`ralm: key ${record.id} ("${record.name}") added to ${options.keys}; it is shown only this once\n`);
    });
  keys
    .command('list')
    .description('List keys (ids, names, scopes, tags; never secrets)')
    .requiredOption('--keys <file>', 'the keys file')
    .action(async (options: { keys: string }) => {
      const { loadKeysFile } = await server();
      for (const k of loadKeysFile(options.keys).keys) {
        const scopes = Object.entries(k.scopes).map(([c, s]) => `${c}:${s.join(',')}`).join(' ');
        process.stdout.write(`${k.id}  ${k.name}  ${scopes}${k.tags ? `  tags=${k.tags.join(',')}` : ''}  ${k.created}\n`);
      }
    });
  keys
    .command('revoke <id>')
    .description('Remove a key')
    .requiredOption('--keys <file>', 'the keys file')
    .action(async (id: string, options: { keys: string }) => {
      const { loadKeysFile, saveKeysFile } = await server();
      const file = loadKeysFile(options.keys);
      const kept = file.keys.filter((k) => k.id !== id);
      if (kept.length === file.keys.length) throw new RalmError('NOT_FOUND', `no key with id ${id} in ${options.keys}`);
      saveKeysFile(options.keys, { version: 1, keys: kept });
      process.stderr.write(`ralm: key ${id} revoked (a running server reads keys at start: restart it)\n`);
    });
}
