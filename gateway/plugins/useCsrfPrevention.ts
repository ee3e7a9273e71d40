import type { GatewayPlugin } from '../pipeline.ts';
import { CSRF_PREVENTION_HEADERS, csrfRefusal } from '../receive/csrf.ts';

export { CSRF_PREVENTION_HEADERS };

/**
 * CSRF prevention on every path that runs an operation — HTTP GET and POST, SSE on /graphql and
 * /graphql/stream — in the receive stage, before the body is read. The rule is Apollo Server's
 * `csrfPrevention` (receive/csrf.ts): a request is refused (CSRF_REJECTED, 400) unless its content
 * type forces a CORS preflight (e.g. application/json) or it carries a non-empty header of
 * CSRF_PREVENTION_HEADERS. So a `<form>` or a `text/plain` fetch from any web page,
 * `Accept: text/event-stream` or not, cannot make a visitor's browser run a mutation; a GET needs
 * the header too (it has no content type), EventSource included — SSE clients use fetch-based POST
 * (graphql-sse does). WebSocket upgrades are not subject to it (a browser cannot send a custom
 * header there, and no simple-request trick applies): the Origin check (useCors) guards them.
 */
export function useCsrfPrevention(): GatewayPlugin {
  return {
    name: 'csrf-prevention',
    onReceive({ method, headers }) {
      const refusal = csrfRefusal(method, headers);
      if (refusal) throw refusal;
    },
  };
}
