/**
 * Bearer tokens as the subgraphs see them: HS256 JWTs signed with AUTH_SECRET, the same tokens the
 * gateway verifies before forwarding the `authorization` header unchanged. The gateway decides who
 * may call at all; each subgraph decides what a caller may do, from the claims below.
 *
 * Claims Passerelle issues and reads (all tokens: `alg: HS256`, `iat`, `exp`):
 * - `sub`   who the token names: `agent:<matricule>` for a GRC agent (e.g. `agent:AG0001`),
 *           `citizen:<reference>` for the citizen who filed a request.
 * - `scope` space-separated permissions: `agent` (the agents' workflow mutations),
 *           `track:<reference>` (follow that one request, nothing else).
 * - `kind`  `agent` or `user`, as the gateway's principal kinds (it defaults to `user`).
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import { passerelleError } from '../../common/errors.ts';

export interface TokenClaims {
  sub: string;
  scope: string;
  kind: 'agent' | 'user' | 'api-key';
}

/** Who is calling, from a verified token. */
export interface Caller {
  subject: string;
  kind: string;
  scopes: string[];
  expiresAt: Date | null;
}

export interface SignedToken {
  token: string;
  expiresAt: Date;
}

/** The scope every workflow mutation needs. */
export const AGENT_SCOPE = 'agent';

/** The HS256 key made from the shared secret; make it once, it is reused for every token. */
export function tokenKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export const agentClaims = (matricule: string): TokenClaims => ({ sub: `agent:${matricule}`, scope: AGENT_SCOPE, kind: 'agent' });
export const trackingClaims = (reference: string): TokenClaims => ({ sub: `citizen:${reference}`, scope: `track:${reference}`, kind: 'user' });

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
export async function verifyToken(key: Uint8Array, token: string): Promise<Caller> {
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
    kind: typeof payload.kind === 'string' ? payload.kind : 'user',
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter((scope) => scope !== '') : [],
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
  };
}

/**
 * The caller named by an `authorization` header value: null without one (anonymous), refused
 * (UNAUTHENTICATED) when it is not `Bearer <valid token>` — never silently anonymous.
 */
export async function callerOf(key: Uint8Array, authorization: string | undefined | null): Promise<Caller | null> {
  if (authorization == null || authorization.trim() === '') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw passerelleError('UNAUTHENTICATED', 'The authorization header must be "Bearer <token>".');
  return verifyToken(key, match[1]!);
}

/** The caller, when it holds `scope`: UNAUTHENTICATED when anonymous, FORBIDDEN otherwise. */
export function requireScope(caller: Caller | null, scope: string, action: string): Caller {
  if (caller === null) throw passerelleError('UNAUTHENTICATED', `${action} needs a bearer token with scope "${scope}".`);
  if (!caller.scopes.includes(scope)) {
    throw passerelleError('FORBIDDEN', `${action} needs scope "${scope}"; the token has ${caller.scopes.length > 0 ? `"${caller.scopes.join(' ')}"` : 'none'}.`);
  }
  return caller;
}

/** The matricule an agent token names (`agent:AG0001` → `AG0001`); null for other subjects. */
export function agentMatricule(caller: Caller): string | null {
  const match = /^agent:([A-Za-z0-9]{1,10})$/.exec(caller.subject);
  return match ? match[1]! : null;
}
