/**
 * The credentials a request carries: a bearer token (`authorization: Bearer …`) or a partner's API
 * key (`x-api-key: …`); graphql-ws passes the same two names in `connectionParams`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { passerelleError } from '../../common/errors.ts';
import { bearerTokenOf } from '../../common/tokens.ts';

export const API_KEY_HEADER = 'x-api-key';

export type Credentials = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string };

/** The token of the request's `authorization` header; `undefined` without one; refused in another scheme. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return bearerTokenOf(headers.authorization);
}

/** What the request presents. Both a token and a key is refused: which one would speak for the caller? */
export function credentialsOf(headers: IncomingHttpHeaders): Credentials {
  const token = bearerToken(headers);
  const rawKey = headers[API_KEY_HEADER];
  if (rawKey !== undefined && typeof rawKey !== 'string') throw passerelleError('UNAUTHENTICATED', 'Send one x-api-key header.');
  const key = rawKey?.trim() === '' ? undefined : rawKey;
  if (token !== undefined && key !== undefined) {
    throw passerelleError('UNAUTHENTICATED', 'Send either a bearer token or an API key, not both.');
  }
  if (token !== undefined) return { kind: 'bearer', token };
  if (key !== undefined) return { kind: 'api-key', key };
  return { kind: 'none' };
}

/**
 * The upgrade request's headers with the credentials of graphql-ws `connectionParams`
 * (`authorization`/`Authorization`, `x-api-key`), which browsers cannot send as headers. A value
 * that is not a string is refused (UNAUTHENTICATED), never read as "no credentials".
 */
export function headersWithConnectionParams(headers: IncomingHttpHeaders, params: Readonly<Record<string, unknown>> | undefined | null): IncomingHttpHeaders {
  const merged: IncomingHttpHeaders = { ...headers };
  const given: [string, unknown][] = [
    ['authorization', params?.authorization ?? params?.Authorization],
    [API_KEY_HEADER, params?.[API_KEY_HEADER]],
  ];
  for (const [name, value] of given) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw passerelleError('UNAUTHENTICATED', `connectionParams.${name} must be a string.`);
    merged[name] = value;
  }
  return merged;
}
