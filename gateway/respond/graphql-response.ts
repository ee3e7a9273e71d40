/**
 * A single GraphQL answer over HTTP: its content type chosen from the client's Accept header, its
 * status and extra headers taken from the errors it carries, its body written once.
 *
 * Content negotiation is the GraphQL-over-HTTP specification's, as Apollo Server did it:
 * `application/json` when the client states no preference or accepts any type,
 * `application/graphql-response+json` when it prefers that; an Accept header that allows neither
 * gets 406 (BAD_REQUEST) before the operation runs. Both say `charset=utf-8`.
 */
import type { ServerResponse } from 'node:http';
import Negotiator from 'negotiator';
import type { GraphQLError } from 'graphql';

export const JSON_MEDIA_TYPE = 'application/json; charset=utf-8';
export const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json; charset=utf-8';
// Apollo Server offered this one too (its callback protocol); a client that asks for it keeps getting it.
const JSON_CALLBACK_MEDIA_TYPE = 'application/json; callbackSpec=1.0; charset=utf-8';
const OFFERED = [JSON_MEDIA_TYPE, GRAPHQL_RESPONSE_MEDIA_TYPE, JSON_CALLBACK_MEDIA_TYPE];

/** Clients send a handful of distinct Accept headers: each is negotiated once. Bounded against floods of unique ones. */
const negotiated = new Map<string, string | null>();
const MAX_NEGOTIATED = 256;

/** The media type of a single answer for this Accept header, or undefined when none is acceptable (answer 406). */
export function answerMediaType(accept: string | undefined): string | undefined {
  if (!accept) return JSON_MEDIA_TYPE;
  let chosen = negotiated.get(accept);
  if (chosen === undefined) {
    chosen = new Negotiator({ headers: { accept } }).mediaType(OFFERED) ?? null;
    if (negotiated.size >= MAX_NEGOTIATED) negotiated.clear();
    negotiated.set(accept, chosen);
  }
  return chosen ?? undefined;
}

/** What errors say about the HTTP answer (`extensions.http`: a status, headers), read before they are shaped. */
export interface HttpHead {
  status: number | undefined;
  headers: Record<string, string>;
}

/**
 * `extensions.http` of these errors merged (a plugin may set a status and headers, e.g. Retry-After
 * on a cost-budget refusal); the shape stage removes it from what the client sees.
 */
export function httpHeadOf(errors: readonly GraphQLError[]): HttpHead {
  const head: HttpHead = { status: undefined, headers: {} };
  for (const error of errors) {
    const http = error.extensions.http as { status?: unknown; headers?: unknown } | undefined;
    if (!http || typeof http !== 'object') continue;
    if (typeof http.status === 'number') head.status ??= http.status;
    const headers = http.headers;
    const entries = headers instanceof Map ? [...headers.entries()] : headers && typeof headers === 'object' ? Object.entries(headers) : [];
    for (const [name, value] of entries) if (typeof value === 'string') head.headers[String(name).toLowerCase()] = value;
  }
  return head;
}

/**
 * Writes the answer: the status, the content type, `Cache-Control: no-store` and the body, once.
 * A body in pieces is encoded straight into one buffer: a large answer is neither joined into one
 * more string nor converted again by the socket.
 */
export function sendGraphQLAnswer(res: ServerResponse, status: number, mediaType: string, body: string | readonly string[], headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : encode(body);
  res.writeHead(status, {
    ...headers,
    'content-type': mediaType,
    'content-length': bytes.length,
    // Answers depend on the caller and the moment; GET ones would otherwise be cached by browsers.
    'cache-control': 'no-store',
  });
  res.end(bytes);
}

function encode(pieces: readonly string[]): Buffer {
  let size = 0;
  for (const piece of pieces) size += Buffer.byteLength(piece, 'utf8');
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for (const piece of pieces) at += bytes.write(piece, at, 'utf8');
  return bytes;
}
