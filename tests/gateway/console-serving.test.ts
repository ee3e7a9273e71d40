/**
 * The gateway serving the web console as static files (gateway/receive/static-files.ts), at the
 * HTTP level, on a small fixture of a built console: content types, caching (immutable hashed
 * assets, no-cache + ETag/304 for pages), the security headers, path traversal, methods, CORS,
 * CONSOLE=off, and Apollo's landing page replaced by a JSON answer.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToyFederation, type ToyFederation } from '../harness/toy-federation.ts';

const INLINE = "document.documentElement.dataset.ready='1';";
const INDEX = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Console</title>
<script>${INLINE}</script><script type="module" src="/assets/app-K3Q7ZP2A.js"></script></head><body></body></html>`;
const APP = `console.log(${JSON.stringify('x'.repeat(4000))});`;

type ErrorBody = { errors: { message: string; extensions: { code: string } }[] };
type ProductsBody = { data: { products: { id: string }[] } };

let toy: ToyFederation;
let off: ToyFederation;
let base: string;
let host: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-'));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  mkdirSync(join(dist, 'explorer'));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'app-K3Q7ZP2A.js'), APP);
  writeFileSync(join(dist, 'assets', 'carte.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, 'explorer', 'index.html'), '<!doctype html><title>Explorer</title>');
  writeFileSync(join(dist, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  [toy, off] = await Promise.all([
    startToyFederation({ CONSOLE_DIST: dist }),
    startToyFederation({ CONSOLE: 'off', CONSOLE_DIST: dist }),
  ]);
  base = toy.gatewayUrl.replace(/\/graphql$/, '');
  host = new URL(base).host;
});

afterAll(async () => {
  await Promise.all([toy?.stop(), off?.stop()]);
});

/** A raw request: fetch would normalise `..` away before it leaves. */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('The console, served by the gateway', () => {
  it('serves index.html at / with no-cache, an ETag and a strict CSP that allows its inline script by hash', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host}`);
    const hash = createHash('sha256').update(INLINE).digest('base64');
    expect(csp).toMatch(new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'(;|$)`));
    expect(csp.split('; ').find((d) => d.startsWith('script-src'))).not.toContain('unsafe');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await response.text()).toBe(INDEX);
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const first = await fetch(`${base}/`);
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    const head = await raw('/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(INDEX));
  });

  it('serves hashed assets as immutable for a year, with their content type, gzipped when asked', async () => {
    const response = await fetch(`${base}/assets/app-K3Q7ZP2A.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(await response.text()).toBe(APP);
    const svg = await fetch(`${base}/assets/carte.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    // No hash in its name: it may change under the same name, so it is revalidated.
    expect(svg.headers.get('cache-control')).toBe('no-cache');
    const icon = await fetch(`${base}/favicon.ico`);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it("serves a folder's index.html, redirecting /explorer to /explorer/ so relative assets resolve in it", async () => {
    const bare = await fetch(`${base}/explorer?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/explorer/?x=1');
    expect(await (await fetch(`${base}/explorer/`)).text()).toContain('<title>Explorer</title>');
    expect(await (await fetch(`${base}/explorer`)).text()).toContain('<title>Explorer</title>');
    // Never a redirect to another site.
    for (const path of ['//explorer', '//evil.example/explorer', '/explorer//', '/./explorer']) {
      const location = (await raw(path)).headers.location;
      if (location !== undefined) expect(String(location), path).toMatch(/^\/(?!\/)/);
    }
    // The console routes in the fragment (/#/suivre/…): no other path is a page.
    expect((await fetch(`${base}/suivre/IDF-2026-005001`)).status).toBe(404);
    const missing = await fetch(`${base}/assets/nope-12345678.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
  });

  it('never reads outside the built folder, nor its dot-files', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/.env', '/%2eenv', '/assets/%00.js', '/%E0%A4%A']) {
      const response = await raw(path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('outside the root');
      expect(response.body, path).not.toContain('SECRET');
    }
  });

  it('answers only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const response = await raw('/', method, { 'content-type': 'application/json' });
      expect(response.status, method).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(JSON.parse(response.body).errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('follows the CORS rules of /graphql: an unlisted foreign origin is refused, loopback allowed in development', async () => {
    const foreign = await fetch(`${base}/assets/app-K3Q7ZP2A.js`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as ErrorBody).errors[0]!.extensions.code).toBe('ORIGIN_NOT_ALLOWED');
    const loopback = await fetch(`${base}/assets/app-K3Q7ZP2A.js`, { headers: { origin: 'http://localhost:5173' } });
    expect(loopback.status).toBe(200);
    expect(loopback.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('with CONSOLE=off serves no page, only GraphQL and health', async () => {
    const offBase = off.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${offBase}/`)).status).toBe(404);
    expect((await fetch(`${offBase}/assets/app-K3Q7ZP2A.js`)).status).toBe(404);
    expect((await fetch(`${offBase}/health`)).status).toBe(200);
  });
});

describe("Apollo's landing page is off", () => {
  it('a browser opening /graphql gets a JSON explanation, not Apollo Sandbox', async () => {
    const response = await fetch(toy.gatewayUrl, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as ErrorBody;
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0]!.message).toContain('/explorer');
  });

  it('GraphQL over GET and POST still works', async () => {
    const get = await fetch(`${toy.gatewayUrl}?query=${encodeURIComponent('{ products { id } }')}`, { headers: { 'graphql-preflight': '1' } });
    expect(((await get.json()) as ProductsBody).data.products).toHaveLength(3);
    const post = await fetch(toy.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ products { id } }' }) });
    expect(((await post.json()) as ProductsBody).data.products).toHaveLength(3);
  });
});
