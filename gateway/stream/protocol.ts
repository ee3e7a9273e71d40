/**
 * The streaming protocol vocabulary, in one place: WebSocket close codes and their reasons, the
 * Server-Sent Events the gateway writes, and how a stream that the GATEWAY ends (rather than the
 * client or the subgraph) is told on each transport. Transports use only these names.
 *
 * WebSocket (graphql-ws, subprotocol `graphql-transport-ws`, on /graphql):
 *
 * | code | meaning                                             | what the client does                        |
 * |------|-----------------------------------------------------|---------------------------------------------|
 * | 4008 | Subscriber too slow: its queue of events overflowed | reconnect, resume from the last cursor      |
 * | 4011 | Credentials expired during the connection           | reconnect with a fresh token, resume        |
 * | 4029 | Too many connections for this caller (per replica)  | reuse one connection; retry once one closed |
 * | 4401 | Unauthenticated: bad or expired token at connect    | get a valid token (graphql-ws's own code)   |
 * | 4403 | Forbidden                                           | do not retry (graphql-ws's own code)        |
 * | 1001 | Going away: the gateway is shutting down            | reconnect (to another replica), resume      |
 *
 * The gateway's own codes (40xx) stay clear of graphql-ws's (44xx, 45xx): 4008 and 4011 echo the
 * WebSocket codes 1008 (policy violation) and 1011 (server condition); 4029 echoes HTTP 429. A
 * subscription over the cap (MAX_SUBSCRIPTIONS_PER_SOCKET / _PER_PRINCIPAL) is not a close: that
 * subscribe alone gets an `error` message with TOO_MANY_SUBSCRIPTIONS (over SSE: HTTP 429).
 *
 * GraphQL over SSE (distinct-connections mode of the graphql-sse protocol: `Accept: text/event-stream`
 * on /graphql or /graphql/stream): events `next` (data: an execution result) and `complete`. A stream
 * the gateway ends early sends one last `next` whose only error has `extensions.code`
 * SUBSCRIBER_TOO_SLOW or CREDENTIALS_EXPIRED, then `complete`, then the response ends. Refused
 * credentials are an HTTP 401 with a GraphQL-shaped JSON body (UNAUTHENTICATED) before any event.
 *
 * Errors of a subscription itself (the subgraph went away, refused it, or failed) are GraphQL
 * errors with catalogue codes naming the subgraph (SUBGRAPH_UNAVAILABLE…): a graphql-ws `error`
 * message for that subscription only, or a `next` with errors then `complete` over SSE. A
 * subgraph's socket that drops is not such an error when the subscription field follows the cursor
 * convention (`after` argument, `cursor` field): the gateway re-subscribes from the last cursor and
 * the client only sees a pause; SUBGRAPH_UNAVAILABLE comes after UPSTREAM_RESUME_TIMEOUT_MS.
 *
 * A new supergraph on which an open subscription is no longer valid (a field it uses was removed,
 * an argument changed type…) ends THAT subscription the same way, with SUPERGRAPH_CHANGED and the
 * reason in the message (and the underlying code in `extensions.reason`): not a close code, since
 * the connection's other subscriptions may still be valid and go on.
 */
import { CloseCode as GraphQLWsCloseCode } from 'graphql-ws';
import type { FormattedExecutionResult } from 'graphql';
import { errorCatalogue } from '../../common/errors.ts';

export const CloseCode = {
  SubscriberTooSlow: 4008,
  CredentialsExpired: 4011,
  TooManyConnections: 4029,
  Unauthorized: GraphQLWsCloseCode.Unauthorized,
  Forbidden: GraphQLWsCloseCode.Forbidden,
  GoingAway: 1001,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Why the gateway ends a stream on its own. */
export type Termination = 'SUBSCRIBER_TOO_SLOW' | 'CREDENTIALS_EXPIRED';

/** Each termination, as a WebSocket close (code, reason ≤ 123 bytes) and as a GraphQL error. */
export const TERMINATIONS: Record<Termination, { closeCode: CloseCode; reason: string }> = {
  SUBSCRIBER_TOO_SLOW: { closeCode: CloseCode.SubscriberTooSlow, reason: 'Subscriber too slow: resume from your last cursor' },
  CREDENTIALS_EXPIRED: { closeCode: CloseCode.CredentialsExpired, reason: 'Credentials expired: resume with fresh credentials' },
};

/** A connection refused at `connection_init` because its caller has MAX_SOCKETS_PER_PRINCIPAL open already. */
export const TOO_MANY_CONNECTIONS = {
  closeCode: CloseCode.TooManyConnections,
  reason: 'Too many connections for this caller: reuse one',
} as const;

/** The last result an SSE stream ended by the gateway carries. */
export function terminationResult(termination: Termination): FormattedExecutionResult {
  return { errors: [{ message: errorCatalogue[termination].message, extensions: { code: termination } }] };
}

export type SseEvent = 'next' | 'complete';

/** One Server-Sent Event as the graphql-sse protocol frames it. */
export function sseMessage(event: 'next', data: FormattedExecutionResult): string;
export function sseMessage(event: 'complete'): string;
export function sseMessage(event: SseEvent, data?: FormattedExecutionResult): string {
  return data === undefined ? `event: ${event}\ndata:\n\n` : `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A `next` event whose result is already JSON (serialised once for every subscriber of a shared stream). */
export function sseNext(json: string): string {
  return `event: next\ndata: ${json}\n\n`;
}

/** A comment line: keeps proxies from closing an idle stream. */
export const SSE_KEEP_ALIVE = ':\n\n';

/** The media type that selects the SSE transport on /graphql. */
export const SSE_MEDIA_TYPE = 'text/event-stream';

/** Whether an HTTP request asks for an event stream (rather than a single JSON answer). */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.split(',').some((part) => part.trim().split(';')[0]?.trim().toLowerCase() === SSE_MEDIA_TYPE);
}
