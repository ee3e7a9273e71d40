/**
 * One HTTP exchange with a subgraph, for the subgraph client (subgraph-client.ts), which owns
 * everything around it: de-duplication, the guard, hooks, deadline and error mapping.
 */
import type { GraphQLError } from 'graphql';
import type { Dispatcher, Pool } from 'undici';
import { passerelleError } from '../../common/errors.ts';

export interface Exchange {
  subgraph: string;
  /** The subgraph origin's keep-alive pool. */
  pool: Pool;
  /** Path and query of the subgraph's URL. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Largest body read (MAX_SUBGRAPH_RESPONSE_BYTES); undefined: no limit. */
  maxBytes: number | undefined;
}

/** How much of an error status's body is read (and dropped) to keep its connection; past it the connection is closed. */
const ERROR_BODY_BYTES = 128 * 1024;

/**
 * Sends the body and reads the answer into one string, at most `maxBytes` of it, through undici's
 * dispatcher API: the chunks arrive in a handler, with no response stream, async iterator or
 * AbortSignal built for them. `abortable` receives what stops the request. Fails with
 * RESPONSE_TOO_LARGE past `maxBytes`, SUBGRAPH_UNAVAILABLE (with `status`) on an HTTP error
 * status, and with undici's error otherwise (the client maps it).
 */
export function exchange(request: Exchange, abortable: (abort: () => void) => void): Promise<string> {
  const { subgraph, pool, path, headers, body, maxBytes: limit } = request;
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    // A request waiting in the pool for a connection has no controller yet: stopping it fails it
    // at once, and it is aborted as soon as it starts.
    let started: Dispatcher.DispatchController | undefined;
    let stopped = false;
    abortable(() => {
      stopped = true;
      if (started) started.abort(new Error('stopped'));
      else fail(new Error('stopped before it was sent'));
    });
    pool.dispatch(
      { path, method: 'POST', headers, body },
      {
        onRequestStart(controller) {
          started = controller;
          if (stopped) controller.abort(new Error('stopped'));
        },
        onResponseStart(controller, statusCode, responseHeaders) {
          status = statusCode;
          if (statusCode >= 200 && statusCode < 300 && limit !== undefined && Number(responseHeaders['content-length']) > limit) {
            fail(tooLargeError(subgraph, limit));
            controller.abort(new Error('too large'));
          }
        },
        onResponseData(controller, chunk) {
          size += chunk.length;
          if (status < 200 || status >= 300) {
            // An error status: its body is read (a bounded amount) and dropped, so the connection can be reused.
            if (size > ERROR_BODY_BYTES) controller.abort(new Error('error body too large'));
            return;
          }
          if (limit !== undefined && size > limit) {
            fail(tooLargeError(subgraph, limit));
            controller.abort(new Error('too large'));
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (status < 200 || status >= 300) {
            fail(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" answered HTTP ${status}.`, { subgraph, status }));
            return;
          }
          if (settled) return;
          settled = true;
          resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8'));
        },
        onResponseError(_controller, error) {
          if (status !== 0 && (status < 200 || status >= 300)) fail(passerelleError('SUBGRAPH_UNAVAILABLE', `Subgraph "${subgraph}" answered HTTP ${status}.`, { subgraph, status }));
          else fail(error);
        },
      },
    );
  });
}

function tooLargeError(subgraph: string, limit: number): GraphQLError {
  return passerelleError('RESPONSE_TOO_LARGE', `Subgraph "${subgraph}" answered more than ${limit} bytes; its part of the answer is null.`, {
    subgraph,
    limit,
  });
}
