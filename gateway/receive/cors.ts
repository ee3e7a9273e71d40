/**
 * CORS: which web pages may call the gateway from a browser. An allow-list of origins from
 * configuration (CORS_ORIGINS); outside production, pages on the loopback interface (localhost,
 * 127.0.0.1, [::1], any port) are allowed too, so a front-end's dev server works with zero
 * configuration. Same-origin requests (the console the gateway serves) are always allowed.
 *
 * CORS alone only stops a page from READING an answer; the request itself would still run. So a
 * cross-origin request from an origin not on the list is refused where it would execute (plugin
 * useCors, in the receive stage, ORIGIN_NOT_ALLOWED 403) — WebSocket upgrades included, which
 * browsers send cross-origin without any CORS check (cross-site WebSocket hijacking) — and only
 * listed origins get `Access-Control-Allow-Origin` and a successful preflight.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { passerelleError } from '../../common/errors.ts';

export interface CorsOptions {
  /** Allowed origins, normalised (CORS_ORIGINS; parsed by common/env.ts `originList`). */
  origins: readonly string[];
  /** NODE_ENV: outside production, loopback origins are allowed as well. */
  nodeEnv: 'development' | 'production' | 'test';
}

/** Request headers a browser may send after a preflight: credentials, JSON, CSRF-prevention headers. */
const ALLOWED_HEADERS = ['authorization', 'x-api-key', 'content-type', 'accept', 'apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight'];
/** Response headers a page may read: the rate-limit ones. */
const EXPOSED_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

export interface CorsPolicy {
  /** Whether a request with these headers may run: no Origin, same origin, or an allowed one. */
  admits(headers: IncomingHttpHeaders): boolean;
  /** Throws ORIGIN_NOT_ALLOWED for a cross-origin request from an origin not on the list. */
  check(headers: IncomingHttpHeaders): void;
  /** Sets the CORS response headers on an answer to an allowed cross-origin request. */
  decorate(req: IncomingMessage, res: ServerResponse): void;
  /** Answers an OPTIONS request: 204 with the CORS headers for an allowed origin, 403 otherwise. */
  preflight(req: IncomingMessage, res: ServerResponse): void;
}

export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  const listed = new Set(options.origins);
  const loopbackAllowed = options.nodeEnv !== 'production';

  /** The Origin when the request is cross-origin, undefined when it has none or is same-origin. */
  function crossOrigin(headers: IncomingHttpHeaders): string | undefined {
    const origin = headers.origin;
    if (origin === undefined || origin === '') return undefined;
    try {
      if (new URL(origin).host === headers.host) return undefined;
    } catch {
      // `Origin: null` (sandboxed frames, file://) and garbage are cross-origin and listed nowhere.
    }
    return origin;
  }

  function allowed(origin: string): boolean {
    if (listed.has(origin)) return true;
    if (!loopbackAllowed) return false;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname);
    } catch {
      return false;
    }
  }

  const admits = (headers: IncomingHttpHeaders) => {
    const origin = crossOrigin(headers);
    return origin === undefined || allowed(origin);
  };

  return {
    admits,
    check(headers) {
      if (admits(headers)) return;
      throw passerelleError('ORIGIN_NOT_ALLOWED', `Web pages of ${String(headers.origin).slice(0, 100)} may not call this gateway (not in CORS_ORIGINS).`);
    },
    decorate(req, res) {
      res.setHeader('Vary', 'Origin');
      const origin = crossOrigin(req.headers);
      if (origin === undefined || !allowed(origin)) return;
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
    },
    preflight(req, res) {
      const origin = crossOrigin(req.headers);
      if (origin !== undefined && !allowed(origin)) {
        const error = passerelleError('ORIGIN_NOT_ALLOWED', 'This origin is not in CORS_ORIGINS.');
        res.writeHead(403, { 'content-type': 'application/json', vary: 'Origin' });
        res.end(JSON.stringify({ errors: [{ message: error.message, extensions: error.extensions }] }));
        return;
      }
      const headers: Record<string, string> = { allow: 'GET, POST, OPTIONS', vary: 'Origin', 'content-length': '0' };
      if (origin !== undefined) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-allow-methods'] = 'GET, POST, OPTIONS';
        headers['access-control-allow-headers'] = ALLOWED_HEADERS.join(', ');
        headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_S);
      }
      res.writeHead(204, headers);
      res.end();
    },
  };
}
