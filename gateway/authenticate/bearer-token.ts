/**
 * Bearer tokens: HS256 JWTs signed with AUTH_SECRET. A request without a token is anonymous; a
 * request WITH a token that cannot be verified is refused (UNAUTHENTICATED) rather than downgraded
 * to anonymous, so a client with a broken or expired token learns it at once instead of seeing
 * mysteriously empty data.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors, jwtVerify } from 'jose';
import { passerelleError } from '../../common/errors.ts';
import type { Principal } from '../pipeline.ts';

const KINDS: readonly Principal['kind'][] = ['api-key', 'user', 'agent'];

/**
 * The token of an `authorization: Bearer …` header; `undefined` when there is no header. A header
 * in another scheme is refused: silently ignoring it would make the caller anonymous.
 */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw passerelleError('UNAUTHENTICATED', 'The authorization header must be "Bearer <token>".');
  return match[1];
}

/** The HS256 key made from a shared secret (do it once: jose re-imports nothing then). */
export function hmacKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Verifies a token and returns who it names: `{ id: sub, kind, scopes: scope.split(' '), expiresAt }`.
 * `kind` defaults to "user" when the token does not say. Fails with UNAUTHENTICATED (expired,
 * bad signature, another algorithm, no subject).
 */
export async function verifyBearerToken(token: string, key: Uint8Array): Promise<Principal> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw passerelleError('UNAUTHENTICATED', 'The bearer token has expired.');
    throw passerelleError('UNAUTHENTICATED', 'The bearer token is invalid.');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw passerelleError('UNAUTHENTICATED', 'The bearer token names no subject (sub).');
  }
  const kind = KINDS.find((candidate) => candidate === payload.kind) ?? 'user';
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter((scope) => scope !== '') : [];
  return {
    id: payload.sub,
    kind,
    scopes,
    token,
    ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
  };
}
