/**
 * http(s) URLs: one page (loaded by the loader its content type or path names, usually HTML) or a sitemap
 * (`<urlset>` / `<sitemapindex>`, nested sitemaps followed, same site only).
 *
 * Server-side request forgery protection: every host is resolved with `dns.lookup` (all addresses) and refused when
 * any address is loopback, private, link-local, unspecified, multicast, CGNAT, reserved or a cloud metadata endpoint,
 * unless `allowPrivateNetwork` is set. The checked address is **pinned** for the connection (a custom `lookup` hands it
 * to `http.request`), so a DNS rebinding between the check and the connection cannot switch it, and the check is
 * repeated on every redirect. Caps: response size (streamed, aborted past the cap), total time, redirects, pages per
 * sitemap.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { chooseLoader, LOADERS } from './index.js';
import { LoadError, reasonOf, type LoadedDocument, type LoaderOptions, type LoadProblemCode } from './types.js';

/**
 * Options of {@link fetchUrl} and {@link loadUrl}; every limit has a safe default.
 *
 * @example
 * ```ts
 * const options: UrlLoadOptions = { maxResponseBytes: 2_000_000, timeoutMs: 5_000, maxSitemapPages: 200 };
 * ```
 */
export interface UrlLoadOptions {
  /** Allow loopback, private, link-local … addresses (default false). Needed for intranet sites and tests. */
  allowPrivateNetwork?: boolean;
  /** Addresses allowed even though they are private (an intranet proxy), compared as written by `dns.lookup`. */
  allowAddresses?: readonly string[];
  /** Largest response body, in bytes (default 10 MB); larger responses are aborted while streaming. */
  maxResponseBytes?: number;
  /** Total time for one URL including redirects, in ms (default 15 000). */
  timeoutMs?: number;
  /** Redirects followed per URL (default 5). */
  maxRedirects?: number;
  /** Pages loaded from one sitemap, nested sitemaps included (default 1000). */
  maxSitemapPages?: number;
  /** The User-Agent header (default `ralm`). */
  userAgent?: string;
  /** Resolves a host name to all its addresses (default `dns.lookup(host, { all: true })`); a seam for tests. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
  /** Options for the loader that reads each page. */
  loaderOptions?: LoaderOptions;
  /** Cancels the fetches. */
  signal?: AbortSignal;
}

/**
 * The defaults of {@link UrlLoadOptions}.
 *
 * @example
 * ```ts
 * URL_DEFAULTS.maxRedirects; // 5
 * ```
 */
export const URL_DEFAULTS = {
  allowPrivateNetwork: false,
  maxResponseBytes: 10 * 1024 * 1024,
  timeoutMs: 15_000,
  maxRedirects: 5,
  maxSitemapPages: 1000,
  userAgent: 'ralm',
} as const;

/**
 * A fetched response: the final URL after redirects, the status, the content type and the body.
 *
 * @example
 * ```ts
 * const page: FetchedPage = { url: 'https://example.org/', status: 200, contentType: 'text/html', bytes: new Uint8Array() };
 * ```
 */
export interface FetchedPage {
  url: string;
  status: number;
  contentType: string;
  bytes: Uint8Array;
}

/**
 * What {@link loadUrl} yields: a page's document, a problem (one line), or a skipped sitemap entry.
 *
 * @example
 * ```ts
 * const event: UrlEvent = { kind: 'problem', url: 'http://127.0.0.1/', reason: '127.0.0.1 is a loopback address …', code: 'SECURITY' };
 * ```
 */
export type UrlEvent =
  | { kind: 'document'; url: string; document: LoadedDocument }
  | { kind: 'problem'; url: string; reason: string; code: LoadProblemCode }
  | { kind: 'skipped'; url: string; reason: string };

