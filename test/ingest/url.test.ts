import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPaths } from '../../src/ingest/files.js';
import { addressRisk, fetchUrl, loadUrl, type UrlEvent, type UrlLoadOptions } from '../../src/ingest/loaders/url.js';
import { collect, documentsOf, problemLines } from './builders.js';

// Every request in this file goes to a loopback server; refused addresses are refused before any connection.
let server: Server;
let base: string;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    hits.push(path);
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': type, ...headers });
      response.end(body);
    };
    switch (path) {
      case '/page.html':
        return send(200, 'text/html; charset=utf-8', '<title>Loopback Page</title><h1>Hello</h1><script>x()</script><p>served locally</p>');
      case '/notes.txt':
        return send(200, 'text/plain', 'plain notes');
      case '/redirect':
        return send(302, 'text/plain', '', { location: '/page.html' });
      case '/loop':
        return send(302, 'text/plain', '', { location: '/loop' });
      case '/to-loopback':
        return send(302, 'text/plain', '', { location: `http://127.0.0.2:${port}/page.html` });
      case '/to-metadata':
        return send(301, 'text/plain', '', { location: 'http://169.254.169.254/latest/meta-data/' });
      case '/sitemap.xml':
        return send(200, 'application/xml', `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <sitemap><loc>${base}/pages.xml</loc></sitemap><sitemap><loc>http://other.example/sitemap.xml</loc></sitemap></sitemapindex>`);
      case '/pages.xml':
        return send(200, 'text/xml', `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <url><loc>${base}/page.html</loc></url><url><loc>${base}/notes.txt</loc></url><url><loc>${base}/missing</loc></url>
          <url><loc>${base}/page.html#again</loc></url><url><loc>http://other.example/x.html</loc></url></urlset>`);
      case '/big': {
        response.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no content-length
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < 40 && response.write(chunk)) sent++;
          if (sent < 40) response.once('drain', pump);
          else response.end();
        };
        response.on('error', () => undefined);
        return pump();
      }
      case '/slow':
        return; // never answers
      default:
        return send(404, 'text/plain', 'not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const allow: UrlLoadOptions = { allowPrivateNetwork: true };
const events = async (url: string, options: UrlLoadOptions) => {
  const out: UrlEvent[] = [];
  for await (const event of loadUrl(url, options)) out.push(event);
  return out;
};

describe('addressRisk', () => {
  it('classifies refused address ranges and lets public addresses through', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', undefined],
      ['192.168.1.1', 'private'],
      ['fc00::1', 'private'],
      ['fdab:1234::1', 'private'],
      ['169.254.1.1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['169.254.169.254', 'cloud metadata'],
      ['fd00:ec2::254', 'cloud metadata'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['100.64.0.1', 'CGNAT (shared)'],
      ['100.127.255.254', 'CGNAT (shared)'],
      ['100.128.0.1', undefined],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['64:ff9b::a00:1', 'private'],
      ['2002:a9fe:a9fe::', 'cloud metadata'],
      ['255.255.255.255', 'reserved'],
      ['8.8.8.8', undefined],
      ['93.184.216.34', undefined],
      ['2606:4700:4700::1111', undefined],
      ['not-an-ip', 'unparsable'],
    ];
    for (const [address, risk] of cases) expect(addressRisk(address), address).toBe(risk);
  });
});

describe('URL loader on a loopback server (allowPrivateNetwork: true)', () => {
  it('loads one HTML page through a redirect', async () => {
    const out = await events(`${base}/redirect`, allow);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      kind: 'document',
      url: `${base}/redirect`,
      document: { title: 'Loopback Page', text: 'Hello\n\nserved locally', metadata: { url: `${base}/page.html`, type: 'html' } },
    });
  });

  it('follows a sitemap index to its pages, same site only, each page once; a missing page is a problem', async () => {
    const out = await events(`${base}/sitemap.xml`, allow);
    const docs = out.filter((e) => e.kind === 'document').map((e) => e.kind === 'document' && [e.url, e.document.title, e.document.text]);
    expect(docs).toEqual([
      [`${base}/page.html`, 'Loopback Page', 'Hello\n\nserved locally'],
      [`${base}/notes.txt`, 'notes', 'plain notes'],
    ]);
    expect(out.filter((e) => e.kind === 'problem')).toEqual([{ kind: 'problem', url: `${base}/missing`, reason: 'HTTP 404', code: 'IO' }]);
    expect(out.filter((e) => e.kind === 'skipped').map((e) => e.url)).toEqual(['http://other.example/sitemap.xml', 'http://other.example/x.html']);
    const capped = await events(`${base}/sitemap.xml`, { ...allow, maxSitemapPages: 1 });
    expect(capped.filter((e) => e.kind === 'document')).toHaveLength(1);
    expect(capped.at(-1)).toMatchObject({ kind: 'problem', reason: 'sitemap lists more than 1 pages; the rest were not loaded (raise maxSitemapPages)' });
  });

  it('caps: response size (streamed), total time, redirects', async () => {
    await expect(fetchUrl(`${base}/big`, { ...allow, maxResponseBytes: 100_000 })).rejects.toMatchObject({
      reason: 'response is larger than the limit of 100000 bytes (raise maxResponseBytes)',
    });
    const started = performance.now();
    await expect(fetchUrl(`${base}/slow`, { ...allow, timeoutMs: 300 })).rejects.toMatchObject({ reason: 'timed out after 0.3 s' });
    expect(performance.now() - started).toBeLessThan(3000);
    await expect(fetchUrl(`${base}/loop`, { ...allow, maxRedirects: 3 })).rejects.toMatchObject({ reason: 'too many redirects (more than 3)' });
  });

  it('loadPaths takes URLs: ids are the URLs, problems are one line', async () => {
    const result = await collect(loadPaths([`${base}/page.html`, `${base}/missing`], { allowPrivateNetwork: true }));
    expect(Object.keys(documentsOf(result))).toEqual([`${base}/page.html`]);
    expect(documentsOf(result)[`${base}/page.html`]!.sections!.map((s) => s.title)).toEqual(['Hello']);
    expect(problemLines(result)).toEqual([`${base}/missing: HTTP 404`]);
  });
});

