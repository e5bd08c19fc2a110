/**
 * Starts the HTTP server: the Hono app on Node's http server, with the slowloris guards (`headersTimeout`,
 * `requestTimeout`), the bind rule (no keys → loopback only, refused otherwise) and a graceful shutdown.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import { RalmError } from '../core/errors.js';
import { createApp, type EmbedderLike, type LanguageModelLike, type RalmApp } from './app.js';
import { isLoopbackHost, type ServerConfig } from './config.js';
import { loadKeysFile, type KeysFile } from './keys.js';
import { createKeyHint } from './schemas.js';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  config: ServerConfig;
  /** Keys (default: read from `config.keysFile`). */
  keys?: KeysFile;
  logger?: Logger;
  generators?: Record<string, LanguageModelLike>;
  embedderOf?: (collection: string) => EmbedderLike | undefined;
  version?: string;
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port` */
  url: string;
  port: number;
  server: Server;
  ralm: RalmApp;
  /**
   * Stops accepting connections, lets in-flight requests finish (up to `graceMs`, then closes what is left),
   * rolls back a running ingest job, and closes every collection.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts a server; resolves once it listens.
 * @example
 * ```ts
 * const running = await startServer({ config: resolveServerConfig({ flags: { root: 'collections', port: 0 } }) });
 * console.log(running.url);
 * await running.close();
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options;
  const keys = options.keys ?? (config.keysFile ? loadKeysFile(config.keysFile) : undefined);
  const keyCount = keys?.keys.length ?? 0;
  if (!isLoopbackHost(config.host) && keyCount === 0) {
    throw new RalmError(
      'INVALID_ARGUMENT',
      `refusing to bind ${config.host} without API keys: anyone who can reach it could read and change every collection. Bind 127.0.0.1, or ${createKeyHint} and start with --config/--keys pointing at it`,
    );
  }
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'ralm' } });
  const ralm = createApp({ config, keys, logger, generators: options.generators, embedderOf: options.embedderOf, version: options.version });
  const server = createAdaptorServer({
    fetch: ralm.app.fetch,
    serverOptions: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: config.connectionsCheckingIntervalMs,
      keepAliveTimeout: 5_000,
    },
  }) as Server;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url, collections: config.root ?? config.index, keys: keyCount, mode: keyCount ? 'api keys' : 'local clients only' }, 'ralm server listening');

  let closing: Promise<void> | undefined;
  const close = (closeOptions: { graceMs?: number } = {}): Promise<void> => {
    closing ??= (async () => {
      const graceMs = closeOptions.graceMs ?? 10_000;
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
      await ralm.close();
      logger.info('ralm server stopped');
    })();
    return closing;
  };
  return { url, port, server, ralm, close };
}