// ---------------------------------------------------------------------------------------------------------------
// Address classification

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(input: string): number[] | undefined {
  let text = input.replace(/^\[|\]$/g, '');
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.includes('.')) {
    // A trailing dotted IPv4 part (::ffff:127.0.0.1) becomes two hexadecimal words.
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const word of words) {
    if (!/^[0-9a-f]{1,4}$/i.test(word)) return undefined;
    const value = parseInt(word, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}

function classifyIpv4([a, b, c, d]: number[]): string | undefined {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'cloud metadata';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'cloud metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b! >= 64 && b! <= 127) return 'CGNAT (shared)';
  if (a! >= 224 && a! <= 239) return 'multicast';
  if (a! >= 240) return 'reserved';
  if ((a === 192 && b === 0 && c === 0) || (a === 198 && (b === 18 || b === 19))) return 'reserved';
  return undefined;
}

/**
 * Why `address` may not be fetched (`'loopback'`, `'private'`, `'link-local'`, `'cloud metadata'`, `'unspecified'`,
 * `'multicast'`, `'CGNAT (shared)'`, `'reserved'`), or `undefined` for a public address. IPv4 addresses embedded in
 * IPv6 (`::ffff:127.0.0.1`, NAT64, 6to4) are judged by their IPv4 part; an address that does not parse is refused.
 *
 * @example
 * ```ts
 * addressRisk('169.254.169.254'); // 'cloud metadata'
 * addressRisk('::ffff:10.0.0.1'); // 'private'
 * addressRisk('93.184.216.34'); // undefined
 * ```
 */
export function addressRisk(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4) return classifyIpv4(v4);
  const v6 = parseIpv6(address);
  if (!v6 || v6.length !== 16) return 'unparsable';
  const zeroUpTo = (n: number) => v6.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && v6[15] === 1) return 'loopback';
  const embedded = v6.slice(12);
  if (zeroUpTo(10) && v6[10] === 0xff && v6[11] === 0xff) return classifyIpv4(embedded); // IPv4-mapped
  if (zeroUpTo(12)) return classifyIpv4(embedded) ?? 'reserved'; // IPv4-compatible (deprecated)
  if (v6[0] === 0x00 && v6[1] === 0x64 && v6[2] === 0xff && v6[3] === 0x9b && v6.slice(4, 12).every((x) => x === 0)) return classifyIpv4(embedded); // NAT64
  if (v6[0] === 0x20 && v6[1] === 0x02) return classifyIpv4(v6.slice(2, 6)); // 6to4
  const metadata = [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54];
  if (v6.every((x, i) => x === metadata[i])) return 'cloud metadata';
  if ((v6[0]! & 0xfe) === 0xfc) return 'private';
  if (v6[0] === 0xfe && (v6[1]! & 0xc0) === 0x80) return 'link-local';
  if (v6[0] === 0xfe && (v6[1]! & 0xc0) === 0xc0) return 'private'; // site-local (deprecated)
  if (v6[0] === 0xff) return 'multicast';
  return undefined;
}

interface Pinned {
  address: string;
  family: number;
}

async function resolveChecked(url: URL, options: UrlLoadOptions): Promise<Pinned> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  const literal = isIP(hostname);
  if (literal) addresses = [{ address: hostname, family: literal }];
  else {
    try {
      addresses = options.resolve ? await options.resolve(hostname) : await dnsLookup(hostname, { all: true, verbatim: true });
    } catch (error) {
      throw new LoadError('IO', url.href, `cannot resolve host "${hostname}": ${reasonOf(error)}`, { cause: error });
    }
  }
  if (addresses.length === 0) throw new LoadError('IO', url.href, `host "${hostname}" has no address`);
  if (!options.allowPrivateNetwork) {
    for (const { address } of addresses) {
      if (options.allowAddresses?.includes(address)) continue;
      const risk = addressRisk(address);
      if (risk) {
        const shown = address === hostname ? address : `${hostname} (${address})`;
        throw new LoadError('SECURITY', url.href, `refused to fetch ${shown}: ${/^[aeiou]/i.test(risk) ? 'an' : 'a'} ${risk} address (set allowPrivateNetwork to allow private networks)`);
      }
    }
  }
  return { address: addresses[0]!.address, family: addresses[0]!.family };
}

