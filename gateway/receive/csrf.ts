/**
 * The CSRF rule (Apollo Server's `csrfPrevention`), in one place for the plugin that applies it in
 * the receive stage (plugins/useCsrfPrevention.ts) and the HTTP path's own second check
 * (receive/http-operation.ts): a request a web page could send cross-site without a CORS
 * preflight — a CORS-safelisted content type, or none (a GET) — must carry a non-empty header of
 * CSRF_PREVENTION_HEADERS, which no page can add without the preflight the gateway answers from
 * its allow-list.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';

/**
 * Headers that prove a request is not a "simple" cross-site one: a browser sends a custom header
 * only after a CORS preflight the gateway answers (or not) from its allow-list. The first two are
 * Apollo's; `graphql-preflight` is the GraphQL-over-HTTP working group's.
 */
export const CSRF_PREVENTION_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'graphql-preflight'] as const;

/** Content types a web page may send cross-site without a preflight (the Fetch standard's CORS-safelisted ones). */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** CSRF_REJECTED for a GET or POST that a page could have sent without a preflight; undefined otherwise. */
export function csrfRefusal(method: string, headers: IncomingHttpHeaders): GraphQLError | undefined {
  if (method !== 'GET' && method !== 'POST') return undefined;
  if (String(headers.upgrade ?? '').toLowerCase() === 'websocket') return undefined;
  const contentType = headers['content-type'];
  if (contentType !== undefined && !SIMPLE_CONTENT_TYPES.has(essence(contentType))) return undefined;
  if (CSRF_PREVENTION_HEADERS.some((name) => nonEmpty(headers[name]))) return undefined;
  return passerelleError(
    'CSRF_REJECTED',
    `This request could come from any web page: send it with Content-Type: application/json, or with a non-empty ${CSRF_PREVENTION_HEADERS.join(', ')} header.`,
  );
}

/** `type/subtype`, lower case, parameters dropped (the MIME "essence" browsers compare). */
function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function nonEmpty(value: string | string[] | undefined): boolean {
  return Array.isArray(value) ? value.some((item) => item.length > 0) : value !== undefined && value.length > 0;
}
