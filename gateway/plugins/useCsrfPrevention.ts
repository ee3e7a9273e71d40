import { passerelleError } from '../../common/errors.ts';
import type { GatewayPlugin } from '../pipeline.ts';

/**
 * Headers that prove a request is not a "simple" cross-site one: a browser sends a custom header
 * only after a CORS preflight the gateway answers (or not) from its allow-list. The first two are
 * Apollo's; `graphql-preflight` is the GraphQL-over-HTTP working group's.
 */
export const CSRF_PREVENTION_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-preflight'] as const;

/** Content types a web page may send cross-site without a preflight (the Fetch standard's CORS-safelisted ones). */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * CSRF prevention on every path that runs an operation — HTTP GET and POST, SSE on /graphql and
 * /graphql/stream — in the receive stage, before the body is read. The rule is Apollo Server's
 * `csrfPrevention`: a request is refused (CSRF_REJECTED, 400) unless its content type forces a CORS
 * preflight (e.g. application/json) or it carries a non-empty header of CSRF_PREVENTION_HEADERS.
 * So a `<form>` or a `text/plain` fetch from any web page, `Accept: text/event-stream` or not,
 * cannot make a visitor's browser run a mutation; a GET needs the header too (it has no content
 * type), EventSource included — SSE clients use fetch-based POST (graphql-sse does).
 * WebSocket upgrades are not subject to it (a browser cannot send a custom header there, and no
 * simple-request trick applies): the Origin check (useCors) guards them.
 */
export function useCsrfPrevention(): GatewayPlugin {
  return {
    name: 'csrf-prevention',
    onReceive({ method, headers }) {
      if (method !== 'GET' && method !== 'POST') return;
      if (String(headers.upgrade ?? '').toLowerCase() === 'websocket') return;
      const contentType = headers['content-type'];
      if (contentType !== undefined && !SIMPLE_CONTENT_TYPES.has(essence(contentType))) return;
      if (CSRF_PREVENTION_HEADERS.some((name) => nonEmpty(headers[name]))) return;
      throw passerelleError(
        'CSRF_REJECTED',
        `This request could come from any web page: send it with Content-Type: application/json, or with a non-empty ${CSRF_PREVENTION_HEADERS.join(', ')} header.`,
      );
    },
  };
}

/** `type/subtype`, lower case, parameters dropped (the MIME "essence" browsers compare). */
function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function nonEmpty(value: string | string[] | undefined): boolean {
  return Array.isArray(value) ? value.some((item) => item.length > 0) : value !== undefined && value.length > 0;
}
