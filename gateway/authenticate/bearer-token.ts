/**
 * The authenticate stage's view of a bearer token (see common/tokens.ts for the tokens themselves):
 * the principal the rest of the request sees.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { bearerTokenOf, tokenKey, verifyToken } from '../../common/tokens.ts';
import type { Principal } from '../pipeline.ts';

export { tokenKey as hmacKey };

/** The token of the request's `authorization` header; `undefined` without one; refused in another scheme. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return bearerTokenOf(headers.authorization);
}

/**
 * Verifies a token and returns who it names: `{ id: sub, kind, scopes, token, expiresAt }`. Fails
 * with UNAUTHENTICATED (expired, bad signature, another algorithm, no subject).
 */
export async function verifyBearerToken(token: string, key: Uint8Array): Promise<Principal> {
  const verified = await verifyToken(key, token);
  return {
    id: verified.subject,
    kind: verified.kind,
    scopes: verified.scopes,
    token,
    ...(verified.expiresAt ? { expiresAt: verified.expiresAt.getTime() } : {}),
  };
}
