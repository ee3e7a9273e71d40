/**
 * What every HTTP legacy stand-in shares: a small router, call counting, fault injection and the
 * admin endpoints tests use. The stand-ins' own routes only describe their system's interface.
 *
 * Admin endpoints (not part of the systems' interfaces; tests and benchmarks use them):
 * - `GET  /__admin/calls`  → `{ total, byRoute: { "GET /communes/:code": 12, … } }`
 * - `POST /__admin/reset`  → zeroes the counters
 * - `POST /__admin/faults` with `{ latencyMs?: [min, max], failureRate?: 0..1, failNext?: n }` → changes faults live
 * And `GET /metrics`, Prometheus metrics (common/metrics.ts), as on every Passerelle process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setHttpRoute, traceHttpServer } from '../../common/tracing/index.ts';
import { METRICS_PATH, counter, histogram, secondsSince, serveMetrics } from '../../common/metrics.ts';

export interface Faults {
  /** Added latency per call, uniformly drawn in [min, max] ms. */
  latencyMs: [number, number];
  /** Share of calls answered with 503 instead of being served. */
  failureRate: number;
  /** The next N calls are answered with 503, whatever `failureRate` says (deterministic retry tests). */
  failNext?: number;
}

export interface LegacyRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  method: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The error body the system sends, when its interface defines one (e.g. Opendatasoft's `{ error_code, message }`). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export type Handler = (request: LegacyRequest) => unknown | Promise<unknown>;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

export class CallCounter {
  private counts = new Map<string, number>();
  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  snapshot(): { total: number; byRoute: Record<string, number> } {
    const byRoute = Object.fromEntries(this.counts);
    return { total: Object.values(byRoute).reduce((a, b) => a + b, 0), byRoute };
  }
  reset(): void {
    this.counts.clear();
  }
}

export interface HttpSystemOptions {
  /** The system's name, used in error bodies (e.g. "geo-api"). */
  system: string;
  faults: Faults;
  /** Largest request line + headers accepted, in bytes (Node's default: 16 KiB), for systems queried with long URLs. */
  maxHeaderSize?: number;
}

const ADMIN_PREFIX = '/__admin/';

// Labelled by route pattern (`GET /communes/:code`), never by the path itself: bounded by the routes.
const requestsServed = counter({ name: 'passerelle_legacy_http_requests_total', help: 'Requests a legacy stand-in answered, by route and HTTP status.', labelNames: ['route', 'status'] });
const requestDuration = histogram({ name: 'passerelle_legacy_http_request_duration_seconds', help: 'Time a legacy stand-in took to answer, by route (injected latency included).', labelNames: ['route'] });

export class HttpSystem {
  readonly calls = new CallCounter();
  readonly faults: Faults;
  private routes: Route[] = [];

  constructor(private readonly options: HttpSystemOptions) {
    this.faults = { ...options.faults };
  }

  /** Registers a route; `pattern` uses `:name` segments, e.g. `/communes/:code`. */
  route(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern.replace(/\/:([A-Za-z]+)/g, (_, key: string) => {
      keys.push(key);
      return '/([^/]+)';
    });
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.route('GET', pattern, handler);
  }

  post(pattern: string, handler: Handler): this {
    return this.route('POST', pattern, handler);
  }

  async listen(port: number, host: string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
    // A server span per call when traces are on, child of the subgraph's call (its `traceparent`).
    const server = createServer(
      { maxHeaderSize: this.options.maxHeaderSize },
      traceHttpServer((req, res) => {
        this.handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
      }),
    );
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    return {
      server,
      url,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith(ADMIN_PREFIX)) return this.admin(url.pathname.slice(ADMIN_PREFIX.length), method, req, res);

    if (url.pathname === METRICS_PATH) return serveMetrics(req, res);

    const route = this.routes.find((r) => r.method === method && r.regex.test(url.pathname));
    const label = route ? `${method} ${route.pattern}` : 'unmatched';
    const started = performance.now();
    res.once('finish', () => {
      requestsServed.inc({ route: label, status: String(res.statusCode) });
      requestDuration.observe({ route: label }, secondsSince(started));
    });
    if (!route) return send(res, 404, { error: 'not_found', message: `No route ${method} ${url.pathname}` });
    this.calls.count(label);
    setHttpRoute(method, route.pattern);

    const [low, high] = this.faults.latencyMs;
    if (high > 0) await sleep(low + Math.random() * (high - low));
    const pending = this.faults.failNext ?? 0;
    const forced = pending > 0;
    if (forced) this.faults.failNext = pending - 1;
    if (forced || (this.faults.failureRate > 0 && Math.random() < this.faults.failureRate)) {
      return send(res, 503, { error: 'service_unavailable', message: `${this.options.system} is temporarily unavailable` });
    }

    const match = route.regex.exec(url.pathname)!;
    const params = Object.fromEntries(route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1]!)]));
    try {
      const body = method === 'GET' ? undefined : await readJson(req);
      const result = await route.handler({ params, query: url.searchParams, body, method });
      send(res, 200, result);
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, error.body ?? { error: 'request_error', message: error.message });
      throw error;
    }
  }

  private async admin(action: string, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (action === 'calls' && method === 'GET') return send(res, 200, this.calls.snapshot());
    if (action === 'reset' && method === 'POST') {
      this.calls.reset();
      return send(res, 200, { ok: true });
    }
    if (action === 'faults' && method === 'POST') {
      const body = (await readJson(req)) as Partial<Faults>;
      if (body.latencyMs) this.faults.latencyMs = body.latencyMs;
      if (typeof body.failureRate === 'number') this.faults.failureRate = body.failureRate;
      if (typeof body.failNext === 'number') this.faults.failNext = body.failNext;
      return send(res, 200, this.faults);
    }
    send(res, 404, { error: 'not_found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Body is not valid JSON');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
