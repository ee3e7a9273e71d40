/**
 * The web console, served by the gateway itself as static files (CONSOLE=on, files from
 * CONSOLE_DIST): nothing else to deploy, and the console's calls to /graphql are same-origin.
 *
 * - GET and HEAD only; a path is resolved inside the root or not at all (no `..`, no dot-files, no
 *   encoded separators), so nothing outside the built folder can be read.
 * - A folder's page is its `index.html` (`/`, `/explorer/`); `/explorer` is redirected to `/explorer/`
 *   so the page's relative asset URLs resolve inside its folder. The console routes in the URL
 *   fragment (`/#/suivre/…`), so no other path needs a page: everything else is a file, or 404.
 * - Caching: files with a content hash in their name (`app-K3Q7ZP2A.js`) are immutable for a year;
 *   everything else is `no-cache` with an ETag, so a rebuilt console is picked up at the next load
 *   and an unchanged one costs a 304.
 * - Every answer carries a strict Content-Security-Policy (scripts only from the gateway, inline ones
 *   only by hash; connections only to the gateway, WebSocket included), `nosniff`, and
 *   `Referrer-Policy: no-referrer`: tracking tokens live in the URL fragment, which is never sent,
 *   and no referrer leaks the path either.
 * Files are re-read when their size or mtime changes (one stat per request), so `npm start`
 * rebuilding the console while the gateway runs needs no restart.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { passerelleError } from '../../common/errors.ts';
import { sendJson } from '../respond/index.ts';
import type { CorsPolicy } from './cors.ts';

export interface StaticFilesOptions {
  /** The built console (CONSOLE_DIST), absolute or relative to the working directory. */
  root: string;
  /** The same CORS policy as /graphql: an unlisted foreign origin is refused, a listed one decorated. */
  cors?: CorsPolicy;
}

export type StaticFilesHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.graphql': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};
/** Text formats worth compressing (fonts and images are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.webmanifest', '.svg', '.txt', '.graphql']);
const IMMUTABLE = 'public, max-age=31536000, immutable';
const gzip = promisify(gzipCallback);
/** `name-HASH.ext` or `name.HASH.ext` as esbuild and Vite write them: 8+ characters, at least one digit or capital. */
const HASHED_NAME = /[-.](?=[A-Za-z0-9_]*[0-9A-Z])[A-Za-z0-9_]{8,}\.[a-z0-9]+$/;
/** Host header characters that may go into the CSP (anything else and the ws: sources are left out). */
const SAFE_HOST = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

interface Entry {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
  type: string;
  /** `'sha256-…'` of each inline script of an HTML page, allowed by the CSP. */
  scriptHashes: string[];
}

export function createStaticFiles(options: StaticFilesOptions): StaticFilesHandler {
  const root = resolve(options.root);
  const cache = new Map<string, Entry>();

  async function load(file: string): Promise<Entry | undefined> {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      cache.delete(file); // a file of an earlier build: forget it
      return undefined;
    }
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(file);
    const extension = extname(file).toLowerCase();
    const entry: Entry = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      // Compressed once per file version, off the event loop (zlib's thread pool): the Explorer's
      // bundles are megabytes, and live subscriptions must not wait for them.
      gzip: COMPRESSIBLE.has(extension) && body.length > 1024 ? await gzip(body) : undefined,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      type: TYPES[extension] ?? 'application/octet-stream',
      scriptHashes: extension === '.html' ? inlineScriptHashes(body.toString('utf8')) : [],
    };
    cache.set(file, entry);
    return entry;
  }

  /** The file a URL path names, or a folder's index.html; undefined: 404. */
  async function find(segments: string[]): Promise<{ file: string; entry: Entry; folder: boolean } | undefined> {
    const file = resolve(root, ...segments);
    const entry = await load(file);
    if (entry) return { file, entry, folder: false };
    const index = resolve(root, ...segments, 'index.html');
    const page = await load(index);
    return page ? { file: index, entry: page, folder: true } : undefined;
  }

  return async function serveStatic(req, res, url) {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, errorBody(passerelleError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed on the console's files; use GET or HEAD.`)), { allow: 'GET, HEAD' });
      return;
    }
    options.cors?.check(req.headers);
    options.cors?.decorate(req, res);

    const segments = safeSegments(url.pathname);
    if (segments === undefined) return notFound(res);
    const found = await find(segments);
    if (!found) {
      if (!(await load(resolve(root, 'index.html')))) {
        sendJson(res, 503, { error: 'console_not_built', message: `The console is not built (no ${root}/index.html): run \`npm run build:console\`, or set CONSOLE=off.` });
        return;
      }
      return notFound(res);
    }
    const { file, entry, folder } = found;
    if (folder && !url.pathname.endsWith('/')) {
      // Rebuilt from the checked segments: `//host/x` must not become a redirect to another site.
      const location = `/${segments.map(encodeURIComponent).join('/')}/${url.search}`;
      res.writeHead(301, { location, 'content-length': 0, ...securityHeaders([], undefined) });
      res.end();
      return;
    }
    const immutable = HASHED_NAME.test(file.slice(file.lastIndexOf(sep) + 1));
    const headers: Record<string, string | number> = {
      'content-type': entry.type,
      'cache-control': immutable ? IMMUTABLE : 'no-cache',
      etag: entry.etag,
      vary: 'Origin, Accept-Encoding',
      ...securityHeaders(entry.scriptHashes, req.headers.host),
    };
    if (etagMatches(req.headers['if-none-match'], entry.etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const compressed = entry.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? entry.gzip : undefined;
    const body = compressed ?? entry.body;
    if (compressed) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : body);
  };
}

/** The decoded path segments, or undefined when the path tries to leave the root or hide something. */
function safeSegments(pathname: string): string[] | undefined {
  const segments: string[] = [];
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    // `..` and `.` (also when percent-encoded), dot-files, encoded separators, NUL.
    if (segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: 'not_found', message: 'No such page or file. GraphQL is served on /graphql.' });
}

function errorBody(error: ReturnType<typeof passerelleError>) {
  return { errors: [{ message: error.message, extensions: error.extensions }] };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`;
  });
}

/** Inline `<script>` bodies (no `src`), hashed as the CSP wants them. */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(match[1]!) || match[2] === '') continue;
    hashes.add(`'sha256-${createHash('sha256').update(match[2]!, 'utf8').digest('base64')}'`);
  }
  return [...hashes];
}

/**
 * The CSP and companions. Styles may be inline (editors such as GraphiQL's inject <style>; a style
 * cannot run code); scripts, connections, frames and forms may not leave the gateway. The explicit
 * ws:/wss: sources are for browsers whose 'self' does not cover WebSockets yet.
 */
export function securityHeaders(scriptHashes: readonly string[], host: string | undefined): Record<string, string> {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  const csp = [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` ${hash}`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };
}
