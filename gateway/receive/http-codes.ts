/**
 * GraphQL-over-HTTP answers the receive stage settles itself, with the catalogue's codes and statuses:
 * - a mutation sent with GET: METHOD_NOT_ALLOWED (405), as over SSE, checked on the GET parameters
 *   before anything else reads the document (a URL is at most a few KB: parsing it here costs
 *   nothing that matters);
 * - what Node's HTTP parser refuses before any handler runs (answerClientError).
 * (An `operationName` that names no operation is OPERATION_RESOLUTION_FAILURE, 400, on every
 * transport: gateway/plan/prepare.ts.)
 */
import type { Duplex } from 'node:stream';
import { getOperationAST, parse } from 'graphql';
import { errorCatalogue, passerelleError } from '../../common/errors.ts';

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
