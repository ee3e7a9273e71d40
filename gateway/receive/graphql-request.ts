/**
 * The GraphQL-over-HTTP request in a `/graphql` GET or POST, read the way Apollo Server read it
 * before the gateway answered HTTP itself, with the same refusals (BAD_REQUEST, HTTP 400 unless
 * said otherwise) and the same wording, so that clients see no difference:
 * - POST: a non-empty JSON object; `query` a string, `variables` and `extensions` objects,
 *   `operationName` a string (each may be null or absent). A JSON array is a batch: refused
 *   ("Operation batching disabled."), as Apollo's default was.
 * - GET: `query`, `operationName`, `variables` and `extensions` each at most once, the last two
 *   JSON objects; a Content-Type other than application/json is HTTP 415.
 * The document itself (persisted-query hash, trusted documents) is settled before this
 * (documents.ts); this only reads what the settled request says.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Kind, type GraphQLError } from 'graphql';
import { passerelleError } from '../../common/errors.ts';

export interface GraphQLParams {
  query: string | undefined;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

/**
 * The parameters of a settled request, or throws BAD_REQUEST (with `extensions.http` where the
 * status is not 400: the HTTP path reads it and removes it before answering).
 */
export function graphQLParamsOf(method: string, url: URL, headers: IncomingHttpHeaders, body: unknown): GraphQLParams {
  if (method === 'POST') return postParams(body);
  const contentType = headers['content-type'];
  if (contentType !== undefined && mediaTypeEssence(contentType) !== 'application/json') {
    throw badRequest('GET requests may not have a content-type header other than application/json.', 415);
  }
  const params = url.searchParams;
  return {
    query: once(params, 'query'),
    operationName: once(params, 'operationName'),
    variables: jsonObjectParam(params, 'variables'),
    extensions: jsonObjectParam(params, 'extensions'),
  };
}

function postParams(body: unknown): GraphQLParams {
  if (Array.isArray(body)) throw badRequest('Operation batching disabled.');
  if (!isRecord(body) || Object.keys(body).length === 0) throw badRequest('POST body missing, invalid Content-Type, or JSON object has no keys.');
  const { query, variables, extensions, operationName } = body;
  if (query && typeof query !== 'string') {
    throw badRequest(
      isRecord(query) && query.kind === Kind.DOCUMENT
        ? "GraphQL queries must be strings. It looks like you're sending the internal graphql-js representation of a parsed query in your request instead of a request in the GraphQL query language. You can convert an AST to a string using the `print` function from `graphql`, or use a client like `apollo-client` which converts the internal representation to a string for you."
        : 'GraphQL queries must be strings.',
    );
  }
  if (typeof variables === 'string') throw badRequest('`variables` in a POST body should be provided as an object, not a recursively JSON-encoded string.');
  if (typeof extensions === 'string') throw badRequest('`extensions` in a POST body should be provided as an object, not a recursively JSON-encoded string.');
  if (extensions !== undefined && extensions !== null && !isRecord(extensions)) throw badRequest('`extensions` in a POST body must be an object if provided.');
  if (variables !== undefined && variables !== null && !isRecord(variables)) throw badRequest('`variables` in a POST body must be an object if provided.');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') throw badRequest('`operationName` in a POST body must be a string if provided.');
  return {
    query: typeof query === 'string' ? query : undefined,
    operationName: typeof operationName === 'string' ? operationName : undefined,
    variables: isRecord(variables) ? variables : undefined,
    extensions: isRecord(extensions) ? extensions : undefined,
  };
}

function once(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw badRequest(`The '${name}' search parameter may only be specified once.`);
  return values[0];
}

function jsonObjectParam(params: URLSearchParams, name: string): Record<string, unknown> | undefined {
  const text = once(params, name);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest(`The ${name} search parameter contains invalid JSON.`);
  }
  if (!isRecord(value)) throw badRequest(`The ${name} search parameter should contain a JSON-encoded object.`);
  return value;
}

// RFC 9110 token characters, for `type/subtype`: anything else is not a media type at all.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** `type/subtype` in lower case, parameters dropped; '' when the header is not a media type. */
function mediaTypeEssence(contentType: string): string {
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return MEDIA_TYPE.test(essence) ? essence : '';
}

function badRequest(message: string, status?: number): GraphQLError {
  return passerelleError('BAD_REQUEST', message, status ? { http: { status } } : {});
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
