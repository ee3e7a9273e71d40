/**
 * Passerelle's own bearer tokens: HS256 JWTs signed with AUTH_SECRET (iss "passerelle"). Two uses:
 * - tracking tokens, issued by the requests subgraph with each new request: sub `citizen:<reference>`,
 *   scope `track:<reference>` — follow that one request, nothing else;
 * - in development only, agents' tokens from `npm run token` (sub `agent:<matricule>`, scope `agent`).
 * In production the gateway accepts HS256 tokens as tracking tokens only; agents, partners and
 * operators come from the identity provider's JWKS (gateway/authenticate/jwks.ts) or API keys.
 *
 * Claims (all tokens: `alg: HS256`, `iss`, `iat`, `exp` — a token without `exp` is refused):
 * - `sub`   who the token names;
 * - `scope` space-separated permissions, e.g. `agent`, `track:<reference>`;
 * - `kind`  `agent`, `citizen` or `user`.
 */
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { passerelleError } from './errors.ts';

/** The issuer of the tokens Passerelle signs itself. */
export const PASSERELLE_ISSUER = 'passerelle';

export const TOKEN_KINDS = ['user', 'citizen', 'agent', 'operator'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface TokenClaims {
  sub: string;
  scope: string;
  kind: TokenKind;
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
 * scheme, or of another type than a string, is refused: silently ignoring it would make the caller
 * anonymous.
 */
export function bearerTokenOf(authorization: unknown): string | undefined {
  if (authorization === undefined || authorization === null) return undefined;
  if (typeof authorization !== 'string') throw passerelleError('UNAUTHENTICATED', 'The authorization must be a string "Bearer <token>".');
  if (authorization.trim() === '') return undefined;
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
    .setIssuer(PASSERELLE_ISSUER)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies one of Passerelle's own tokens: UNAUTHENTICATED when it is expired, has no `exp`, is
 * forged, of another algorithm or issuer, or names no one. Tokens issued before `iss` was added
 * carry none and are still accepted; one that names another issuer is not.
 */
export async function verifyPasserelleToken(key: Uint8Array, token: string, clockToleranceS = 30): Promise<JWTPayload & { sub: string; exp: number }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'], clockTolerance: clockToleranceS }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw passerelleError('UNAUTHENTICATED', 'The bearer token has expired.');
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp') {
      throw passerelleError('UNAUTHENTICATED', 'The bearer token has no expiry (exp): it is refused.');
    }
    throw passerelleError('UNAUTHENTICATED', 'The bearer token is invalid.');
  }
  if (payload.iss !== undefined && payload.iss !== PASSERELLE_ISSUER) throw passerelleError('UNAUTHENTICATED', 'The bearer token is from another issuer.');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw passerelleError('UNAUTHENTICATED', 'The bearer token names no subject (sub).');
  return payload as JWTPayload & { sub: string; exp: number };
}

/** The scopes of a `scope` (space-separated) or `scp` (array) claim. */
export function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(payload.scp)) return payload.scp.filter((scope): scope is string => typeof scope === 'string' && scope !== '');
  return [];
}