describe('SSRF protection (default options)', () => {
  it('refuses loopback, localhost, [::1] and the metadata address before connecting', async () => {
    const before = hits.length;
    const refused = [
      [`${base}/page.html`, `refused to fetch 127.0.0.1: a loopback address (set allowPrivateNetwork to allow private networks)`],
      [`http://localhost:${port}/page.html`, /^refused to fetch localhost \((127\.0\.0\.1|::1)\): a loopback address/],
      [`http://[::1]:${port}/page.html`, 'refused to fetch ::1: a loopback address (set allowPrivateNetwork to allow private networks)'],
      ['http://169.254.169.254/latest/meta-data/', 'refused to fetch 169.254.169.254: a cloud metadata address (set allowPrivateNetwork to allow private networks)'],
    ] as const;
    for (const [url, reason] of refused) {
      const result = await collect(loadPaths([url]));
      expect(result).toHaveLength(1);
      expect(result[0]!.kind).toBe('problem');
      if (result[0]!.kind === 'problem') {
        expect(result[0]!.problem.file).toBe(url);
        expect(result[0]!.problem.reason).toMatch(typeof reason === 'string' ? new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : reason);
        expect(result[0]!.problem.code).toBe('SECURITY');
      }
    }
    expect(hits.length).toBe(before); // nothing reached the server
  });

  it('checks every redirect again: a public-looking first hop redirecting to loopback or metadata is refused', async () => {
    // 127.0.0.1 is allowed explicitly (standing in for a public server); its redirect targets are not.
    const options: UrlLoadOptions = { allowAddresses: ['127.0.0.1'] };
    await expect(fetchUrl(`${base}/to-loopback`, options)).rejects.toMatchObject({
      reason: `redirect to http://127.0.0.2:${port}/page.html refused: refused to fetch 127.0.0.2: a loopback address (set allowPrivateNetwork to allow private networks)`,
      problemCode: 'SECURITY',
    });
    await expect(fetchUrl(`${base}/to-metadata`, options)).rejects.toMatchObject({ reason: expect.stringContaining('refused to fetch 169.254.169.254: a cloud metadata address') });
    await expect(fetchUrl(`${base}/redirect`, options)).resolves.toMatchObject({ url: `${base}/page.html` });
  });

  it('pins the checked address: the host is resolved once per hop, a rebinding answer is never used', async () => {
    let calls = 0;
    const resolve = async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]);
    const page = await fetchUrl(`http://rebind.test:${port}/page.html`, { allowAddresses: ['127.0.0.1'], resolve });
    expect(page.status).toBe(200);
    expect(calls).toBe(1);
    // a host with any refused address is refused
    const mixed = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
    await expect(fetchUrl('http://mixed.test/', { resolve: mixed })).rejects.toMatchObject({ reason: expect.stringContaining('mixed.test (10.0.0.7): a private address') });
  });
});
