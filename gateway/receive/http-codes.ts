/**
 * GraphQL-over-HTTP answers that Apollo Server and @apollo/gateway get wrong on bad input, set
 * right with the catalogue's codes and statuses:
 * - an `operationName` that names no operation of the document (or none given for a document of
 *   several): @apollo/gateway fails with HTTP 500 INVALID_GRAPHQL; it is the client's error,
 *   OPERATION_RESOLUTION_FAILURE (400), as the streams answer it (stream/operations.ts);
 * - a mutation sent with GET: Apollo answers 405 with code BAD_REQUEST; the code is
 *   METHOD_NOT_ALLOWED (405, `Allow: POST`), as over SSE. Apollo refuses it before any plugin hook
 *   runs, so this check is the receive stage's, on the GET parameters (a URL is at most a few KB:
 *   parsing it here costs nothing that matters).
 */
import type { Duplex } from 'node:stream';
import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';
import type { GatewayContext } from '../pipeline.ts';

export function refuseUnresolvedOperations(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const name = request.operationName;
          throw passerelleError(
            'OPERATION_RESOLUTION_FAILURE',
            typeof name === 'string' && name !== '' ? `The document has no operation named "${name.slice(0, 100)}".` : 'The document has several operations: name the one to run with operationName.',
            { http: { status: errorCatalogue.OPERATION_RESOLUTION_FAILURE.status } },
          );
        },
      };
    },
  };
}

/** Throws METHOD_NOT_ALLOWED when a GET request's operation is a mutation (other bad input is left to GraphQL). */
export function refuseGetMutation(method: string, url: URL): void {
  if (method !== 'GET') return;
  const query = url.searchParams.get('query');
  if (!query) return;
  let operation;
  try {
    operation = getOperationAST(parse(query, { noLocation: true }), url.searchParams.get('operationName') || undefined);
  } catch {
    return;
  }
  if (operation?.operation === 'mutation') throw passerelleError('METHOD_NOT_ALLOWED', 'Mutations cannot be sent with GET; use POST.');
}

/**
 * What Node's HTTP parser refuses before any handler runs (a URL or headers past its 16 KB limit, a
 * malformed request line): by default an empty-bodied 431/400. The client gets a GraphQL-shaped body
 * with a catalogue code instead, then the connection closes (the parser's state is lost).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const code = tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const status = errorCatalogue[code].status;
  const body = JSON.stringify({ errors: [{ message: errorCatalogue[code].message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
