/**
 * `ralm serve`: the HTTP API (collections, documents, ingest jobs, search, grounded answers), the OpenAI-compatible
 * endpoints, metrics, the OpenAPI document and the web page.
 *
 * @example
 * ```ts
 * import { resolveServerConfig, startServer } from './server/index.js';
 * const running = await startServer({ config: resolveServerConfig({ flags: { root: 'collections', port: 8080 } }) });
 * ```
 */
export { startServer, type StartServerOptions, type RunningServer } from './server.js';
export { createApp, type AppOptions, type RalmApp, type EmbedderLike, type LanguageModelLike } from './app.js';
export { resolveServerConfig, serverConfigSchema, isLoopbackHost, type ServerConfig, type ServerConfigInput } from './config.js';
export { createApiKey, loadKeysFile, saveKeysFile, verifyApiKey, type ApiKeyRecord, type KeysFile, type Principal, type Scope } from './keys.js';
export { openApiDocument } from './schemas.js';
export { renderMarkdown } from './markdown.js';
export { RateLimiter } from './rate-limit.js';
export { Metrics } from './metrics.js';
