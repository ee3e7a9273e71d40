/**
 * The error catalogue: every `extensions.code` Passerelle emits, defined once with its meaning and
 * the HTTP status it maps to when it is the only error of a response. The README's error table is
 * checked against this list by `tests/common/errors.test.ts`.
 */
import { GraphQLError } from 'graphql';

export const errorCatalogue = {
  // Client input
  BAD_USER_INPUT: { status: 400, message: 'An argument is invalid.' },
  BAD_REQUEST: { status: 400, message: 'The HTTP request is not a valid GraphQL request.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The operation is not valid GraphQL syntax.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: 'The operation does not match the schema.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the gateway accepts.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The URL or headers are larger than the server reads (16 KB): send the operation in a POST body.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Only GET and POST are served on /graphql; GET cannot run mutations.' },
  MAX_DEPTH_EXCEEDED: { status: 400, message: 'The operation is nested deeper than allowed.' },
  MAX_ALIASES_EXCEEDED: { status: 400, message: 'The operation uses more aliases than allowed.' },
  INTROSPECTION_DISABLED: { status: 400, message: 'Schema introspection is disabled on this gateway.' },
  MAX_ROOT_FIELDS_EXCEEDED: { status: 400, message: 'The operation selects more root fields than allowed.' },
  MAX_TOKENS_EXCEEDED: { status: 400, message: 'The operation has more tokens than allowed.' },
  COST_LIMIT_EXCEEDED: { status: 400, message: 'The estimated cost of the operation is above what the caller may spend on one request.' },
  RESPONSE_TOO_LARGE: { status: 200, message: 'The answer grew past the largest size allowed; that part is null.' },
  OPERATION_NOT_TRUSTED: { status: 403, message: 'This API key may only run the operations registered in its manifest.' },
  CSRF_REJECTED: { status: 400, message: 'The request could come from any web page: send a JSON content type or a custom header.' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'The Origin of the request is not in the allow-list.' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, message: 'The document has several operations and operationName does not name one of them.' },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, message: 'The persisted query hash is unknown; send the query with it.' },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, message: 'Persisted queries are not supported here.' },
  // Who is calling
  UNAUTHENTICATED: { status: 401, message: 'The credentials are missing, invalid or expired.' },
  FORBIDDEN: { status: 403, message: 'The credentials do not allow this operation.' },
  UNAUTHORIZED_FIELD_OR_TYPE: { status: 200, message: 'The caller may not see this field; it is null and the rest of the answer is returned.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests: wait for Retry-After seconds.' },
  QUOTA_EXCEEDED: { status: 429, message: "The API key's daily quota is used up; it resets at midnight UTC." },
  TOO_MANY_SUBSCRIPTIONS: { status: 429, message: 'Too many subscriptions or connections for this caller.' },
  // Subscriptions
  SUBSCRIBER_TOO_SLOW: { status: 200, message: 'The subscriber did not keep up; resume from the last cursor received.' },
  CREDENTIALS_EXPIRED: { status: 401, message: 'The credentials of a subscription expired; resume from the last cursor with fresh ones.' },
  SUPERGRAPH_CHANGED: { status: 200, message: 'The supergraph changed and this subscription is no longer valid against it; change the operation and subscribe again.' },
  // Requests (GRC) domain
  INVALID_TRANSITION: { status: 400, message: 'The request cannot move from its current status to the one asked.' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'This idempotency key was already used with a different input.' },
  // Upstream failures, seen from the gateway
  SUBGRAPH_UNAVAILABLE: { status: 502, message: 'A subgraph could not be reached or answered with an error status.' },
  GATEWAY_TIMEOUT: { status: 504, message: 'A subgraph did not answer in time.' },
  SUBGRAPH_ERROR: { status: 502, message: 'A subgraph returned an error that carried no code of its own.' },
  UNRESOLVABLE_FIELD: { status: 200, message: 'No subgraph can resolve this root field for the operation (the query planner left it out); the answer has no data.' },
  // Legacy-system failures, seen from a subgraph
  LEGACY_UNAVAILABLE: { status: 503, message: 'A legacy system is unavailable (down, overloaded or refusing connections).' },
  LEGACY_TIMEOUT: { status: 504, message: 'A legacy system did not answer in time.' },
  LEGACY_ERROR: { status: 502, message: 'A legacy system answered with an unexpected error or payload.' },
  // Everything else
  INTERNAL_SERVER_ERROR: { status: 500, message: 'An unexpected error; it has been logged.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ErrorDetails {
  /** Which subgraph an upstream error comes from. */
  subgraph?: string;
  /** Which legacy system an error comes from (e.g. "geo-api", "grc"). */
  system?: string;
  /** Which argument was rejected (BAD_USER_INPUT). */
  argument?: string;
  [key: string]: unknown;
}

/** Builds a GraphQLError whose `extensions.code` is in the catalogue. */
export function passerelleError(code: ErrorCode, message?: string, details: ErrorDetails = {}): GraphQLError {
  return new GraphQLError(message ?? errorCatalogue[code].message, {
    extensions: { code, ...details },
  });
}

/** `BAD_USER_INPUT` naming the argument and why it was refused. */
export function badUserInput(argument: string, reason: string): GraphQLError {
  return passerelleError('BAD_USER_INPUT', `Invalid argument "${argument}": ${reason}`, { argument });
}

export function httpStatusOf(code: string | undefined): number {
  return (code && code in errorCatalogue ? errorCatalogue[code as ErrorCode].status : 500);
}