function pinnedLookup(pinned: Pinned): LookupFunction {
  const lookup = (_hostname: string, options: { all?: boolean } | number | undefined, callback: (...args: unknown[]) => void) => {
    if (typeof options === 'object' && options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  return lookup as unknown as LookupFunction;
}

// ---------------------------------------------------------------------------------------------------------------
// Fetching

/**
 * Fetches one URL with the SSRF checks, the pinned address, redirects (each checked again) and the size and time caps.
 * Rejects with a `LoadError` (`SECURITY`, `LIMIT`, `IO`) whose reason is one line.
 *
 * @example
 * ```ts
 * const page = await fetchUrl('https://example.org/', { timeoutMs: 5000 });
 * page.contentType; // 'text/html'
 * ```
 */
export async function fetchUrl(url: string, options: UrlLoadOptions = {}): Promise<FetchedPage> {
  const timeoutMs = options.timeoutMs ?? URL_DEFAULTS.timeoutMs;
  const maxRedirects = options.maxRedirects ?? URL_DEFAULTS.maxRedirects;
  const deadline = Date.now() + timeoutMs;
  let current: URL;
  try {
    current = new URL(url);
  } catch (error) {
    throw new LoadError('PARSE', url, 'not a valid URL', { cause: error });
  }
  for (let redirects = 0; ; redirects++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new LoadError('UNSUPPORTED', url, `only http and https URLs are fetched, not ${current.protocol}`);
    }
    let pinned: Pinned;
    try {
      pinned = await resolveChecked(current, options);
    } catch (error) {
      if (redirects > 0 && error instanceof LoadError) {
        throw new LoadError(error.problemCode, url, `redirect to ${current.href} refused: ${error.reason}`, { cause: error });
      }
      throw error;
    }
    const response = await request(current, pinned, options, deadline, url, timeoutMs);
    if (response.status >= 300 && response.status < 400 && response.location !== undefined) {
      if (redirects >= maxRedirects) throw new LoadError('LIMIT', url, `too many redirects (more than ${maxRedirects})`);
      try {
        current = new URL(response.location, current);
      } catch (error) {
        throw new LoadError('PARSE', url, `bad redirect location "${response.location}"`, { cause: error });
      }
      continue;
    }
    if (response.status >= 400) throw new LoadError('IO', url, `HTTP ${response.status}${current.href !== url ? ` from ${current.href}` : ''}`);
    return { url: current.href, status: response.status, contentType: response.contentType, bytes: response.bytes };
  }
}

interface RawResponse {
  status: number;
  location?: string;
  contentType: string;
  bytes: Uint8Array;
}

function request(url: URL, pinned: Pinned, options: UrlLoadOptions, deadline: number, original: string, timeoutMs: number): Promise<RawResponse> {
  const maxBytes = options.maxResponseBytes ?? URL_DEFAULTS.maxResponseBytes;
  return new Promise<RawResponse>((resolvePromise, reject) => {
    let settled = false;
    const finish = (error: LoadError | undefined, value?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolvePromise(value!);
    };
    const remaining = deadline - Date.now();
    const timer = setTimeout(() => finish(new LoadError('LIMIT', original, `timed out after ${timeoutMs / 1000} s`)), Math.max(0, remaining));
    const onAbort = () => finish(new LoadError('IO', original, 'aborted'));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      lookup: pinnedLookup(pinned),
      headers: { 'user-agent': options.userAgent ?? URL_DEFAULTS.userAgent, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-encoding': 'gzip, deflate, br' },
    });
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => finish(new LoadError('IO', original, `cannot fetch ${url.href}: ${reasonOf(error)}`, { cause: error })));
    req.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      const contentType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        return finish(undefined, { status, location, contentType, bytes: new Uint8Array() });
      }
      const tooLarge = () => new LoadError('LIMIT', original, `response is larger than the limit of ${maxBytes} bytes (raise maxResponseBytes)`);
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return finish(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return finish(tooLarge());
        chunks.push(chunk);
      });
      response.on('error', (error) => finish(new LoadError('IO', original, `cannot read ${url.href}: ${reasonOf(error)}`, { cause: error })));
      response.on('end', () => {
        let body = Buffer.concat(chunks);
        const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase();
        try {
          if (encoding === 'gzip' || encoding === 'x-gzip') body = gunzipSync(body, { maxOutputLength: maxBytes });
          else if (encoding === 'deflate') body = inflateSync(body, { maxOutputLength: maxBytes });
          else if (encoding === 'br') body = brotliDecompressSync(body, { maxOutputLength: maxBytes });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return finish(tooLarge());
          return finish(new LoadError('IO', original, `cannot decode ${encoding} response: ${reasonOf(error)}`, { cause: error }));
        }
        finish(undefined, { status, contentType, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
      });
    });
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Pages and sitemaps

const BY_CONTENT_TYPE: Readonly<Record<string, string>> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

function isSitemap(page: FetchedPage): boolean {
  if (!/xml/.test(page.contentType) && !/\.xml(\.gz)?$/i.test(new URL(page.url).pathname)) return false;
  const head = new TextDecoder().decode(page.bytes.subarray(0, 2048));
  return /<(urlset|sitemapindex)[\s>]/.test(head);
}

