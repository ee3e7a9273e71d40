/**
 * Bearer tokens, as every Passerelle process reads them: HS256 JWTs signed with AUTH_SECRET. The
 * gateway verifies them to know who calls and forwards the `authorization` header unchanged; each
 * subgraph verifies the same token to decide what the caller may do. A request without a token is
 * anonymous; one WITH a token that does not verify is refused (UNAUTHENTICATED) rather than
 * downgraded to anonymous, so a client with a broken or expired token learns it at once.
 *
 * Claims (all tokens: `alg: HS256`, `iat`, `exp`):
 * - `sub`   who the token names: `agent:<matricule>`, `citizen:<reference>`, a partner's id…
 * - `scope` space-separated permissions, e.g. `agent`, `track:<reference>`.
 * - `kind`  `agent`, `user` or `api-key` (default `user`).
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import { passerelleError } from './errors.ts';

export const TOKEN_KINDS = ['api-key', 'user', 'agent'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface TokenClaims {
  sub: string;
  scope: string;
  kind: TokenKind;
}

/** What a verified token says. */
export interface VerifiedToken {
  subject: string;
  kind: TokenKind;
  scopes: string[];
  expiresAt: Date | null;
}

export interface SignedToken {
  token: string;
  expiresAt: Date;
}

/** The HS256 key made from the shared secret; make it once, it is reused for every token. */
export function tokenKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * The token of an `authorization` header value; `undefined` without one. A header in another
 * scheme is refused: silently ignoring it would make the caller anonymous.
 */
export function bearerTokenOf(authorization: string | undefined | null): string | undefined {
  if (authorization == null || authorization.trim() === '') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw passerelleError('UNAUTHENTICATED', 'The authorization header must be "Bearer <token>".');
  return match[1];
}

/**
 * Signs `claims` valid from `issuedAt` for `ttlSeconds`. HS256 is deterministic: the same claims
 * and instants give the same token, which lets an idempotent replay return the very same token
 * without storing it.
 */
export async function signToken(key: Uint8Array, claims: TokenClaims, issuedAt: Date, ttlSeconds: number): Promise<SignedToken> {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ scope: claims.scope, kind: claims.kind })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Verifies a token; UNAUTHENTICATED when it is expired, forged, of another algorithm or names no one. */
export async function verifyToken(key: Uint8Array, token: string): Promise<VerifiedToken> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw passerelleError('UNAUTHENTICATED', 'The bearer token has expired.');
    throw passerelleError('UNAUTHENTICATED', 'The bearer token is invalid.');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw passerelleError('UNAUTHENTICATED', 'The bearer token names no subject (sub).');
  return {
    subject: payload.sub,
    kind: TOKEN_KINDS.find((kind) => kind === payload.kind) ?? 'user',
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter((scope) => scope !== '') : [],
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
  };
}
