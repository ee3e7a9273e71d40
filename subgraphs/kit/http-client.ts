/**
 * The HTTP transport every REST connector uses to reach its legacy system: a keep-alive undici
 * pool, a per-call timeout, and the system's guard (kit/legacy-guards.ts: circuit breaker, bulkhead
 * sized to the pool, retries of idempotent calls on 502/503/504 or network errors within a retry
 * budget), with failures mapped to catalogue codes naming the system. Connectors add only their URL
 * shapes.
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';
import { endSpan, startClientSpan, traceHeaders, type Span } from '../../common/tracing/index.ts';
import { defaultLegacyGuards, guarded, type LegacyGuards } from './legacy-guards.ts';

export interface HttpClientOptions {
  /** Name of the legacy system, carried in errors as `extensions.system` (e.g. "lycees-api"). */
  system: string;
  baseUrl: string;
  /** Per-attempt timeout in ms; past it the call fails with LEGACY_TIMEOUT. */
  timeoutMs: number;
  /** Extra attempts for GET calls that failed with 502/503/504 or a network error (used when `guards` is not given). */
  retries: number;
  /** Pool size (keep-alive connections); also the bulkhead's slots when `guards` is not given. */
  connections: number;
  /**
   * The subgraph's guards (one breaker per system, shared with its other clients of the system).
   * Default: guards of this client alone, with DEFAULT_RESILIENCE's breaker and budget.
   */
  guards?: LegacyGuards;
}

export interface HttpClient {
  readonly system: string;
  /** GET `path` with query parameters; resolves to the parsed JSON, or `null` on 404. */
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T | null>;
  /** POST a JSON body (not retried unless `idempotent`). */
  post<T>(path: string, body: unknown, options?: { idempotent?: boolean }): Promise<T>;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl);
  const pool = new Pool(base.origin, { connections: options.connections, keepAliveTimeout: 30_000 });
  const prefix = base.pathname.replace(/\/$/, '');
  const guard = (options.guards ?? defaultLegacyGuards(options.connections, options.retries)).of(options.system);

  /**
   * One attempt, in a client span of its own when the call is part of a traced request (each retry
   * shows), whose `traceparent` the system receives; throws a catalogue error naming the system.
   */
  async function once<T>(method: 'GET' | 'POST', path: string, body: unknown): Promise<T | null> {
    const span = startClientSpan(`${method} ${options.system}`, {
      'http.request.method': method,
      'server.address': base.hostname,
      'url.path': prefix + path.split('?')[0],
      'peer.service': options.system,
    });
    if (!span) return attempt<T>(method, path, body, undefined);
    try {
      const result = await attempt<T>(method, path, body, span);
      endSpan(span);
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  async function attempt<T>(method: 'GET' | 'POST', path: string, body: unknown, span: Span | undefined): Promise<T | null> {
    const headers: Record<string, string> = span ? traceHeaders(span) : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await pool.request({
        method,
        path: prefix + path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw networkError(options.system, error);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw networkError(options.system, error);
    }
    span?.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode === 404) return null;
    if (response.statusCode >= 200 && response.statusCode < 300) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw passerelleError('LEGACY_ERROR', `${options.system} returned a body that is not JSON`, { system: options.system });
      }
    }
    throw statusError(options.system, response.statusCode, text);
  }

  const call = <T>(method: 'GET' | 'POST', path: string, body: unknown, idempotent: boolean) =>
    guarded(guard, () => once<T>(method, path, body), idempotent);

  return {
    system: options.system,
    get: <T>(path: string, query?: Record<string, string | number | undefined>) => {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
      const qs = search.toString();
      return call<T>('GET', qs ? `${path}?${qs}` : path, undefined, true);
    },
    post: async <T>(path: string, body: unknown, opts: { idempotent?: boolean } = {}) => {
      const result = await call<T>('POST', path, body, opts.idempotent ?? false);
      if (result === null) throw passerelleError('LEGACY_ERROR', `${options.system} answered 404 to POST ${path}`, { system: options.system });
      return result;
    },
    close: () => pool.close(),
  };
}

function statusError(system: string, status: number, body: string): GraphQLError {
  const detail = body.slice(0, 200);
  if (RETRYABLE_STATUS.has(status)) {
    return passerelleError('LEGACY_UNAVAILABLE', `${system} is unavailable (HTTP ${status})`, { system, status });
  }
  return passerelleError('LEGACY_ERROR', `${system} answered HTTP ${status}: ${detail}`, { system, status });
}

function networkError(system: string, error: unknown): GraphQLError {
  const err = error as Error & { code?: string };
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err.name === 'TimeoutError' ||
    err.name === 'AbortError'
  ) {
    return passerelleError('LEGACY_TIMEOUT', `${system} did not answer in time`, { system });
  }
  return passerelleError('LEGACY_UNAVAILABLE', `${system} is unreachable (${err.code ?? err.message})`, { system });
}