function sitemapEntries(xml: string): { pages: string[]; sitemaps: string[] } {
  const pages: string[] = [];
  const sitemaps: string[] = [];
  const stack: string[] = [];
  let loc = '';
  const parser = new Parser(
    {
      onopentag(name) {
        stack.push(name.toLowerCase().replace(/^.*:/, ''));
        if (stack.at(-1) === 'loc') loc = '';
      },
      ontext(text) {
        if (stack.at(-1) === 'loc') loc += text;
      },
      onclosetag() {
        const name = stack.pop();
        if (name === 'loc' && loc.trim()) (stack.at(-1) === 'sitemap' ? sitemaps : pages).push(loc.trim());
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return { pages, sitemaps };
}

async function loadPage(url: string, page: FetchedPage, options: UrlLoadOptions, issues: Array<{ reason: string }>): Promise<LoadedDocument[]> {
  const byType = LOADERS.find((loader) => loader.name === BY_CONTENT_TYPE[page.contentType]);
  const path = new URL(page.url).pathname;
  const loader = byType ?? chooseLoader(path.endsWith('/') ? `${path}index.html` : path, page.bytes.subarray(0, 8192));
  if (!loader) throw new LoadError('UNSUPPORTED', url, `unsupported content type "${page.contentType || 'none'}"`);
  const documents = await loader.load(
    { bytes: page.bytes, path: page.url, contentType: page.contentType, onIssue: (issue) => issues.push(issue) },
    options.loaderOptions ?? {},
  );
  for (const document of documents) {
    document.metadata = { ...document.metadata, url: page.url, contentType: page.contentType, type: loader.name };
  }
  return documents;
}

function withoutFragment(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

/**
 * Loads a URL: a page becomes its documents; a sitemap's pages (same host only, nested sitemaps followed, at most
 * `maxSitemapPages`) each become documents. Never throws for a bad page: it yields a `problem` event and goes on.
 *
 * @example
 * ```ts
 * for await (const event of loadUrl('https://example.org/sitemap.xml')) {
 *   if (event.kind === 'document') console.log(event.url, event.document.title);
 *   else if (event.kind === 'problem') console.error(`${event.url}: ${event.reason}`);
 * }
 * ```
 */
export async function* loadUrl(url: string, options: UrlLoadOptions = {}): AsyncGenerator<UrlEvent> {
  const maxPages = options.maxSitemapPages ?? URL_DEFAULTS.maxSitemapPages;
  let first: FetchedPage;
  try {
    first = await fetchUrl(url, options);
  } catch (error) {
    yield problem(url, error);
    return;
  }
  if (!isSitemap(first)) {
    yield* pageEvents(url, first, options);
    return;
  }
  const site = new URL(first.url).host.toLowerCase();
  const seenSitemaps = new Set<string>([withoutFragment(url), withoutFragment(first.url)]);
  const seenPages = new Set<string>();
  const queue: FetchedPage[] = [first];
  let loaded = 0;
  while (queue.length > 0) {
    const sitemap = queue.shift()!;
    const { pages, sitemaps } = sitemapEntries(new TextDecoder().decode(sitemap.bytes));
    for (const entry of sitemaps) {
      const target = sameSite(entry, sitemap.url, site);
      if (typeof target !== 'string' || seenSitemaps.has(target)) {
        if (typeof target !== 'string') yield { kind: 'skipped', url: entry, reason: target.reason };
        continue;
      }
      seenSitemaps.add(target);
      try {
        const nested = await fetchUrl(target, options);
        if (isSitemap(nested)) queue.push(nested);
        else yield { kind: 'problem', url: target, reason: 'listed as a sitemap but is not one', code: 'PARSE' };
      } catch (error) {
        yield problem(target, error);
      }
    }
    for (const entry of pages) {
      const target = sameSite(entry, sitemap.url, site);
      if (typeof target !== 'string') {
        yield { kind: 'skipped', url: entry, reason: target.reason };
        continue;
      }
      if (seenPages.has(target)) continue;
      if (loaded >= maxPages) {
        yield { kind: 'problem', url, reason: `sitemap lists more than ${maxPages} pages; the rest were not loaded (raise maxSitemapPages)`, code: 'LIMIT' };
        return;
      }
      seenPages.add(target);
      loaded++;
      try {
        yield* pageEvents(target, await fetchUrl(target, options), options);
      } catch (error) {
        yield problem(target, error);
      }
    }
  }
}

function sameSite(entry: string, base: string, site: string): string | { reason: string } {
  let target: URL;
  try {
    target = new URL(entry, base);
  } catch {
    return { reason: 'not a valid URL' };
  }
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.host.toLowerCase() !== site) {
    return { reason: `not on the sitemap's site (${site})` };
  }
  return withoutFragment(target.href);
}

async function* pageEvents(url: string, page: FetchedPage, options: UrlLoadOptions): AsyncGenerator<UrlEvent> {
  const issues: Array<{ reason: string; line?: number }> = [];
  let documents: LoadedDocument[];
  try {
    documents = await loadPage(url, page, options, issues);
  } catch (error) {
    yield problem(url, error);
    return;
  }
  for (const issue of issues) yield { kind: 'problem', url, reason: issue.line ? `line ${issue.line}: ${issue.reason}` : issue.reason, code: 'PARSE' };
  for (const document of documents) yield { kind: 'document', url: withoutFragment(url), document };
}

function problem(url: string, error: unknown): UrlEvent {
  return { kind: 'problem', url, reason: reasonOf(error), code: error instanceof LoadError ? error.problemCode : 'IO' };
}
