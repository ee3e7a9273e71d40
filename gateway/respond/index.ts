/** Stage "respond": status and body of an HTTP answer. */
import type { ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import { httpStatusOf } from '../../common/errors.ts';
import { sendJson } from '../../common/http.ts';

export { sendJson } from '../../common/http.ts';
export { answerMediaType, httpHeadOf, sendGraphQLAnswer, GRAPHQL_RESPONSE_MEDIA_TYPE, JSON_MEDIA_TYPE, type HttpHead } from './graphql-response.ts';

/** A request refused before GraphQL execution: a GraphQL-shaped body with the catalogue status. */
export function sendGraphQLError(res: ServerResponse, error: GraphQLError, headers: Record<string, string> = {}): void {
  const code = error.extensions.code as string | undefined;
  sendJson(res, httpStatusOf(code), { errors: [{ message: error.message, extensions: error.extensions }] }, headers);
}
