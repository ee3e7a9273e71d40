/** Stage "respond": status and body of an HTTP answer. */
import type { ServerResponse } from 'node:http';
import type { HTTPGraphQLResponse } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { httpStatusOf } from '../../common/errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A request refused before GraphQL execution: a GraphQL-shaped body with the catalogue status. */
export function sendGraphQLError(res: ServerResponse, error: GraphQLError, headers: Record<string, string> = {}): void {
  const code = error.extensions.code as string | undefined;
  sendJson(res, httpStatusOf(code), { errors: [{ message: error.message, extensions: error.extensions }] }, headers);
}

export async function sendApolloResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
