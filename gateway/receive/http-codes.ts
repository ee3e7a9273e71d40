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
